import { ApplicationFailure, log } from '@temporalio/activity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { FAILURE } from '../src/domain/lifecycle';
import type { RequestView } from '../src/domain/request';
import { appendEvent, markClosed, markReleased, type Closer, type EventDescription } from '../src/domain/view-changes';
import { sealAllVersions, unsealLatest } from '../src/keyvault/seal';
import type { RecordEventInput } from './types';

/** The request as it stands before the change, and where the change is recorded. */
export interface EffectInput {
  secretName: string;
  /** The view before the change; the event is its next version. */
  view: RequestView;
}

export interface ReleaseInput extends EffectInput {
  /** The approval that authorises the release, recorded first (its view is the one given). */
  approval?: RecordEventInput;
}

export interface CloseInput extends EffectInput {
  closer: Closer;
}

export interface EffectResult {
  /** When the side effect succeeded: the time of the event and of the state it starts. */
  at: string;
  changedVersions: string[];
}

/**
 * A side effect on the secret and the event that records it, in one local activity: the event is
 * stamped with the time the effect succeeded (the release window and the review delay start
 * then), and is recorded only once it did. One task instead of two on the path a person waits on.
 * The effects are idempotent, so a retry after the effect but before the record does no harm.
 */
export function createEffectActivities(deps: {
  secrets: SecretClient;
  recordEvent: (input: RecordEventInput) => Promise<{ at: string }>;
}) {
  /** Records the change stamped `at`; answers the time that stands (see below). */
  async function record(
    before: RequestView,
    at: string,
    change: (view: RequestView, stamp: string) => EventDescription,
  ): Promise<string> {
    const write = async (stamp: string) => {
      const view = structuredClone(before);
      const event = change(view, stamp);
      appendEvent(view, event.action, event.actor, stamp, event.details);
      return deps.recordEvent({
        eventId: `${view.id}:${view.version}`,
        at: stamp,
        actor: event.actor,
        action: event.action,
        requestId: view.id,
        accountId: view.accountId,
        details: event.details,
        view,
        alert: event.alert,
      });
    };
    const recorded = await write(at);
    if (recorded.at === at) return at;
    // A worker that died after recording this event stamped it first, and the trail and its alert
    // say that time: the view is made to agree, so the window enforced is the one audited.
    await write(recorded.at);
    return recorded.at;
  }

  /** Errors of the record that follows a good re-seal, told apart from a failing re-seal. */
  async function recordAfterSeal(work: () => Promise<string>): Promise<string> {
    try {
      return await work();
    } catch (error) {
      throw ApplicationFailure.retryable(`sealed, but not recorded: ${(error as Error).message}`, FAILURE.recordFailed);
    }
  }

  return {
    async releaseCredential({ secretName, view, approval }: ReleaseInput): Promise<EffectResult> {
      if (approval) await deps.recordEvent(approval);
      const changedVersions = await unsealLatest(deps.secrets, secretName);
      log.info('secret unsealed', { secretName, changedVersions: changedVersions.length });
      const at = await record(view, new Date().toISOString(), (draft, stamp) =>
        markReleased(draft, stamp, changedVersions),
      );
      return { at, changedVersions };
    },

    async resealAndClose({ secretName, view, closer }: CloseInput): Promise<EffectResult> {
      let changedVersions: string[];
      try {
        changedVersions = await sealAllVersions(deps.secrets, secretName);
      } catch (error) {
        throw ApplicationFailure.retryable(
          `re-seal of ${secretName} failed: ${(error as Error).message}`,
          FAILURE.sealFailed,
        );
      }
      log.info('secret sealed', { secretName, changedVersions: changedVersions.length });
      const at = await recordAfterSeal(() =>
        record(view, new Date().toISOString(), (draft, stamp) => markClosed(draft, stamp, closer)),
      );
      return { at, changedVersions };
    },
  };
}
