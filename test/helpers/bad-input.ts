import type { Test } from 'tap';
import { setupApi, type ApiHarness } from './api';
import { eventually } from './wait';

/**
 * Shared by the bad-input tests (test/routes/v1/bad-input-*.test.ts): a real API over HTTP, counts
 * of everything a request can leave behind, and the checks of a problem+json answer.
 */

export const ADMIN = ['BreakGlass.Admin'];
export const LONG_POLICY = {
  approvalTimeout: 'PT1H',
  releaseWindow: 'PT10M',
  reviewDue: 'PT1H',
  reviewReminder: 'PT1H',
};
const STACK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|"stack"/;

interface Snapshot {
  requests: number;
  accounts: number;
  audit: number;
  idempotencyKeys: number;
}

export type Response = Awaited<ReturnType<ApiHarness['call']>>;

export function badInputKit(t: Test) {
  let api: ApiHarness;
  t.before(async () => {
    api = await setupApi(t);
  });

  async function snapshot(): Promise<Snapshot> {
    const requests = await api.h.requests.list(api.h.pool, { visibleTo: null, limit: 100 });
    const accounts = await api.h.accounts.list(api.h.pool);
    const audit = await api.h.audit.list(api.h.pool, { limit: 100_000 });
    const { rows } = await api.h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys');
    return { requests: requests.length, accounts: accounts.length, audit: audit.length, idempotencyKeys: rows[0]!.n };
  }

  /** Counts once background work (workflow projections, audit appends) has gone quiet. */
  async function settled(): Promise<Snapshot> {
    let last = await snapshot();
    return eventually('a quiet database', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const next = await snapshot();
      const same = JSON.stringify(next) === JSON.stringify(last);
      last = next;
      return same && next;
    });
  }

  async function leavesNothing(t: Test, work: () => Promise<void>) {
    const before = await settled();
    await work();
    const after = await settled();
    t.same(after, before, 'nothing was left behind (requests, accounts, audit rows, idempotency keys)');
  }

  /** A problem+json answer with `status`; for 400s, `errors[]` that name each of `paths`. */
  function problem(t: Test, res: Response, status: number, paths: string[], label: string) {
    t.equal(
      res.status,
      status,
      `${label}: ${status}${res.status !== status ? ` (got ${res.text.slice(0, 300)})` : ''}`,
    );
    t.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${label}: problem+json`);
    t.equal(res.body?.status, status, `${label}: problem status`);
    t.type(res.body?.title, 'string', `${label}: problem title`);
    t.type(res.body?.detail, 'string', `${label}: problem detail`);
    t.notMatch(res.text, STACK, `${label}: no stack trace`);
    if (paths.length) {
      const errors = (res.body?.errors ?? []) as Array<{ path: unknown; message: unknown }>;
      t.ok(Array.isArray(res.body?.errors) && errors.length > 0, `${label}: errors[] present`);
      t.ok(
        errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0),
        `${label}: each error has a path and a message`,
      );
      const found = errors.map((e) => e.path);
      for (const path of paths) t.ok(found.includes(path), `${label}: names ${path} (named: ${found.join(', ')})`);
    }
  }

  /** A raw request: for content types and bodies that api.call would rewrite. */
  async function raw(
    method: string,
    path: string,
    init: { as: string; roles?: string[]; headers?: Record<string, string>; body?: string | Buffer },
  ) {
    const token = await api.token(init.as, init.roles);
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
      body: init.body,
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  async function newAccount() {
    const { account } = await api.h.createAccount({ policy: LONG_POLICY });
    return account;
  }

  return { api: () => api, snapshot, settled, leavesNothing, problem, raw, newAccount };
}
