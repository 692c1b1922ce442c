import pg from 'pg';
import type { Pool } from './pool';
import type { RequestsRepository } from './requests-repository';

/** The channel migration 010's triggers announce changes on (payload `<schema>:r:<id>`, `<schema>:a`). */
export const READ_CHANNEL = 'breakglass_reads';

export type RequestForRead = NonNullable<Awaited<ReturnType<RequestsRepository['getForRead']>>>;

export interface RequestReadCacheOptions {
  url: string;
  schema: string;
  /** Requests kept; the oldest filled goes first. */
  maxEntries?: number;
  /** How often the listener sends itself a notification, to prove its connection alive. */
  pingMs?: number;
  /** Cached reads are answered only while the listener has heard something this recently; a listener silent this long is replaced. */
  silenceMs?: number;
  /** No read is answered from the cache once it is this old, whatever was heard (a change that fired no trigger). */
  maxAgeMs?: number;
  /** Wait before connecting again after the listener's connection is lost. */
  reconnectMs?: number;
  log?: (message: string) => void;
}

/**
 * Recent reads of GET /v1/requests/:id (the view and who may see it), dropped when PostgreSQL
 * announces a change to the row or to any account's members (migration 010), so the console's
 * polling of one request during an incident costs no query.
 *
 * A cached read is never older than what the database has committed, give or take the time a
 * notification takes to arrive: a read filled while any notification was processed is not kept
 * (a notification is sent only once its change is visible to new queries, so a read that started
 * after it sees the change); a ping goes through the pool every second, and the cache answers
 * only while the listener has heard something within the last three, so a listener that no
 * longer hears writers stops the cache within three seconds (and is replaced); a lost
 * connection drops everything at once, and so does a new one (what it missed is unknown). No
 * entry is answered past 30 s, for a change that fired no trigger (triggers disabled, a restore).
 * When the listener is not live, every read is a query, as it is without the cache.
 */
export function createRequestReadCache(pool: Pool, requests: RequestsRepository, options: RequestReadCacheOptions) {
  const maxEntries = options.maxEntries ?? 1_000;
  const pingMs = options.pingMs ?? 1_000;
  const silenceMs = options.silenceMs ?? 3_000;
  const reconnectMs = options.reconnectMs ?? 1_000;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const prefix = `${options.schema}:`;
  const entries = new Map<string, { row: RequestForRead; at: number }>();
  // Moves on every drop: a read that saw it move while its query ran does not keep its answer.
  let generation = 0;
  let heardAt = Number.NEGATIVE_INFINITY;
  let listener: pg.Client | null = null;
  // Connected but not yet listening: stop() ends it too.
  let connecting: pg.Client | null = null;
  let listenerPid: number | null = null;
  let stopped = true;
  let pinger: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let inOutage = false;
  let listeningSince = 0;
  let replaceSilent: (() => void) | undefined;

  // A monotonic clock: a step of the wall clock must not stretch the silence allowed.
  const now = () => performance.now();
  const live = () => listener !== null && now() - heardAt < silenceMs;

  function dropAll() {
    entries.clear();
    generation += 1;
  }

  function forget(id: string) {
    entries.delete(id);
    generation += 1;
  }

  function heard(payload: string) {
    // Another deployment's (schema's) traffic on the shared channel says nothing of this one's.
    if (!payload.startsWith(prefix)) return;
    // After a silence the cache was not answering; start again from nothing.
    if (now() - heardAt >= silenceMs) dropAll();
    heardAt = now();
    const change = payload.slice(prefix.length);
    if (change.startsWith('r:')) forget(change.slice(2));
    else if (change === 'a') dropAll();
  }

  /**
   * Sent through the pool, the way every write reaches PostgreSQL, so hearing it shows that
   * writers' notifications reach this listener (not only that its own session hears itself).
   * A listener silent past the limit is replaced: a connection that died without a word (a
   * dropped route) would otherwise keep the cache off, unannounced, until TCP gives up.
   */
  function ping() {
    if (!listener) return;
    if (now() - heardAt >= silenceMs && now() - listeningSince >= silenceMs) {
      replaceSilent?.();
      return;
    }
    pool.query('SELECT pg_notify($1, $2)', [READ_CHANNEL, `${prefix}ping`]).catch(() => {
      // A ping that fails is a ping not heard: the cache stops answering on its own.
    });
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'breakglass-read-cache',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
    });
    let gone = false;
    let wasListening = false;
    const lost = (error?: Error) => {
      if (gone) return;
      gone = true;
      if (listener === client) {
        listener = null;
        replaceSilent = undefined;
      }
      dropAll();
      client.end().catch(() => {});
      if (!stopped) {
        // Said once per outage, not on every attempt to connect again.
        if (wasListening) {
          inOutage = true;
          options.log?.(`read cache: listener connection lost (${error?.message ?? 'ended'}); reads go to PostgreSQL`);
        }
        reconnect ??= setTimeout(() => {
          reconnect = undefined;
          void connect();
        }, reconnectMs).unref();
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => heard(message.payload ?? ''));
    connecting = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${READ_CHANNEL}`);
      listenerPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    } catch (error) {
      lost(error as Error);
      return;
    } finally {
      connecting = null;
    }
    if (stopped || gone) {
      await client.end().catch(() => {});
      return;
    }
    listener = client;
    listeningSince = now();
    replaceSilent = () => {
      // pg has no public way to drop a socket that hangs; end() would wait on it.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      lost(new Error(`nothing heard for ${silenceMs} ms`));
    };
    wasListening = true;
    if (inOutage) options.log?.('read cache: listening again');
    inOutage = false;
    dropAll();
    ping();
  }

  return {
    /** The request and its account's members, from the cache while it is live, else one query. */
    async read(id: string): Promise<RequestForRead | null> {
      const useCache = live();
      if (useCache) {
        const hit = entries.get(id);
        if (hit && now() - hit.at < maxAgeMs) return hit.row;
      }
      const before = generation;
      const row = await requests.getForRead(pool, id);
      if (row && useCache && generation === before && live()) {
        entries.delete(id);
        entries.set(id, { row, at: now() });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      }
      return row;
    },

    /** This process changed the request: the next read queries, whatever the notification's timing. */
    forget,
    /** This process changed an account's members: likewise for every request. */
    forgetAll: dropAll,

    start() {
      if (!stopped) return;
      stopped = false;
      pinger = setInterval(ping, pingMs).unref();
      void connect();
    },

    async stop() {
      stopped = true;
      clearInterval(pinger);
      clearTimeout(reconnect);
      reconnect = undefined;
      const clients = [listener, connecting].filter((client): client is pg.Client => client !== null);
      listener = null;
      dropAll();
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
    },

    state: () => ({ live: live(), entries: entries.size, listenerPid: listener ? listenerPid : null }),
  };
}

export type RequestReadCache = ReturnType<typeof createRequestReadCache>;
