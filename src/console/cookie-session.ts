import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/cookie';
import type { Session, Sessions } from '../auth/sessions';
import { RefusedError } from '../errors';
import { REFUSAL } from '../domain/lifecycle';

/**
 * The console's service session travels in a cookie the page's script cannot read
 * (HttpOnly), only over HTTPS (Secure; browsers treat http://localhost as secure), never on a
 * request another site starts (SameSite=Strict), and only for this host (`__Host-`: no Domain,
 * Path=/). Because a browser attaches it by itself, every state-changing call it authenticates
 * must also prove it comes from the console: the Origin must be the console's, and a header
 * must carry the session's CSRF token, which only the console's own script can learn (from
 * GET /auth/session, readable only same-origin). Bearer callers are not affected.
 */
export const SESSION_COOKIE = '__Host-bg_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Derived from the session token, so it needs no storage and dies with the session; it reveals nothing of the token. */
export const csrfTokenOf = (sessionToken: string) =>
  createHmac('sha256', sessionToken).update('breakglass console csrf v1').digest('base64url');

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeMs: number) {
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply) {
  void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'strict' });
}

export const sessionCookieOf = (request: FastifyRequest): string | undefined =>
  (request as { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];

/** The console's origin: CONSOLE_URL's when configured, else this request's own. */
export function consoleOrigin(request: FastifyRequest, consoleUrl?: string): string {
  return consoleUrl ? new URL(consoleUrl).origin : `${request.protocol}://${request.host}`;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Refuses a state-changing cookie call that does not come from the console's own script. */
export function checkCsrf(request: FastifyRequest, token: string, consoleUrl?: string) {
  if (SAFE_METHODS.has(request.method)) return;
  const refuse = (reason: string) => {
    throw new RefusedError(REFUSAL.forbidden, `${reason}; a cookie-authenticated change must come from the console`);
  };
  if (request.headers.origin !== consoleOrigin(request, consoleUrl))
    refuse('the Origin header is missing or is not the console');
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') refuse(`the request comes from another site (${String(site)})`);
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, csrfTokenOf(token)))
    refuse(`the ${CSRF_HEADER} header is missing or wrong`);
}

/** The session of the cookie, after the CSRF check for a change; a refused change is reported (to be audited) first. */
export async function sessionFromCookie(
  request: FastifyRequest,
  sessions: Sessions,
  consoleUrl: string | undefined,
  onRefused: (principal: string, reason: string) => Promise<void>,
): Promise<Session | null> {
  const token = sessionCookieOf(request);
  if (!token || request.headers.authorization) return null;
  const session = await sessions.authenticate(token);
  try {
    checkCsrf(request, token, consoleUrl);
  } catch (error) {
    if (error instanceof RefusedError) await onRefused(session.principal, error.reason);
    throw error;
  }
  return session;
}
