import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AuditRepository } from '../audit/audit-repository';
import { withTransaction, type Pool } from '../db/pool';
import { NotFoundError, RefusedError } from '../errors';
import type { Challenges } from './challenges';
import { PasskeyError, PasskeysDisabledError, UnauthenticatedError } from './errors';
import type { Passkey, PasskeysRepository } from './passkeys-repository';
import type { RaiseServiceAlert } from './service-alerts';
import type { Session, Sessions } from './sessions';

export interface PasskeyConfig {
  rpId?: string;
  rpName: string;
  origins?: string[];
  /** When set, only authenticators of these models (AAGUIDs) may be enrolled. */
  aaguids?: string[];
}

export interface PasskeyDeps {
  pool: Pool;
  repo: PasskeysRepository;
  challenges: Challenges;
  sessions: Sessions;
  audit: AuditRepository;
  alert: RaiseServiceAlert;
  config: PasskeyConfig;
}

export interface Caller {
  id: string;
  isAdmin: boolean;
}

/** The challenge inside a response's clientDataJSON (verified against the stored one afterwards). */
function challengeOf(clientDataJSON: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof parsed.challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(parsed.challenge))
      return parsed.challenge;
  } catch {
    /* fall through */
  }
  throw new PasskeyError('clientDataJSON carries no readable challenge');
}

// The library base64url-encodes a string challenge's UTF-8 bytes; handing it the raw bytes keeps
// options.challenge equal to the stored challenge.
const asBytes = (challenge: string) => new Uint8Array(Buffer.from(challenge, 'base64url'));

const reasonOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);

/**
 * Passkeys: enrolled by a signed-in person, usable only once an admin other than the owner
 * confirms them, signed in with as discoverable credentials. Every decision is audited;
 * enrolment, confirmation, revocation and a suspected clone are alerted.
 */
