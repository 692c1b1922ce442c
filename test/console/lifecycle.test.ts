import t from 'tap';
import { PEOPLE } from '../helpers/harness';
import { axeViolations, setupConsole, shoot, signInWithOidc, tabTo, waitForStatus } from '../helpers/console';

/**
 * The whole lifecycle by four people in four browsers (plus an admin for the audit page),
 * through the dev provider's real OIDC login: request, approval from the alert's link (one
 * of them at 390 × 844 by keyboard only), reveal, close, review, and the verified audit chain.
 */
void t.test('four people in four browsers, from the request to the verified audit trail', async (t) => {
  const world = await setupConsole(t);
  const { h } = world.api;
  const { account, secretValue } = await h.createAccount({
    policy: { approvalTimeout: 'PT10M', releaseWindow: 'PT10M', reviewDue: 'PT1H', reviewReminder: 'PT30M' },
  });
  const checked: string[] = [];
  const accessible = async (page: import('playwright-core').Page, name: string) => {
    await shoot(page, name);
    t.same(await axeViolations(page), [], `${name}: no serious or critical accessibility violation`);
    checked.push(name);
  };

  // The requester.
  const alice = (await world.person()).page;
  await alice.goto('/');
  await accessible(alice, 'signin');
  await signInWithOidc(alice, PEOPLE.requester);
  await accessible(alice, 'home-requester');
  await alice.getByRole('link', { name: 'New request' }).click();
  await alice.getByText('Needs 2 approvals within PT10M').waitFor();
  await alice.getByLabel('Scenario').selectOption('mfa_outage');
  await alice.getByLabel('Justification').fill('MFA provider outage; every admin is locked out.');
  await alice.getByLabel('Incident reference (optional)').fill('INC-4711');
  await accessible(alice, 'new-request');
  await alice.getByRole('button', { name: 'Request access' }).click();
  await alice.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
  const requestId = alice.url().split('/').pop()!;
  await alice.getByText('Approval expires in').waitFor();
  t.match(
    await alice.locator('.countdown').first().innerText(),
    /\d+ min \d\d s/,
    'a live countdown to the approval expiry',
  );
  t.equal(await alice.getByRole('button', { name: 'Approve' }).count(), 0, 'the requester is not offered Approve');
  await alice.getByText('Actions not offered to you, and why').click();
  t.equal(
    await alice.locator('.refusals li').first().innerText(),
    'Approve: the requester cannot approve or deny their own request',
  );
  t.pass("the refused action is shown with the service's reason");
  await accessible(alice, 'request-pending');

  // The first approver follows the alert's link: sign-in, then the approve button.
  const created = await waitFor(() =>
    h.sink.raw.find((d) => d.json.type === 'request.created' && d.json.requestId === requestId),
  );
  const link = String(created.json.link);
  t.equal(link, `${world.url}/requests/${requestId}`, 'the alert links to the request in the console');
  const bobContext = await world.person();
  const bob = bobContext.page;
  const openedAt = performance.now();
  await bob.goto(link);
  await signInWithOidc(bob, PEOPLE.approver1, new URL(link).pathname);
  await bob.waitForURL(link);
  // A second tab opened before the approval: its Approve button becomes stale.
  const staleTab = await bobContext.context.newPage();
  await staleTab.goto(link);
  await staleTab.getByRole('button', { name: 'Approve' }).waitFor();
  const clickedAt = performance.now();
  await bob.getByRole('button', { name: 'Approve' }).click();
  await bob.getByText('Approve: done.').waitFor();
  const approvedMs = performance.now() - openedAt;
  const clickMs = performance.now() - clickedAt;
  const recorded = await h.requests.get(h.pool, requestId);
  t.same(
    recorded?.approvals.map((a) => [a.approver, a.decision]),
    [[PEOPLE.approver1, 'approve']],
    'the approval is recorded',
  );
  t.comment(`alert link opened to approval recorded (OIDC sign-in included): ${approvedMs.toFixed(0)} ms`);
  t.comment(`of which the Approve click to the page showing it recorded: ${clickMs.toFixed(0)} ms`);
  await staleTab.getByRole('button', { name: 'Approve' }).click();
  await staleTab.getByText('Approve refused: you have already decided on this request').waitFor();
  t.pass("a refusal from the service is shown in the service's words");
  await accessible(staleTab, 'request-refused');

  // The second approver, on a 390 × 844 phone, by keyboard only.
  const carol = (await world.person({ width: 390, height: 844 })).page;
  await carol.goto(link);
  await tabTo(carol, 'Sign in with your organisation account');
  await carol.keyboard.press('Enter');
  await carol.locator('input[name=login]').waitFor();
  await carol.keyboard.type(PEOPLE.approver2);
  await carol.keyboard.press('Tab');
  await carol.keyboard.type('any');
  await carol.keyboard.press('Enter');
  await carol.waitForURL(link);
  await carol.getByRole('button', { name: 'Approve' }).waitFor();
  t.ok(
    await carol.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
    'no horizontal scrolling at 390 px',
  );
  await accessible(carol, 'request-phone');
  await tabTo(carol, 'Approve');
  await carol.keyboard.press('Enter');
  await carol.getByText('Approve: done.').waitFor();
  await waitForStatus(world, requestId, 'released');
  t.pass('approved by keyboard at 390 × 844; the credential is released');

  // The requester reveals: masked until shown, hidden after the configured seconds and on leaving.
  await alice.reload();
  await alice.getByText('Release window ends in').waitFor();
  const revealed = alice.waitForResponse((r) => r.url().endsWith(`/v1/requests/${requestId}/reveal`));
  await alice.getByRole('button', { name: 'Reveal credential' }).click();
  const response = await revealed;
  t.match(response.headers()['cache-control'], /no-store/, 'the reveal response is no-store');
  const secret = alice.locator('#secret-value');
  t.equal(await secret.getAttribute('type'), 'password', 'masked until shown');
  t.equal(await secret.inputValue(), secretValue, 'the credential from Key Vault');
  await alice.getByRole('button', { name: 'Show' }).click();
  t.equal(await secret.getAttribute('type'), 'text', 'shown after a click');
  await accessible(alice, 'reveal');
  const storage = String(
    await alice.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })'),
  );
  t.notOk(storage.includes(secretValue), 'not in localStorage or sessionStorage');
  t.notOk(alice.url().includes(secretValue), 'not in the URL');
  await alice.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await alice.getByRole('button', { name: 'Copy' }).click();
  await alice.getByText('Copied to the clipboard').waitFor();
  const clipboard = async () => String(await alice.evaluate('navigator.clipboard.readText()'));
  t.equal(await clipboard(), secretValue, 'the copy button puts the credential on the clipboard');
  await secret.waitFor({ state: 'detached', timeout: 8_000 });
  t.notOk((await alice.content()).includes(secretValue), 'hidden again after the configured time');
  t.equal(await clipboard(), '', 'and the clipboard is cleared with it');
  await alice.getByRole('button', { name: 'Reveal credential' }).click();
  await secret.waitFor();
  await alice.getByRole('link', { name: 'Home', exact: true }).click();
  await alice.getByText('What needs me now').waitFor();
  t.notOk((await alice.content()).includes(secretValue), 'gone from the page after leaving it');
  await alice.goBack();
  await alice.getByText('Release window ends in').waitFor();
  t.equal(await secret.count(), 0, 'coming back shows the reveal button, not the credential');

  await alice.getByLabel('What was done with the account').fill('Re-enabled MFA for the admins; no other change.');
  await alice.getByRole('button', { name: 'Close session' }).click();
  await waitForStatus(world, requestId, 'awaiting_review');

  // The reviewer: home lists the review, the form sits beside the timeline.
  const erin = (await world.person({ width: 1280, height: 900 })).page;
  await signInWithOidc(erin, PEOPLE.reviewer);
  await erin
    .getByRole('link', { name: new RegExp(`${account.id}`) })
    .first()
    .click();
  await erin.getByRole('group', { name: 'Post-use review' }).waitFor();
  await erin.getByLabel('The actions taken were appropriate').check();
  await erin.getByLabel('The sign-in logs were reviewed').check();
  await erin.getByLabel('The credential was rotated').check();
  await erin.getByLabel('Findings').fill('Use matched the incident; sign-ins only from the SOC.');
  await erin.getByLabel('Follow-up ticket').fill('SEC-99');
  await accessible(erin, 'review');
  await erin.getByRole('button', { name: 'Record review' }).click();
  await erin.getByText('Record review: done.').waitFor();
  await waitForStatus(world, requestId, 'completed');

  // An admin reads the audit trail: the chain verifies.
  const admin = (await world.person()).page;
  await signInWithOidc(admin, PEOPLE.admin);
  await admin.getByRole('link', { name: 'Audit' }).click();
  await admin.locator('#chain-result').waitFor();
  t.match(
    await admin.locator('#chain-result').innerText(),
    /^Chain verified: \d+ events/,
    'the audit page shows a verified chain',
  );
  await accessible(admin, 'audit');
  await admin.getByRole('link', { name: 'Accounts' }).click();
  await admin.getByRole('heading', { name: new RegExp(account.id) }).waitFor();
  await accessible(admin, 'accounts');
  await admin.locator(`#${account.id}-policy-releaseWindow`).fill('PT30M');
  await admin.locator(`#${account.id}-approvers`).fill('bob, carol');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText(`Account ${account.id} saved.`).waitFor();
  const changed = await h.accounts.get(h.pool, account.id);
  t.same(
    [changed?.policy.releaseWindow, changed?.approvers],
    ['PT30M', [PEOPLE.approver1, PEOPLE.approver2]],
    'an admin edits membership and policy',
  );
  await admin.locator(`#${account.id}-requesters`).fill('alice, bob');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText('Not saved:').waitFor();
  t.match(await admin.locator('#notice').innerText(), /bob is a requester and cannot also be one of the approvers/);
  await admin.getByRole('link', { name: 'Me', exact: true }).click();
  await admin.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
  await accessible(admin, 'me');
  await admin.getByRole('link', { name: 'Home', exact: true }).click();
  await admin.getByText('Recent requests').waitFor();
  await accessible(admin, 'home-admin');
  t.comment(`pages checked with axe-core and screenshotted: ${checked.join(', ')}`);
});

async function waitFor<T>(find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
