import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';

/**
 * Local stand-in for the Azure Key Vault *secrets* data plane, spoken to by the real
 * @azure/keyvault-secrets SDK over HTTPS. See README.md for scope and known deviations.
 */

export interface KeyVaultEmulatorOptions {
  port?: number;
  host?: string;
  dataDir: string;
  log?: (line: string) => void;
}

export interface KeyVaultEmulator {
  url: string;
  port: number;
  caCertPath: string;
  close(): Promise<void>;
}

// ---------- TLS material (openssl CLI, generated once per dataDir) ----------

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = Breakglass Key Vault Emulator
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}

/** A certificate is reused only if it still has a day left, matches its key and (for the leaf) chains to the CA. */
function certUsable(certPath: string, keyPath: string, issuer?: X509Certificate): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    if (Date.parse(cert.validTo) < Date.now() + 86_400_000) return undefined;
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)))) return undefined;
    if (issuer && !cert.verify(issuer.publicKey)) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

function ensureTls(dataDir: string): { caCertPath: string; key: Buffer; cert: Buffer } {
  const path = (file: string) => join(dataDir, file);
  // The CA is kept across server-cert renewals so clients that already trust ca.crt keep working.
  let ca = certUsable(path('ca.crt'), path('ca.key'));
  let server = ca && certUsable(path('server.crt'), path('server.key'), ca);
  if (!server) {
    // Generate in a scratch dir and rename into place so a crash never leaves a half-written pair.
    const work = mkdtempSync(join(dataDir, '.tls-'));
    try {
      writeFileSync(join(work, 'openssl.cnf'), OPENSSL_CONFIG);
      if (!ca) {
        openssl(['req', '-x509', '-config', 'openssl.cnf', '-extensions', 'ca_ext', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt',
          '-days', '3650', '-subj', '/CN=Breakglass Key Vault Emulator Local CA'], work);
      } else {
        writeFileSync(join(work, 'ca.crt'), readFileSync(path('ca.crt')));
        writeFileSync(join(work, 'ca.key'), readFileSync(path('ca.key')), { mode: 0o600 });
      }
      openssl(['req', '-new', '-config', 'openssl.cnf', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], work);
      openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(16).toString('hex')}`,
        '-days', '825', '-extfile', 'openssl.cnf', '-extensions', 'server_ext', '-out', 'server.crt'], work);
      for (const file of ['ca.key', 'ca.crt', 'server.key', 'server.crt']) renameSync(join(work, file), path(file));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    ca = certUsable(path('ca.crt'), path('ca.key'));
    server = ca && certUsable(path('server.crt'), path('server.key'), ca);
    if (!server) throw new Error(`generated TLS material in ${dataDir} does not verify`);
  }
  return { caCertPath: path('ca.crt'), key: readFileSync(path('server.key')), cert: readFileSync(path('server.crt')) };
}

// ---------- State ----------

interface Attributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: Attributes;
}

interface SecretRecord {
  name: string; // as first created; lookups are case-insensitive like Key Vault
  versions: SecretVersion[]; // creation order; the last one is "latest"
}

interface DeletedRecord extends SecretRecord {
  deletedDate: number;
  scheduledPurgeDate: number;
}

interface State {
  secrets: Record<string, SecretRecord>;
  deleted: Record<string, DeletedRecord>;
}

const RECOVERABLE_DAYS = 90;
const MAX_PAGE = 25; // Key Vault's own ceiling for maxresults

class Store {
  private readonly file: string;
  readonly state: State;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'state.json');
    // A corrupt file is an error rather than a silent reset: losing dev secrets quietly hides bugs.
    this.state = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as State) : { secrets: {}, deleted: {} };
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Soft-deleted secrets past their purge date disappear, as in Key Vault. */
  purgeExpired(now: number): void {
    let changed = false;
    for (const [key, record] of Object.entries(this.state.deleted)) {
      if (record.scheduledPurgeDate <= now) {
        delete this.state.deleted[key];
        changed = true;
      }
    }
    if (changed) this.save();
  }
}

// ---------- HTTP plumbing ----------

class KvError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly inner?: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const notFound = (name: string) =>
  new KvError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
const badParameter = (message: string) => new KvError(400, 'BadParameter', message);

const CHALLENGE = 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"';
const API_VERSION = /^(7\.[0-6](-preview(\.\d+)?)?|2025-\d{2}-\d{2}(-preview)?)$/;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_BODY = 1024 * 1024;

const now = () => Math.floor(Date.now() / 1000);

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new KvError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw badParameter('The request body is empty.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badParameter('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badParameter(`Property '${field}' must be a string.`);
  return value;
}

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw badParameter("Property 'tags' must be an object of string values.");
  }
  return { ...(value as Record<string, string>) };
}

/** Applies attributes{enabled,nbf,exp} from a request; null clears nbf/exp. */
function applyAttributes(target: Attributes, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badParameter("Property 'attributes' must be an object.");
  const attrs = raw as Record<string, unknown>;
  if (attrs.enabled !== undefined && attrs.enabled !== null) {
    if (typeof attrs.enabled !== 'boolean') throw badParameter("Property 'attributes.enabled' must be a boolean.");
    target.enabled = attrs.enabled;
  }
  for (const field of ['nbf', 'exp'] as const) {
    const value = attrs[field];
    if (value === undefined) continue;
    if (value === null) delete target[field];
    else if (typeof value === 'number' && Number.isInteger(value)) target[field] = value;
    else throw badParameter(`Property 'attributes.${field}' must be an integer (unix seconds).`);
  }
}

function attributesOut(a: Attributes) {
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: RECOVERABLE_DAYS,
  };
}

function bundle(base: string, name: string, v: SecretVersion, withValue: boolean) {
  return {
    ...(withValue ? { value: v.value } : {}),
    id: `${base}/secrets/${name}/${v.version}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
    attributes: attributesOut(v.attributes),
  };
}

