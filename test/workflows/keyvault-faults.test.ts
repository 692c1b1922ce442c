import t from 'tap';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { setupApi, type ApiHarness } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';
import { FAULT_KINDS, setFault, type FaultKind } from '../helpers/keyvault-faults';
import { eventually } from '../helpers/wait';

/**
 * Key Vault refusing the service (401, 403 ForbiddenByRbac / ForbiddenByPolicy, 429, 503), injected
 * per secret with the emulator's fault switch, while a credential is released:
 * - a reveal answers a clear 503 naming Key Vault within a few seconds (the SDK's own retries are bounded);
 * - the re-seal at window end keeps retrying, raises the critical alert, and holds once the fault clears;
 * - nothing is lost: the trail verifies and tells the story in order, the secret ends disabled.
 */

t.jobs = FAULT_KINDS.length;

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

const who = (id: string) => ({ id, isAdmin: false });
/** A Retry-After far beyond what one call may wait: the reveal must still answer at once. */
const RETRY_AFTER: Partial<Record<FaultKind, number>> = { throttled: 30, unavailable: 30 };

for (const fault of FAULT_KINDS) {
  void t.test(
    `${fault}: reveal answers 503 naming Key Vault; the re-seal retries, alerts, and holds once the fault clears`,
    async (t) => {
      const { h } = api;
      const requester = `requester-${fault}`;
      const { account } = await h.createAccount({
        policy: { releaseWindow: 'PT8S', reviewDue: 'PT1H' },
        members: { requesters: [requester] },
      });
      const created = await h.lifecycle.create(who(requester), {
        accountId: account.id,
        scenario: 'drill',
        justification: `Key Vault ${fault} drill`,
        incidentRef: null,
      });
      await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
      const released = await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
      t.equal(released.status, 'released');

      await setFault(
        h.stack,
        account.secretName,
        fault,
        RETRY_AFTER[fault] === undefined ? {} : { retryAfterSeconds: RETRY_AFTER[fault] },
      );
      const started = Date.now();
      const reveal = await api.call('POST', `/v1/requests/${created.id}/reveal`, { as: requester });
      const revealMs = Date.now() - started;
      t.equal(reveal.status, 503, 'reveal: 503');
      t.match(reveal.headers.get('content-type'), /^application\/problem\+json/);
      t.equal(reveal.body.dependency, 'keyvault', 'names the dependency');
      t.match(reveal.body.detail, /Key Vault/, `detail names Key Vault: ${String(reveal.body.detail)}`);
      t.notMatch(reveal.text, new RegExp(account.secretName), 'the answer does not echo Key Vault internals');
      t.ok(revealMs < 5_000, `answered within 5 s (${revealMs} ms)`);
      t.comment(`${fault}: reveal answered 503 in ${revealMs} ms`);

      // The window ends under the fault: the re-seal fails, alerts, and keeps the request released.
      const alert = await eventually(
        'reseal_failed alert',
        () => h.sink.of(created.id).find((a) => a.type === 'credential.reseal_failed'),
        45_000,
      );
      t.equal(alert.severity, 'critical', 'critical alert');
      t.comment(
        `${fault}: reseal_failed alert ${Date.now() - Date.parse(released.releaseExpiresAt!)} ms after window end`,
      );
      // Keeps retrying: the workflow runs the re-seal again after the failed one (the activity's own retries are inside each).
      const resealsScheduled = async () => {
        const history = await h.temporal.workflow.getHandle(created.id).fetchHistory();
        // The seal runs as a local activity (with the close's record since resealAndClose): each attempt
        // that finished is a marker naming it.
        return (history.events ?? []).filter((event) => {
          const details = event.markerRecordedEventAttributes?.details;
          return Object.values(details ?? {}).some((payloads) =>
            (payloads.payloads ?? []).some((payload) =>
              /sealSecret|resealAndClose/.test(Buffer.from(payload.data ?? []).toString('utf8')),
            ),
          );
        }).length;
      };
      t.ok(
        await eventually('a second re-seal under the fault', async () => (await resealsScheduled()) >= 2, 45_000),
        're-seal retried under the fault',
      );
      t.equal(
        (await h.requests.get(h.pool, created.id))?.status,
        'released',
        'not reported closed while the seal does not hold',
      );

      await setFault(h.stack, account.secretName, null);
      const cleared = Date.now();
      const closed = await eventually(
        'awaiting_review after the fault clears',
        async () => {
          const view = await h.requests.get(h.pool, created.id);
          return view?.status === 'awaiting_review' && view;
        },
        60_000,
      );
      t.comment(`${fault}: re-sealed and closed ${Date.now() - cleared} ms after the fault cleared`);
      t.equal(closed.closedBy, 'system', 'closed by the window end');
      const sealed = await h.secrets.getSecret(account.secretName).then(
        () => false,
        (error: unknown) => isSecretDisabledError(error),
      );
      t.ok(sealed, 'Key Vault refuses the secret: sealed');
      for await (const version of h.secrets.listPropertiesOfSecretVersions(account.secretName))
        t.equal(version.enabled, false, `version ${version.version} disabled`);

      const actions = closed.timeline.map((entry) => entry.action);
      const story = actions.filter((action) =>
        ['request.created', 'request.approved', 'credential.released', 'session.closed'].includes(action),
      );
      t.same(
        story,
        ['request.created', 'request.approved', 'request.approved', 'credential.released', 'session.closed'],
        'the trail tells the story in order',
      );
      t.equal(
        new Set(closed.timeline.map((entry) => JSON.stringify(entry))).size,
        closed.timeline.length,
        'no event twice',
      );
      const chain = await h.audit.verify(h.pool);
      t.equal(chain.ok, true, `the audit chain verifies (${chain.events} events)`);
    },
  );
}
