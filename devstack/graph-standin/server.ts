import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A local stand-in for the parts of Microsoft Graph the watch reads. Test and dev fixture only,
 * not a product component: Graph cannot be reached from dev and CI machines. Response shapes come
 * from the fixture files beside this one, each citing the Graph documentation page it follows.
 * It pages (@odata.nextLink with $skiptoken), throttles on demand (429 + Retry-After), can be
 * made unavailable (503) or taken down, and accepts injected sign-ins at any createdDateTime,
 * so late and out-of-order arrivals can be played.
 */

import { STANDIN_TOKEN } from '../../src/watch/graph-token';

export { STANDIN_TOKEN };
const FIXTURES = join(__dirname, 'fixtures');
const USER_PLACEHOLDER = '{{userId}}';

type Json = Record<string, unknown>;

function fixture(name: string, vars: Record<string, string> = {}): Json {
  let text = readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
  for (const [key, value] of Object.entries(vars)) text = text.split(`{{${key}}}`).join(value);
  const parsed = JSON.parse(text) as Json;
  delete parsed._docs;
  return parsed;
}

export interface StandinUser {
  user: Json;
  roleAssignments: Json[];
  roleEligibilitySchedules: Json[];
  authenticationMethods: Json[];
  transitiveMemberOf: Json[];
}

export interface InjectSignIn {
  userId: string;
  id?: string;
  createdDateTime?: string;
  /** Graph's status.errorCode: 0 is success; anything else a failure (50126: invalid username or password). */
  errorCode?: number;
  ipAddress?: string;
  appDisplayName?: string;
  conditionalAccessStatus?: string;
}

export class GraphStandin {
  readonly users = new Map<string, StandinUser>();
  readonly policies: Json[];
  readonly signIns: Json[] = [];
  /** Every request received (method and path with query), for tests that count calls. */
  readonly requests: string[] = [];
  readonly exclusionGroupId = randomUUID();
  /** Largest page served, whatever $top asks. */
  pageSize = 100;
  private readonly faults: Array<{ status: 429 | 503; retryAfter?: number }> = [];
  private readonly excludingPolicies: Set<string>;
  private server: Server | null = null;
  private port = 0;