export function createPasskeys(deps: PasskeyDeps) {
  const { pool, repo, challenges, sessions, audit, alert, config } = deps;

  function relyingParty(): { rpId: string; origins: string[] } {
    if (!config.rpId || !config.origins?.length) throw new PasskeysDisabledError();
    return { rpId: config.rpId, origins: config.origins };
  }

  async function record(actor: string, action: string, details: Record<string, unknown>) {
    await withTransaction(pool, (tx) => audit.append(tx, { actor, action, details }));
  }

  async function refuseSignIn(actor: string, reason: string, details: Record<string, unknown> = {}): Promise<never> {
    await record(actor, 'session.passkey.refused', { reason, ...details });
    throw new UnauthenticatedError(`passkey sign-in refused: ${reason}`);
  }

  return {
    enabled: () => Boolean(config.rpId && config.origins?.length),

    async registrationOptions(caller: Caller) {
      const { rpId } = relyingParty();
      const existing = await repo.list(pool, { principal: caller.id });
      const challenge = await challenges.issue('registration', caller.id);
      return generateRegistrationOptions({
        rpName: config.rpName,
        rpID: rpId,
        userName: caller.id,
        // A stable handle that is not the principal id itself.
        userID: new Uint8Array(createHash('sha256').update(`breakglass-user:${caller.id}`).digest()),
        challenge: asBytes(challenge),
        attestationType: config.aaguids?.length ? 'direct' : 'none',
        excludeCredentials: existing
          .filter((key) => key.status !== 'revoked')
          .map((key) => ({ id: key.id, transports: key.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
        timeout: 5 * 60_000,
      });
    },

    /** Verifies an enrolment and stores the passkey as `pending` until another admin confirms it. */
    async enrol(caller: Caller, name: string, response: RegistrationResponseJSON): Promise<Passkey> {
      const { rpId, origins } = relyingParty();
      const challenge = challengeOf(response.response.clientDataJSON);
      const issued = await challenges.consume(challenge, 'registration');
      const refuse = async (reason: string): Promise<never> => {
        await record(caller.id, 'passkey.enrol.refused', { reason });
        throw new PasskeyError(`passkey enrolment refused: ${reason}`);
      };
      if (!issued) return refuse('the challenge is unknown, already used or expired; ask for new options');
      if (issued.principal !== caller.id) return refuse('the challenge was issued to someone else');
      let verified;
      try {
        verified = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          requireUserVerification: true,
        });
      } catch (error) {
        return refuse(reasonOf(error));
      }
      if (!verified.verified) return refuse('the attestation did not verify');
      const info = verified.registrationInfo;
      if (config.aaguids?.length && !config.aaguids.includes(info.aaguid.toLowerCase()))
        return refuse(`authenticator model ${info.aaguid} is not on the allow-list (WEBAUTHN_AAGUIDS)`);
      const stored = await repo.insert(pool, {
        id: info.credential.id,
        principal: caller.id,
        name,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        aaguid: info.aaguid,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      });
      if (!stored) return refuse('this credential is already enrolled');
      await record(caller.id, 'passkey.enrolled', {
        passkeyId: stored.id,
        owner: caller.id,
        name,
        aaguid: stored.aaguid,
        status: 'pending',
      });
      await alert(
        'passkey.enrolled',
        caller.id,
        `${caller.id} enrolled passkey "${name}"; it is pending until another admin confirms it`,
      );
      return stored;
    },

    async confirm(caller: Caller, id: string): Promise<Passkey> {
      return withTransaction(pool, async (tx) => {
        const key = await repo.get(tx, id, { forUpdate: true });
        if (!key) throw new NotFoundError(`passkey ${id}`);
        const refusal = !caller.isAdmin
          ? 'only BreakGlass.Admin confirms passkeys'
          : caller.id === key.principal
            ? 'an admin cannot confirm their own passkey; another admin must'
            : key.status !== 'pending'
              ? `the passkey is ${key.status}; only a pending passkey can be confirmed`
              : null;
        if (refusal) {
          await audit.append(tx, {
            actor: caller.id,
            action: 'passkey.confirm.refused',
            details: { passkeyId: id, owner: key.principal, reason: refusal },
          });
          return {
            refusal,
            type: key.status !== 'pending' && caller.isAdmin && caller.id !== key.principal ? 'Conflict' : 'Forbidden',
          } as const;
        }
        const confirmed = await repo.confirm(tx, id, caller.id);
        await audit.append(tx, {
          actor: caller.id,
          action: 'passkey.confirmed',
          details: { passkeyId: id, owner: key.principal },
        });
        return confirmed;
      }).then(async (outcome) => {
        if ('refusal' in outcome) throw new RefusedError(outcome.type, outcome.refusal);
        await alert(
          'passkey.confirmed',
          caller.id,
          `${caller.id} confirmed passkey "${outcome.name}" of ${outcome.principal}`,
        );
        return outcome;
      });
    },

    /** The owner or an admin revokes a passkey; the sessions it opened end with it. */
    async revoke(caller: Caller, id: string): Promise<Passkey> {
      const outcome = await withTransaction(pool, async (tx) => {
        const key = await repo.get(tx, id, { forUpdate: true });
        if (!key || (key.principal !== caller.id && !caller.isAdmin)) return { missing: true } as const;
        if (key.status === 'revoked') return { conflict: true } as const;
        const revoked = await repo.revoke(tx, id, caller.id);
        const ended = await sessions.revokeByPasskey(id, caller.id, tx);
        await audit.append(tx, {
          actor: caller.id,
          action: 'passkey.revoked',
          details: { passkeyId: id, owner: key.principal, sessionsEnded: ended },
        });
        return { revoked };
      });
      if ('missing' in outcome) {
        await record(caller.id, 'passkey.revoke.refused', { passkeyId: id, reason: 'not found or not the caller’s' });
        throw new NotFoundError(`passkey ${id}`);
      }
      if ('conflict' in outcome) throw new RefusedError('Conflict', 'the passkey is already revoked');
      await alert(
        'passkey.revoked',
        caller.id,
        `${caller.id} revoked passkey "${outcome.revoked.name}" of ${outcome.revoked.principal}`,
      );
      return outcome.revoked;
    },

    async authenticationOptions() {
      const { rpId } = relyingParty();
      const challenge = await challenges.issue('authentication', null);
      // No allowCredentials: the authenticator offers its discoverable credentials, nobody types a name.
      return generateAuthenticationOptions({
        rpID: rpId,
        challenge: asBytes(challenge),
        userVerification: 'required',
        timeout: 5 * 60_000,
      });
    },

    /** A verified discoverable-credential assertion opens a session with amr ["passkey"]. */
    async signIn(response: AuthenticationResponseJSON): Promise<{ token: string; session: Session }> {
      const { rpId, origins } = relyingParty();
      const challenge = challengeOf(response.response.clientDataJSON);
      const issued = await challenges.consume(challenge, 'authentication');
      if (!issued)
        return refuseSignIn('anonymous', 'the challenge is unknown, already used or expired; ask for new options');
      const key = await repo.get(pool, response.id);
      if (!key)
        return refuseSignIn('anonymous', 'this passkey is not enrolled', { passkeyId: response.id.slice(0, 100) });
      if (key.status !== 'active') {
        return refuseSignIn(
          key.principal,
          key.status === 'pending' ? 'this passkey is waiting for an admin to confirm it' : 'this passkey was revoked',
          { passkeyId: key.id },
        );
      }
      let verified;
      try {
        // The counter is compared below, after the signature checks out, so that only the real
        // authenticator (or a clone of it) can raise the clone alert, not anyone with a credential id.
        verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          requireUserVerification: true,
          credential: {
            id: key.id,
            publicKey: key.publicKey as Uint8Array<ArrayBuffer>,
            counter: 0,
            transports: key.transports as never,
          },
        });
      } catch (error) {
        return refuseSignIn(key.principal, reasonOf(error), { passkeyId: key.id });
      }
      if (!verified.verified) return refuseSignIn(key.principal, 'the signature did not verify', { passkeyId: key.id });
      const { newCounter } = verified.authenticationInfo;
      const opened = await withTransaction(pool, async (tx) => {
        const current = (await repo.get(tx, key.id, { forUpdate: true }))!;
        if (current.status !== 'active') return { kind: 'refused', reason: 'this passkey was revoked' } as const;
        if ((newCounter > 0 || current.counter > 0) && newCounter <= current.counter)
          return { kind: 'clone', stored: current.counter } as const;
        await repo.used(tx, key.id, newCounter);
        const created = await sessions.create(
          { id: key.principal, roles: [] },
          ['passkey'],
          new Date(),
          { passkeyId: key.id },
          tx,
        );
        await audit.append(tx, {
          actor: key.principal,
          action: 'session.created',
          details: { sessionId: created.session.id, amr: ['passkey'], passkeyId: key.id },
        });
        return { kind: 'ok', ...created } as const;
      });
      if (opened.kind === 'refused') return refuseSignIn(key.principal, opened.reason, { passkeyId: key.id });
      if (opened.kind === 'clone') {
        await record(key.principal, 'passkey.clone_suspected', {
          passkeyId: key.id,
          storedCounter: opened.stored,
          presentedCounter: newCounter,
        });
        await alert(
          'passkey.clone_suspected',
          key.principal,
          `passkey "${key.name}" of ${key.principal} presented counter ${newCounter} after ${opened.stored}: it may have been cloned`,
        );
        return refuseSignIn(
          key.principal,
          'the signature counter went backwards; the passkey may have been cloned and an alert was raised',
          { passkeyId: key.id },
        );
      }
      return { token: opened.token, session: opened.session };
    },

    list: (filter: { principal?: string; status?: Passkey['status'] }) => repo.list(pool, filter),
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
