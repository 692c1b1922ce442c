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
  /** Cached reads are answered only while the listener has heard something this recently. */
  silenceMs?: number;
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
 * after it sees the change); the listener pings itself every second, and the cache answers only
 * while it has heard something within the last three, so a connection that died without a word
 * stops the cache within three seconds; a lost connection drops everything at once, and so does
 * a new one (what it missed is unknown). When the listener is not live, every read is a query,
 * as it is without the cache.
 */
export function createRequestReadCache(pool: Pool, requests: RequestsRepository, options: RequestReadCacheOptions) {
  const maxEntries = options.maxEntries ?? 1_000;
  const pingMs = options.pingMs ?? 1_000;
  const silenceMs = options.silenceMs ?? 3_000;
  const reconnectMs = options.reconnectMs ?? 1_000;
  const prefix = `${options.schema}:`;
  const entries = new Map<string, RequestForRead>();
  // Moves on every drop: a read that saw it move while its query ran does not keep its answer.
  let generation = 0;
  let heardAt = Number.NEGATIVE_INFINITY;
  let listener: pg.Client | null = null;
  let listenerPid: number | null = null;
  let stopped = true;
  let pinger: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let inOutage = false;

  const live = () => listener !== null && Date.now() - heardAt < silenceMs;

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
    if (Date.now() - heardAt >= silenceMs) dropAll();
    heardAt = Date.now();
    const change = payload.slice(prefix.length);
    if (change.startsWith('r:')) forget(change.slice(2));
    else if (change === 'a') dropAll();
  }

  const ping = () =>
    listener?.query('SELECT pg_notify($1, $2)', [READ_CHANNEL, `${prefix}ping`]).catch(() => {
      // A ping that fails is a ping not heard: the cache stops answering on its own.
    });

  async function connect(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'breakglass-read-cache',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
    });
    let gone = false;
    let wasListening = false;
    const lost = (error?: Error) => {
      if (gone) return;
      gone = true;
      if (listener === client) listener = null;
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
    try {
      await client.connect();
      await client.query(`LISTEN ${READ_CHANNEL}`);
      listenerPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (stopped || gone) {
      await client.end().catch(() => {});
      return;
    }
    listener = client;
    wasListening = true;
    if (inOutage) options.log?.('read cache: listening again');
    inOutage = false;
    dropAll();
    void ping();
  }

  return {
    /** The request and its account's members, from the cache while it is live, else one query. */
    async read(id: string): Promise<RequestForRead | null> {
      const useCache = live();
      if (useCache) {
        const hit = entries.get(id);
        if (hit) return hit;
      }
      const before = generation;
      const row = await requests.getForRead(pool, id);
      if (row && useCache && generation === before && live()) {
        entries.set(id, row);
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
      pinger = setInterval(() => void ping(), pingMs).unref();
      void connect();
    },

    async stop() {
      stopped = true;
      clearInterval(pinger);
      clearTimeout(reconnect);
      reconnect = undefined;
      const client = listener;
      listener = null;
      dropAll();
      await client?.end().catch(() => {});
    },

    state: () => ({ live: live(), entries: entries.size, listenerPid: listener ? listenerPid : null }),
  };
}

export type RequestReadCache = ReturnType<typeof createRequestReadCache>;
