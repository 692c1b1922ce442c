import { durationToMs } from './durations';
import type { BreakglassInput, RequestView } from './request';

/** The request as it stands at creation: written by the API before the workflow starts, and the workflow's first state. */
export function initialView(input: BreakglassInput): RequestView {
  return {
    id: input.requestId,
    accountId: input.accountId,
    requester: input.requester,
    scenario: input.scenario,
    justification: input.justification,
    incidentRef: input.incidentRef,
    status: 'pending_approval',
    createdAt: input.createdAt,
    policy: input.policy,
    approvals: [],
    requiredApprovals: input.policy.requiredApprovals,
    approvalExpiresAt: new Date(Date.parse(input.createdAt) + durationToMs(input.policy.approvalTimeout)).toISOString(),
    releasedAt: null,
    releaseExpiresAt: null,
    revealCount: 0,
    closedAt: null,
    closedBy: null,
    closeSummary: null,
    reviewDueAt: null,
    review: null,
    cancelledBy: null,
    cancelReason: null,
    timeline: [],
    version: 0,
  };
}
