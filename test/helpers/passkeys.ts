import type { ApiHarness } from './api';
import { SoftAuthenticator, type Overrides } from './authenticator';
import { PEOPLE } from './harness';

/** The relying party the passkey tests configure, and the origin their authenticators report. */
export const ORIGIN = 'https://localhost:8443';
export const PASSKEY_ENV = { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: ORIGIN };
const ADMIN = ['BreakGlass.Admin'];

/** Enrolment as the signed-in `principal` (by issuer token): options, then the authenticator's answer. */
export async function enrol(
  api: ApiHarness,
  principal: string,
  authenticator = new SoftAuthenticator(ORIGIN),
  overrides: Overrides & { fmt?: 'none' | 'packed'; roles?: string[] } = {},
) {
  const options = await api.call('POST', '/v1/passkeys/registration-options', {
    as: principal,
    roles: overrides.roles,
  });
  if (options.status !== 200) throw new Error(`registration options: ${options.status} ${options.text}`);
  const response = authenticator.register(options.body, overrides);
  const res = await api.call('POST', '/v1/passkeys', {
    as: principal,
    roles: overrides.roles,
    body: { name: `${principal}'s key`, response },
  });
  return { res, authenticator, options: options.body, response };
}

export async function confirm(api: ApiHarness, passkeyId: string, admin = PEOPLE.admin) {
  return api.call('POST', `/v1/passkeys/${encodeURIComponent(passkeyId)}/confirm`, { as: admin, roles: ADMIN });
}

/** A discoverable-credential sign-in; the answer carries the session token. */
export async function signIn(
  api: ApiHarness,
  authenticator: SoftAuthenticator,
  overrides: Overrides & { credentialId?: string } = {},
) {
  const options = await api.call('POST', '/v1/sessions/passkey/options');
  if (options.status !== 200) throw new Error(`authentication options: ${options.status} ${options.text}`);
  const response = authenticator.assert(options.body, overrides);
  const res = await api.call('POST', '/v1/sessions/passkey', { body: { response } });
  return { res, options: options.body, response };
}

/** A person with an enrolled passkey that another admin confirmed. */
export async function confirmedPasskey(api: ApiHarness, principal: string): Promise<SoftAuthenticator> {
  const { res, authenticator } = await enrol(api, principal);
  if (res.status !== 201) throw new Error(`enrol ${principal}: ${res.status} ${res.text}`);
  const confirmed = await confirm(api, res.body.id);
  if (confirmed.status !== 200) throw new Error(`confirm ${principal}: ${confirmed.status} ${confirmed.text}`);
  return authenticator;
}
