/**
 * A small Microsoft Graph client over fetch: a token provider, paging through @odata.nextLink,
 * 429/503 answered by waiting Retry-After (bounded), and a timeout on every call.
 * Plain fetch rather than @microsoft/microsoft-graph-client: we call six GET endpoints, and the
 * middleware we need (retry, paging) is a few lines we can test against the stand-in.
 */

export type TokenProvider = () => Promise<string>;

export interface GraphClientOptions {
  /** The Graph root, e.g. https://graph.microsoft.com (no version segment). */
  baseUrl: string;
  token: TokenProvider;
  /** Per HTTP call. */
  timeoutMs?: number;
  /** How many times a throttled (429) or unavailable (503) answer is retried. */
  maxRetries?: number;
  /** Retry-After above this is not waited for: the call fails and the next run tries again. */
  maxRetryAfterMs?: number;
  /** Safety bound on paging. */
  maxPages?: number;
}

/** Graph could not be read: unreachable, timed out, throttled for too long, or answered an error. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const RETRYABLE = new Set([429, 503]);

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function createGraphClient(options: GraphClientOptions) {
  const base = new URL(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const maxPages = options.maxPages ?? 50;

  async function fetchJson(url: URL): Promise<unknown> {
    // The token goes only to the configured Graph origin, never to a host a response names.
    if (url.origin !== base.origin)
      throw new GraphError(`refusing to follow a link to ${url.origin} (not ${base.origin})`, null, 'ForeignLink');
    for (let attempt = 0; ; attempt += 1) {
      const token = await options.token();
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new GraphError(`Graph unreachable (${url.pathname}): ${(error as Error).message}`, null, 'Unreachable');
      }
      if (response.ok) return response.json();
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      const code = body?.error?.code ?? null;
      if (RETRYABLE.has(response.status) && attempt < maxRetries) {
        // Without Retry-After, back off exponentially from one second.
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? 1000 * 2 ** attempt;
        if (wait <= maxRetryAfterMs) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
      }
      throw new GraphError(
        `Graph answered ${response.status}${code ? ` ${code}` : ''} for ${url.pathname}`,
        response.status,
        code,
      );
    }
  }

  const resolve = (path: string, query: Record<string, string> = {}) => {
    const url = new URL(path.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  };

  return {
    /** One resource. */
    async get<T>(path: string, query?: Record<string, string>): Promise<T> {
      return (await fetchJson(resolve(path, query))) as T;
    },

    /** Every item of a collection, following @odata.nextLink. */
    async list<T>(path: string, query?: Record<string, string>): Promise<T[]> {
      const items: T[] = [];
      let next: URL | null = resolve(path, query);
      for (let page = 0; next; page += 1) {
        if (page >= maxPages) throw new GraphError(`more than ${maxPages} pages at ${path}`, null, 'TooManyPages');
        const body = (await fetchJson(next)) as { value?: T[]; '@odata.nextLink'?: string };
        items.push(...(body.value ?? []));
        next = body['@odata.nextLink'] ? new URL(body['@odata.nextLink']) : null;
      }
      return items;
    },
  };
}

export type GraphClient = ReturnType<typeof createGraphClient>;
