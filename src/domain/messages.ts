import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Approval, RequestView, ReviewFields } from './request';

/** The workflow's messages, shared by workflow and client so names and payloads cannot drift. */

export interface DecideArgs {
  actor: string;
  decision: Approval['decision'];
  comment: string | null;
}

export interface CancelArgs {
  actor: string;
  isAdmin: boolean;
  reason: string | null;
}

export interface RevealArgs {
  actor: string;
}

/** What the API needs to fetch the credential itself: the value never passes through Temporal. */
export interface RevealGrant {
  secretName: string;
  releaseExpiresAt: string;
}

export interface CloseArgs {
  actor: string;
  isAdmin: boolean;
  summary: string;
}

export type ReviewArgs = ReviewFields & { actor: string };

/** Answers once the creation is in the audit trail and read model (or refused: the account is busy). */
export const creationUpdate = defineUpdate<RequestView, []>('awaitCreation');
export const decideUpdate = defineUpdate<RequestView, [DecideArgs]>('decide');
export const cancelUpdate = defineUpdate<RequestView, [CancelArgs]>('cancel');
export const authorizeRevealUpdate = defineUpdate<RevealGrant, [RevealArgs]>('authorizeReveal');
export const closeUpdate = defineUpdate<RequestView, [CloseArgs]>('close');
export const reviewUpdate = defineUpdate<RequestView, [ReviewArgs]>('review');
export const stateQuery = defineQuery<RequestView>('state');