function deletedBundle(base: string, record: DeletedRecord) {
  const latest = record.versions[record.versions.length - 1]!;
  return {
    recoveryId: `${base}/deletedsecrets/${record.name}`,
    deletedDate: record.deletedDate,
    scheduledPurgeDate: record.scheduledPurgeDate,
    ...bundle(base, record.name, latest, false),
  };
}

/** Key Vault pages with an opaque $skiptoken in nextLink; here it is just an offset. */
function page<T>(items: T[], url: URL, base: string): { value: T[]; nextLink: string | null } {
  const rawMax = url.searchParams.get('maxresults');
  const max = rawMax === null ? MAX_PAGE : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) throw badParameter(`The value of maxresults must be an integer between 1 and ${MAX_PAGE}.`);
  const offset = Number(url.searchParams.get('$skiptoken') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) throw badParameter('Invalid $skiptoken.');
  const value = items.slice(offset, offset + max);
  if (offset + max >= items.length) return { value, nextLink: null };
  const next = new URL(`${base}${url.pathname}`);
  next.searchParams.set('api-version', url.searchParams.get('api-version') ?? '');
  next.searchParams.set('$skiptoken', String(offset + max));
  next.searchParams.set('maxresults', String(max));
  return { value, nextLink: next.toString() };
}

// ---------- Secrets API ----------

type Reply = { status: number; body?: unknown };

