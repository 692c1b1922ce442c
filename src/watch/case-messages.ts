import { defineQuery, defineUpdate } from '@temporalio/workflow';

/**
 * The unexplained-sign-in case: its input, view, messages and who-may-close rule, shared by the
 * case workflow, the API and tests. Sandbox-safe: types, constants and pure functions only.
 */

export const CASE_WORKFLOW_TYPE = 'unexplainedSignIn';
export const caseIdOf = (signInId: string) => `case-${signInId}`;

export interface CaseInput {
  caseId: string;
  accountId: string;
  signInId: string;
  signedInAt: string;
  summary: string;
  /** The account's reviewers when the case opened: they, and only they, may close it. */
  reviewers: string[];
  reviewDue: string;
  reviewReminder: string;
}

export interface CaseView {
  caseId: string;
  accountId: string;
  signInId: string;
  status: 'open' | 'closed';
  openedAt: string;
  dueAt: string;
  reminders: number;
  closedAt: string | null;
  closedBy: string | null;
  explanation: string | null;
}

export interface CloseCaseArgs {
  actor: string;
  explanation: string;
}

export const closeCaseUpdate = defineUpdate<CaseView, [CloseCaseArgs]>('closeCase');
export const caseQuery = defineQuery<CaseView>('case');

export interface CaseRefusal {
  type: 'Forbidden' | 'Conflict';
  reason: string;
}

/** A reviewer of the account closes the case, once, with an explanation. */
export function mayCloseCase(
  view: Pick<CaseView, 'status'>,
  reviewers: string[],
  actor: string,
  explanation: string,
): CaseRefusal | null {
  if (!reviewers.includes(actor))
    return { type: 'Forbidden', reason: 'only a reviewer of the account may close an unexplained-sign-in case' };
  if (view.status !== 'open') return { type: 'Conflict', reason: `the case is ${view.status}` };
  if (explanation.trim().length < 10)
    return { type: 'Conflict', reason: 'an explanation of at least 10 characters is required' };
  return null;
}
