import type { RequestView } from '../domain/request';
import type { Observation } from './watch-repository';

/**
 * A drill is a request with scenario `drill` through the same two-person path. It succeeded when
 * it was released, the credential revealed, a successful sign-in of the account observed inside
 * the window, the session closed and the review completed. Pure: fed from the read model.
 */

export interface DrillEvidence {
  requestId: string;
  status: string;
  successful: boolean;
  /** Which of the five steps are missing, in order; empty when successful. */
  missing: string[];
  requester: string;
  approvers: string[];
  reviewer: string | null;
  createdAt: string;
  releasedAt: string | null;
  firstSignInAt: string | null;
  closedAt: string | null;
  reviewedAt: string | null;
  secondsToRelease: number | null;
  secondsToSignIn: number | null;
  secondsToClose: number | null;
}

const seconds = (from: string, to: string | null) =>
  to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : null;

export function drillEvidence(view: RequestView, signIns: Observation[]): DrillEvidence {
  const firstSignIn = signIns
    .filter((o) => o.requestId === view.id && o.succeeded)
    .sort((a, b) => a.signedInAt.localeCompare(b.signedInAt))[0];
  const steps: Array<[string, boolean]> = [
    ['released', view.releasedAt !== null],
    ['revealed', view.revealCount > 0],
    ['sign-in observed', firstSignIn !== undefined],
    ['closed', view.closedAt !== null],
    ['reviewed', view.status === 'completed' && view.review !== null],
  ];
  const missing = steps.filter(([, done]) => !done).map(([step]) => step);
  return {
    requestId: view.id,
    status: view.status,
    successful: missing.length === 0,
    missing,
    requester: view.requester,
    approvers: view.approvals.filter((a) => a.decision === 'approve').map((a) => a.approver),
    reviewer: view.review?.reviewer ?? null,
    createdAt: view.createdAt,
    releasedAt: view.releasedAt,
    firstSignInAt: firstSignIn?.signedInAt ?? null,
    closedAt: view.closedAt,
    reviewedAt: view.review?.at ?? null,
    secondsToRelease: seconds(view.createdAt, view.releasedAt),
    secondsToSignIn: view.releasedAt ? seconds(view.releasedAt, firstSignIn?.signedInAt ?? null) : null,
    secondsToClose: view.releasedAt ? seconds(view.releasedAt, view.closedAt) : null,
  };
}

/** When the last successful drill ended (its review), or null. */
export function lastSuccessful(drills: DrillEvidence[]): DrillEvidence | null {
  return (
    drills.filter((d) => d.successful).sort((a, b) => (b.reviewedAt ?? '').localeCompare(a.reviewedAt ?? ''))[0] ?? null
  );
}

export const DRILL_CSV_COLUMNS = [
  'requestId',
  'status',
  'successful',
  'missing',
  'requester',
  'approvers',
  'reviewer',
  'createdAt',
  'releasedAt',
  'firstSignInAt',
  'closedAt',
  'reviewedAt',
  'secondsToRelease',
  'secondsToSignIn',
  'secondsToClose',
] as const;

/** RFC 4180: every field quoted, quotes doubled; a leading formula character is neutralised for spreadsheet users. */
const field = (value: unknown) => {
  const text = Array.isArray(value) ? value.join(' ') : value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function drillsCsv(drills: DrillEvidence[]): string {
  const lines = [
    DRILL_CSV_COLUMNS.join(','),
    ...drills.map((d) => DRILL_CSV_COLUMNS.map((column) => field(d[column])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
