import t from 'tap';
import { PEOPLE } from '../helpers/harness';
import { axeViolations, setupConsole, shoot, signInWithOidc } from '../helpers/console';

/**
 * Passkeys in a real browser with Chromium's virtual authenticator (the DevTools protocol's
 * WebAuthn domain): enrolment while the OpenID provider works, confirmation by an admin, then
 * sign-in with the passkey once the provider is stopped.
 */
void t.test('passkey enrolment, admin confirmation, and sign-in with the OpenID provider stopped', async (t) => {
  const world = await setupConsole(t);
  await world.api.h.createAccount();
  const { context, page } = await world.person();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  await signInWithOidc(page, PEOPLE.requester);
  await page.getByRole('link', { name: 'Me', exact: true }).click();
  await page.getByLabel('Passkey name').fill('Alice laptop');
  await page.getByRole('button', { name: 'Enrol a passkey' }).click();
  await page.getByText('Passkey enrolment: done.').waitFor();
  t.match(await page.locator('#my-passkeys').innerText(), /Alice laptop\s+pending.*waiting for another admin/s);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  t.equal(credentials.length, 1, 'the authenticator holds one credential');
  t.ok(credentials[0]!.isResidentCredential, 'a discoverable credential (no user name needed to sign in)');
  await shoot(page, 'me-pending');
  t.same(await axeViolations(page), [], 'my passkeys page: no serious or critical violation');

  const admin = (await world.person()).page;
  await signInWithOidc(admin, PEOPLE.admin);
  await admin.getByRole('link', { name: 'Me', exact: true }).click();
  await admin.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
  await shoot(admin, 'me-admin');
  await admin.getByRole('button', { name: `Confirm ${PEOPLE.requester}'s passkey` }).click();
  await admin.getByText('Confirm passkey: done.').waitFor();
  t.pass('an admin confirmed it from the console');

  // Entra is down: the provider is gone, and alice signs out.
  await world.provider.close();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Entra unavailable? Sign in with your passkey.').waitFor();
  t.equal(
    await page.evaluate('fetch("/v1/requests").then((r) => r.status)'),
    401,
    'signed out: the cookie no longer works',
  );
  await shoot(page, 'signin-passkey');
  await page.getByRole('button', { name: 'Sign in with your passkey' }).click();
  await page.getByText('Signed in with your passkey.').waitFor();
  await page.getByText('What needs me now').waitFor();
  const session = (await page.evaluate('fetch("/auth/session").then((r) => r.json())')) as {
    principal: string;
    amr: string[];
  };
  t.equal(session.principal, PEOPLE.requester);
  t.same(session.amr, ['passkey'], 'a passkey session, with the provider stopped');
  t.equal(await page.evaluate('document.cookie'), '', 'the session cookie is not readable by the page');
  await page.getByRole('link', { name: 'New request' }).click();
  await page.getByLabel('Justification').fill('Entra sign-in is down; drill of the passkey path.');
  await page.getByRole('button', { name: 'Request access' }).click();
  await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
  t.pass('the passkey session acts through the console (cookie + CSRF)');

  // Revoking the passkey ends the sessions it opened, this one included: the console goes back to sign-in.
  await page.getByRole('link', { name: 'Me', exact: true }).click();
  await page.getByRole('button', { name: 'Revoke Alice laptop' }).click();
  await page.getByText('Your session ended (session was revoked; sign in again). Sign in again.').waitFor();
  await page.getByText('Entra unavailable? Sign in with your passkey.').waitFor();
  const { rows } = await world.api.h.pool.query<{ status: string }>('SELECT status FROM passkeys');
  t.same(
    rows.map((row) => row.status),
    ['revoked'],
    'the passkey is revoked',
  );
  await page.getByRole('button', { name: 'Sign in with your passkey' }).click();
  await page.getByText(/Passkey sign-in failed: .*revoked/).waitFor();
  t.pass('a revoked passkey no longer signs in, and the page says why');
});
