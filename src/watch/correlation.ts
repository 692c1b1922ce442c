import type { RequestView } from '../domain/request';
import type { GraphSignIn } from './graph-api';

/**
 * Which release window a sign-in falls into. Pure: the watch activity feeds it the read model
 * of the account's requests and the sign-ins Graph returned.
 */

export interface ReleaseWindow {
  requestId: string;
  fromMs: number;
  /** null while the request is still released (the window is open). */
  toMs: number | null;
}

/** Released until closed, plus a grace period for the session the person already had. */
export function releaseWindow(
  view: Pick<RequestView, 'id' | 'status' | 'releasedAt' | 'closedAt' | 'releaseExpiresAt'>,
  graceMs: number,
): ReleaseWindow | null {
  if (!view.releasedAt) return null;
  const end = view.closedAt ?? (view.status === 'released' ? null : view.releaseExpiresAt);
  return { requestId: view.id, fromMs: Date.parse(view.releasedAt), toMs: end ? Date.parse(end) + graceMs : null };
}

export function matchWindow(windows: ReleaseWindow[], atMs: number): string | null {
  const hit = windows.find((window) => atMs >= window.fromMs && (window.toMs === null || atMs <= window.toMs));
  return hit?.requestId ?? null;
}

/** What a reviewer needs to see about one sign-in; never a token or a password. */
export interface SignInEvidence {
  signInId: string;
  time: string;
  ipAddress: string | null;
  app: string | null;
  location: string | null;
  result: 'success' | 'failure';
  errorCode: number | null;
  failureReason: string | null;
  conditionalAccessStatus: string | null;
  authenticationMethods: string[];
  clientAppUsed: string | null;
  interactive: boolean | null;
}

export function evidenceOf(signIn: GraphSignIn): SignInEvidence {
  const errorCode = signIn.status?.errorCode ?? 0;
  const place = [signIn.location?.city, signIn.location?.state, signIn.location?.countryOrRegion]
    .filter(Boolean)
    .join(', ');
  return {
    signInId: signIn.id,
    time: new Date(signIn.createdDateTime).toISOString(),
    ipAddress: signIn.ipAddress ?? null,
    app: signIn.appDisplayName ?? null,
    location: place || null,
    result: errorCode === 0 ? 'success' : 'failure',
    errorCode,
    failureReason: errorCode === 0 ? null : (signIn.status?.failureReason ?? null),
    conditionalAccessStatus: signIn.conditionalAccessStatus ?? null,
    authenticationMethods: (signIn.authenticationDetails ?? [])
      .map((d) => d.authenticationMethod)
      .filter((m): m is string => Boolean(m)),
    clientAppUsed: signIn.clientAppUsed ?? null,
    interactive: signIn.isInteractive ?? null,
  };
}
