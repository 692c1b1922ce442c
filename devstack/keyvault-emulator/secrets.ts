import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bundle, deletedBundle, page } from './bundles';
import { badParameter, disabled, KvError, notFound } from './errors';
import type { Faults } from './faults';
import {
  now,
  RECOVERABLE_DAYS,
  type Attributes,
  type DeletedRecord,
  type SecretRecord,
  type SecretVersion,
  type Store,
} from './store';
import { applyAttributes, contentType, NAME, parseTags, readJson, secretValue } from './validation';

/** The secrets data-plane routes. `name`/`version` come from the path; an empty version means latest, like Key Vault. */

export type Reply = { status: number; body?: unknown };

export function createSecretsHandler(store: Store, faults: Faults) {
  const { state } = store;

  function live(name: string): SecretRecord {
    const record = state.secrets[name.toLowerCase()];
    // A soft-deleted secret is not found, whatever its attributes (Key Vault's 404 names recovery as the way back).
    if (!record) throw notFound(name);
    return record;
  }

  function findVersion(name: string, version: string): { record: SecretRecord; v: SecretVersion } {
    const record = live(name);
    const v = version
      ? record.versions.find((x) => x.version === version.toLowerCase())
      : record.versions[record.versions.length - 1];
    if (!v) throw notFound(version ? `${name}/${version}` : name);
    return { record, v };
  }

  async function setSecret(req: IncomingMessage, base: string, name: string): Promise<Reply> {
    const body = await readJson(req);
    const value = secretValue(body);
    const key = name.toLowerCase();
    if (state.deleted[key]) {
      throw new KvError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    const t = now();
    const attributes: Attributes = { enabled: true, created: t, updated: t };
    applyAttributes(attributes, body.attributes);
    const type = contentType(body);
    const tags = parseTags(body.tags);
    const v: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value,
      ...(type !== undefined ? { contentType: type } : {}),
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
    if (!v.attributes.enabled) throw disabled();
    return { status: 200, body: bundle(base, record.name, v, true) };
  }

  async function updateSecret(req: IncomingMessage, base: string, name: string, version: string): Promise<Reply> {
    const body = await readJson(req);
    const { record, v } = findVersion(name, version);
    const attributes = { ...v.attributes };
    applyAttributes(attributes, body.attributes);
    // Validate everything before changing anything: a refused update leaves the version as it was.
    const type = 'contentType' in body ? { value: contentType(body) } : undefined;
    const tags = 'tags' in body ? { value: parseTags(body.tags) } : undefined;
    if (type) {
      if (type.value === undefined) delete v.contentType;
      else v.contentType = type.value;
    }
    if (tags) {
      if (tags.value) v.tags = tags.value;
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
        return {
          ...bundle(base, record.name, record.versions[record.versions.length - 1]!, false),
          id: `${base}/secrets/${record.name}`,
        };
      });
    return { status: 200, body: page(items, url, base) };
  }

  function listVersions(url: URL, base: string, name: string): Reply {
    const record = state.secrets[name.toLowerCase()];
    // Key Vault orders versions by their id, not by creation time; callers must sort by `created` themselves.
    if (!record) return { status: 200, body: page([], url, base) };
    const versions = [...record.versions].sort((a, b) => a.version.localeCompare(b.version));
    return {
      status: 200,
      body: page(
        versions.map((v) => bundle(base, record.name, v, false)),
        url,
        base,
      ),
    };
  }

  function deleteSecret(base: string, name: string): Reply {
    const record = live(name);
    const deletedDate = now();
    const deleted: DeletedRecord = {
      ...record,
      deletedDate,
      scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * 86_400,
    };
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
    // Versions come back with the attributes they had: a secret deleted while disabled is still disabled.
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

  return async function route(req: IncomingMessage, url: URL, base: string): Promise<Reply> {
    let parts: string[];
    try {
      parts = url.pathname
        .split('/')
        .slice(1)
        .map((p) => decodeURIComponent(p));
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
      if (Object.keys(table).length > 0)
        throw new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      throw new KvError(404, 'NotFound', `No route for ${method} ${url.pathname}.`);
    }
    if (name && !NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
    if (extra !== undefined) throw new KvError(404, 'NotFound', `No route for ${method} ${url.pathname}.`);
    faults.check(name);
    return handler();
  };
}
