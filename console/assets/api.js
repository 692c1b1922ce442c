/**
 * Every call goes to the service's JSON API with the session cookie (sent by the browser, never
 * read by this script) and, for a change, the session's CSRF token in a header.
 */
export const session = { signedIn: false };

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `the service answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function loadSession() {
  const response = await fetch('/auth/session', { credentials: 'same-origin', cache: 'no-store' });
  Object.keys(session).forEach((key) => delete session[key]);
  Object.assign(session, await response.json());
  return session;
}

export async function api(method, path, body, headers = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { accept: 'application/json', ...headers },
  };
  if (method !== 'GET') init.headers['x-csrf-token'] = session.csrfToken ?? '';
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && session.signedIn && !path.startsWith('/auth/')) {
    // The session ended (idle, revoked, expired): the sign-in page replaces this one, and the call never settles.
    session.signedIn = false;
    window.dispatchEvent(new CustomEvent('breakglass:signed-out', { detail: data?.detail }));
    return new Promise(() => {});
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const isAdmin = () => (session.roles ?? []).includes('BreakGlass.Admin');
export const isAuditor = () => (session.roles ?? []).includes('BreakGlass.Auditor');
