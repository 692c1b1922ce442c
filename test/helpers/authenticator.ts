import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/**
 * A small software authenticator for tests: real P-256 keys, real authenticator data, real
 * attestation (`none`, or `packed` self-attestation) and real assertion signatures, so that
 * @simplewebauthn/server verifies them exactly as it would a browser's.
 */

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const FLAGS = { up: 0x01, uv: 0x04, at: 0x40 };

export interface SoftCredential {
  id: string;
  rpId: string;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

export interface Overrides {
  origin?: string;
  rpId?: string;
  /** User verification flag; true unless a test wants it missing. */
  uv?: boolean;
  /** The signature counter to report (a clone reports an old one). */
  counter?: number;
  challenge?: string;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly aaguid = '00000000-0000-0000-0000-000000000000',
  ) {}

  private authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString('base64url');
  }

  /** navigator.credentials.create(): a new discoverable credential for the options' RP and user. */
  register(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    overrides: Overrides & { fmt?: 'none' | 'packed' } = {},
  ): RegistrationResponseJSON {
    const rpId = overrides.rpId ?? options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const credentialId = randomBytes(32);
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([
      Buffer.from(this.aaguid.replace(/-/g, ''), 'hex'),
      idLength,
      credentialId,
      Buffer.from(cose),
    ]);
    const flags = FLAGS.up | FLAGS.at | (overrides.uv === false ? 0 : FLAGS.uv);
    const authData = this.authData(rpId, flags, 0, attested);
    const clientDataJSON = this.clientData(
      'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const fmt = overrides.fmt ?? 'none';
    const attStmt = new Map<string, number | Uint8Array>();
    if (fmt === 'packed') {
      // Self attestation: signed by the new credential's own key over authData || hash(clientDataJSON).
      const sig = createSign('sha256')
        .update(Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]))
        .sign(privateKey);
      attStmt.set('alg', -7);
      attStmt.set('sig', new Uint8Array(sig));
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
        ['fmt', fmt],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const id = credentialId.toString('base64url');
    this.credentials.push({ id, rpId, privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON,
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() with a discoverable credential: no user name, the authenticator picks its credential. */
  assert(
    options: { challenge: string; rpId?: string },
    overrides: Overrides & { credentialId?: string } = {},
  ): AuthenticationResponseJSON {
    const credential = overrides.credentialId
      ? this.credentials.find((c) => c.id === overrides.credentialId)
      : this.credentials[this.credentials.length - 1];
    if (!credential) throw new Error('this authenticator holds no such credential');
    const counter = overrides.counter ?? (credential.counter += 1);
    const flags = FLAGS.up | (overrides.uv === false ? 0 : FLAGS.uv);
    const authData = this.authData(overrides.rpId ?? options.rpId ?? credential.rpId, flags, counter);
    const clientDataJSON = this.clientData(
      'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const signature = createSign('sha256')
      .update(Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]))
      .sign(credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** Private key material of every credential, as PEM, for "never stored or logged" searches. */
  secrets(): string[] {
    return this.credentials.flatMap((c) => [
      c.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      String(c.privateKey.export({ format: 'jwk' }).d),
    ]);
  }
}