  constructor() {
    const { value } = fixture('conditional-access-policies', { exclusionGroupId: this.exclusionGroupId }) as {
      value: Json[];
    };
    // Policies whose fixture excludes the break-glass user exclude every user added later.
    this.excludingPolicies = new Set(
      value.filter((p) => JSON.stringify(p).includes(USER_PLACEHOLDER)).map((p) => String(p.id)),
    );
    this.policies = JSON.parse(JSON.stringify(value).split(`"${USER_PLACEHOLDER}"`).join('')) as Json[];
    for (const policy of this.policies) {
      const users = (policy.conditions as Json).users as { excludeUsers: string[] };
      users.excludeUsers = users.excludeUsers.filter(Boolean);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A user that passes every drift check: enabled, cloud-only, active Global Administrator, FIDO2 key, excluded from CA. */
  addUser(userId: string, upn: string): StandinUser {
    const vars = { userId, upn, exclusionGroupId: this.exclusionGroupId };
    const entry: StandinUser = {
      user: fixture('user', vars),
      roleAssignments: (fixture('role-assignments', vars).value as Json[]).map((a) => ({
        ...a,
        id: `${String(a.id)}-${userId}`,
      })),
      roleEligibilitySchedules: fixture('role-eligibility-schedules', vars).value as Json[],
      authenticationMethods: fixture('authentication-methods', vars).value as Json[],
      transitiveMemberOf: fixture('transitive-member-of', vars).value as Json[],
    };
    this.users.set(userId, entry);
    for (const policy of this.policies) {
      if (this.excludingPolicies.has(String(policy.id)))
        ((policy.conditions as Json).users as { excludeUsers: string[] }).excludeUsers.push(userId);
    }
    return entry;
  }

  /** Puts a sign-in into the log now, whatever its createdDateTime (that is how late arrivals look). */
  injectSignIn(input: InjectSignIn): Json {
    const entry = this.users.get(input.userId);
    const id = input.id ?? randomUUID();
    const createdDateTime = input.createdDateTime ?? new Date().toISOString();
    const signIn = fixture('signin', {
      id,
      createdDateTime,
      userId: input.userId,
      upn: String(entry?.user.userPrincipalName ?? 'unknown@contoso.onmicrosoft.com'),
    });
    const errorCode = input.errorCode ?? 0;
    signIn.status =
      errorCode === 0
        ? { errorCode: 0, failureReason: 'Other.', additionalDetails: null }
        : {
            errorCode,
            failureReason: 'Invalid username or password or Invalid on-premise username or password.',
            additionalDetails: null,
          };
    if (input.ipAddress) signIn.ipAddress = input.ipAddress;
    if (input.appDisplayName) signIn.appDisplayName = input.appDisplayName;
    if (input.conditionalAccessStatus) signIn.conditionalAccessStatus = input.conditionalAccessStatus;
    this.signIns.push(signIn);
    return signIn;
  }

  /** The next `count` Graph calls are answered 429 with Retry-After (seconds). */
  throttle(count: number, retryAfterSeconds: number): void {
    for (let i = 0; i < count; i += 1) this.faults.push({ status: 429, retryAfter: retryAfterSeconds });
  }

  /** The next `count` Graph calls are answered 503 (with Retry-After when given). */
  unavailable(count: number, retryAfterSeconds?: number): void {
    for (let i = 0; i < count; i += 1) this.faults.push({ status: 503, retryAfter: retryAfterSeconds });
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Takes Graph away (connections refused) until start() brings it back on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/_standin/')) {
      this.control(req, res, url);
      return;
    }
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const error = (status: number, kind: string, headers: Record<string, string> = {}) =>
      send(
        status,
        (fixture('errors', { now: new Date().toISOString(), id: randomUUID() }) as Record<string, unknown>)[kind],
        headers,
      );

    if (req.headers.authorization !== `Bearer ${STANDIN_TOKEN}`) return error(401, 'unauthorized');
    const fault = this.faults.shift();
    if (fault)
      return error(
        fault.status,
        fault.status === 429 ? 'throttled' : 'unavailable',
        fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
      );
    if (req.method !== 'GET') return error(404, 'notFound');

    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (path === '/v1.0/auditLogs/signIns')
      return send(200, this.page(url, this.filterSignIns(url.searchParams.get('$filter') ?? '')));
    if (path === '/v1.0/roleManagement/directory/roleAssignments')
      return send(200, this.page(url, this.byPrincipal(url, 'roleAssignments')));
    if (path === '/v1.0/roleManagement/directory/roleEligibilitySchedules')
      return send(200, this.page(url, this.byPrincipal(url, 'roleEligibilitySchedules')));
    if (path === '/v1.0/identity/conditionalAccess/policies') return send(200, this.page(url, this.policies));
    if ((match = /^\/v1\.0\/users\/([^/]+)(\/authentication\/methods|\/transitiveMemberOf)?$/.exec(path))) {
      const entry = this.users.get(decodeURIComponent(match[1]!));
      if (!entry) return error(404, 'notFound');
      if (match[2] === '/authentication/methods') return send(200, this.page(url, entry.authenticationMethods));
      if (match[2] === '/transitiveMemberOf') return send(200, this.page(url, entry.transitiveMemberOf));
      return send(200, entry.user);
    }
    return error(404, 'notFound');
  }

  /** The subset of OData $filter the watch sends: `userId eq '…' and createdDateTime ge <ISO>`. */
  private filterSignIns(filter: string): Json[] {
    const user = /userId eq '([^']*)'/.exec(filter)?.[1];
    const since = /createdDateTime ge (\S+)/.exec(filter)?.[1];
    const sinceMs = since ? Date.parse(since) : -Infinity;
    return this.signIns
      .filter((s) => (user === undefined || s.userId === user) && Date.parse(String(s.createdDateTime)) >= sinceMs)
      .sort((a, b) => Date.parse(String(b.createdDateTime)) - Date.parse(String(a.createdDateTime))); // newest first, as Graph lists them
  }

  private byPrincipal(url: URL, key: 'roleAssignments' | 'roleEligibilitySchedules'): Json[] {
    const principal = /principalId eq '([^']*)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
    return [...this.users.values()]
      .flatMap((entry) => entry[key])
      .filter((item) => principal === undefined || item.principalId === principal);
  }

  /** Server-driven paging: https://learn.microsoft.com/en-us/graph/paging */
  private page(url: URL, items: Json[]): Json {
    const top = Number(url.searchParams.get('$top') ?? this.pageSize);
    const size = Math.max(1, Math.min(top, this.pageSize));
    const offset = Number(url.searchParams.get('$skiptoken') ?? 0);
    const body: Json = {
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${url.pathname.split('/').pop()}`,
      value: items.slice(offset, offset + size),
    };
    if (offset + size < items.length) {
      const next = new URL(url.href);
      next.searchParams.set('$skiptoken', String(offset + size));
      body['@odata.nextLink'] = next.href;
    }
    return body;
  }

  /** Dev-mode controls: `POST /_standin/signins {"userId": "..."}` injects a sign-in; `GET /_standin/tenant` shows the state. */
  private control(req: IncomingMessage, res: ServerResponse, url: URL): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        if (req.method === 'POST' && url.pathname === '/_standin/signins') {
          const input = JSON.parse(body || '{}') as InjectSignIn;
          const userId = input.userId ?? [...this.users.keys()][0];
          if (!userId) throw new Error('no user in the stand-in tenant');
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify(this.injectSignIn({ ...input, userId })));
          return;
        }
        if (req.method === 'GET' && url.pathname === '/_standin/tenant') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(
              JSON.stringify({ users: Object.fromEntries(this.users), policies: this.policies, signIns: this.signIns }),
            );
          return;
        }
        res.writeHead(404).end();
      } catch (error) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  }
}