function createHandler(store: Store) {
  const { state } = store;

  function live(name: string): SecretRecord {
    const record = state.secrets[name.toLowerCase()];
    if (!record) throw notFound(name);
    return record;
  }

  function findVersion(name: string, version: string): { record: SecretRecord; v: SecretVersion } {
    const record = live(name);
    const v = version ? record.versions.find((x) => x.version === version.toLowerCase()) : record.versions[record.versions.length - 1];
    if (!v) throw notFound(version ? `${name}/${version}` : name);
    return { record, v };
  }

  async function setSecret(req: IncomingMessage, base: string, name: string): Promise<Reply> {
    const body = await readJson(req);
    if (typeof body.value !== 'string') throw badParameter("Property 'value' is required and must be a string.");
    const key = name.toLowerCase();
    if (state.deleted[key]) {
      throw new KvError(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
    }
    const t = now();
    const attributes: Attributes = { enabled: true, created: t, updated: t };
    applyAttributes(attributes, body.attributes);
    const contentType = optionalString(body, 'contentType');
    const tags = parseTags(body.tags);
    const v: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: body.value,
      ...(contentType !== undefined ? { contentType } : {}),
      ...(tags ? { tags } : {}),
      attributes,
    };
    const record = (state.secrets[key] ??= { name, versions: [] });
    record.versions.push(v);
    store.save();
    return { status: 200, body: bundle(base, record.name, v, true) };
  }

  function getSecret(base: string, name: string, version: string): Reply {
    const { record, v } = findVersion(name, version);
    // Real Key Vault refuses to hand out a disabled version; expiry and nbf are *not* enforced on get.
    if (!v.attributes.enabled) throw new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return { status: 200, body: bundle(base, record.name, v, true) };
  }

  async function updateSecret(req: IncomingMessage, base: string, name: string, version: string): Promise<Reply> {
    const body = await readJson(req);
    const { record, v } = findVersion(name, version);
    const attributes = { ...v.attributes };
    applyAttributes(attributes, body.attributes);
    if ('contentType' in body) {
      const contentType = optionalString(body, 'contentType');
      if (contentType === undefined) delete v.contentType;
      else v.contentType = contentType;
    }
    if ('tags' in body) {
      const tags = parseTags(body.tags);
      if (tags) v.tags = tags;
      else delete v.tags;
    }
    v.attributes = { ...attributes, updated: now() };
    store.save();
    return { status: 200, body: bundle(base, record.name, v, false) };
  }

  function listSecrets(url: URL, base: string): Reply {
    const items = Object.keys(state.secrets)
      .sort()
      .map((key) => {
        const record = state.secrets[key]!;
        // List items carry the latest version's properties under a version-less id.
        return { ...bundle(base, record.name, record.versions[record.versions.length - 1]!, false), id: `${base}/secrets/${record.name}` };
      });
    return { status: 200, body: page(items, url, base) };
  }

  function listVersions(url: URL, base: string, name: string): Reply {
    const record = state.secrets[name.toLowerCase()];
    // Key Vault orders versions by their id, not by creation time; callers must sort by `created` themselves.
    if (!record) return { status: 200, body: page([], url, base) };
    const versions = [...record.versions].sort((a, b) => a.version.localeCompare(b.version));
    return { status: 200, body: page(versions.map((v) => bundle(base, record.name, v, false)), url, base) };
  }

  function deleteSecret(base: string, name: string): Reply {
    const record = live(name);
    const deletedDate = now();
    const deleted: DeletedRecord = { ...record, deletedDate, scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * 86_400 };
    delete state.secrets[name.toLowerCase()];
    state.deleted[name.toLowerCase()] = deleted;
    store.save();
    return { status: 200, body: deletedBundle(base, deleted) };
  }

  function deletedRecord(name: string): DeletedRecord {
    const record = state.deleted[name.toLowerCase()];
    if (!record) throw new KvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    return record;
  }

  function purge(name: string): Reply {
    deletedRecord(name);
    delete state.deleted[name.toLowerCase()];
    store.save();
    return { status: 204 };
  }

  function recover(base: string, name: string): Reply {
    const { deletedDate: _d, scheduledPurgeDate: _p, ...record } = deletedRecord(name);
    delete state.deleted[name.toLowerCase()];
    state.secrets[name.toLowerCase()] = record;
    store.save();
    return { status: 200, body: bundle(base, record.name, record.versions[record.versions.length - 1]!, false) };
  }

  function listDeleted(url: URL, base: string): Reply {
    const items = Object.keys(state.deleted)
      .sort()
      .map((key) => {
        const { id: _id, ...item } = deletedBundle(base, state.deleted[key]!);
        return { ...item, id: `${base}/secrets/${state.deleted[key]!.name}` };
      });
    return { status: 200, body: page(items, url, base) };
  }

  /** Routes keyed by path shape; `name`/`version` come from the path. Empty version means latest, like Key Vault. */
  return async function route(req: IncomingMessage, url: URL, base: string): Promise<Reply> {
    let parts: string[];
    try {
      parts = url.pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
    } catch {
      throw badParameter('The request URI is not correctly percent-encoded.');
    }
    const [collection, name = '', third, extra] = parts;
    const method = req.method ?? 'GET';
    const table: Record<string, () => Reply | Promise<Reply>> = {};
    if (collection === 'secrets' && parts.length <= 2 && name === '') {
      table.GET = () => listSecrets(url, base);
    } else if (collection === 'secrets' && parts.length === 2) {
      table.PUT = () => setSecret(req, base, name);
      table.GET = () => getSecret(base, name, '');
      table.DELETE = () => deleteSecret(base, name);
    } else if (collection === 'secrets' && parts.length === 3 && third === 'versions') {
      table.GET = () => listVersions(url, base, name);
    } else if (collection === 'secrets' && parts.length === 3) {
      table.GET = () => getSecret(base, name, third ?? '');
      table.PATCH = () => updateSecret(req, base, name, third ?? '');
    } else if (collection === 'deletedsecrets' && parts.length <= 2 && name === '') {
      table.GET = () => listDeleted(url, base);
    } else if (collection === 'deletedsecrets' && parts.length === 2) {
      table.GET = () => ({ status: 200, body: deletedBundle(base, deletedRecord(name)) });
      table.DELETE = () => purge(name);
    } else if (collection === 'deletedsecrets' && parts.length === 3 && third === 'recover') {
      table.POST = () => recover(base, name);
    }
    const handler = table[method];
    if (!handler) {
      if (Object.keys(table).length > 0) throw new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      throw new KvError(404, 'NotFound', `No route for ${method} ${url.pathname}.`);
    }
    if (name && !NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
    if (extra !== undefined) throw new KvError(404, 'NotFound', `No route for ${method} ${url.pathname}.`);
    return handler();
  };
}

// ---------- Server ----------

export async function startKeyVaultEmulator(opts: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  const tls = ensureTls(dataDir);
  const store = new Store(dataDir);
  const route = createHandler(store);
  let fallbackBase = '';

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'cache-control': 'no-cache',
      'x-ms-request-id': randomUUID(),
      'x-ms-keyvault-service-version': '1.9.0.0-breakglass-emulator',
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)) }),
      ...headers,
    });
    res.end(payload);
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    // Ids echo the authority the client used, as Key Vault echoes its own vault URI.
    const base = req.headers.host ? `https://${req.headers.host}` : fallbackBase;
    const finish = (status: number, body?: unknown, headers?: Record<string, string>) => {
      send(res, status, body, headers);
      // Method, path and status only: bodies carry secret values.
      log(`[keyvault-emulator] ${req.method} ${url.pathname} ${status}`);
    };
    void (async () => {
      try {
        if (req.method === 'GET' && url.pathname === '/ping') return finish(200, { ok: true });
        if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) {
          throw new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, { 'www-authenticate': CHALLENGE });
        }
        const apiVersion = url.searchParams.get('api-version');
        if (!apiVersion || !API_VERSION.test(apiVersion)) {
          throw badParameter(`The specified version (${apiVersion ?? 'none'}) is not recognized. Use an api-version from 7.0 to 7.6 or 2025-*.`);
        }
        store.purgeExpired(now());
        const reply = await route(req, url, base);
        finish(reply.status, reply.body);
      } catch (error) {
        if (error instanceof KvError) {
          const body = { error: { code: error.code, message: error.message, ...(error.inner ? { innererror: { code: error.inner } } : {}) } };
          return finish(error.status, body, error.headers);
        }
        log(`[keyvault-emulator] internal error: ${error instanceof Error ? error.message : String(error)}`);
        finish(500, { error: { code: 'InternalServerError', message: 'The emulator hit an internal error.' } });
      }
    })();
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('emulator did not bind a TCP port');
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${address.port}`;
  fallbackBase = url;
  log(`[keyvault-emulator] listening on ${url} (data in ${dataDir})`);

  return {
    url,
    port: address.port,
    caCertPath: tls.caCertPath,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        // Keep-alive sockets from SDK agents would otherwise hold close() open indefinitely.
        server.closeAllConnections();
      }),
  };
}

// ---------- CLI ----------

function argValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, '--port') ?? '8443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be an integer 0-65535');
  const emulator = await startKeyVaultEmulator({
    port,
    host: argValue(args, '--host') ?? '127.0.0.1',
    dataDir: argValue(args, '--data-dir') ?? join('.data', 'keyvault-emulator'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, caCertPath: emulator.caCertPath })}\n`);
  const shutdown = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`keyvault-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
