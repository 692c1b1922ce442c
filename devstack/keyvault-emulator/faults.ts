import type { IncomingMessage } from 'node:http';
import { badParameter, CHALLENGE, KvError } from './errors';
import { NAME, readJson } from './validation';

/**
 * Test-only fault switch per secret: while a fault is set, every request naming that secret is
 * answered as real Key Vault answers it in that situation. Off unless the emulator is started
 * with `faults: true` (CLI `--faults`); then `PUT /_faults/secrets/{name}` with
 * `{"fault": "<kind>" | null, "retryAfterSeconds"?: n}` sets or clears it. Faults live in memory
 * only, so a restart clears them.
 *
 * Status, codes and messages follow Key Vault's answers as recorded in the Azure SDK repositories
 * (ForbiddenByRbac, ForbiddenByPolicy, Throttled) and the Key Vault REST docs (throttling sends
 * Retry-After). Caller ids in the messages are zero GUIDs.
 */
export const FAULT_KINDS = [
  'unauthorized',
  'forbiddenByRbac',
  'forbiddenByPolicy',
  'throttled',
  'unavailable',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

interface FaultSetting {
  fault: FaultKind;
  retryAfterSeconds?: number;
}

const CALLER =
  'appid=00000000-0000-0000-0000-000000000000;oid=00000000-0000-0000-0000-000000000000;iss=https://sts.windows.net/00000000-0000-0000-0000-000000000000/';
const VAULT = 'breakglass-emulator;location=local';

function faultError(setting: FaultSetting, secretName: string): KvError {
  const retryAfter = (fallback?: number): Record<string, string> => {
    const seconds = setting.retryAfterSeconds ?? fallback;
    return seconds === undefined ? {} : { 'retry-after': String(seconds) };
  };
  switch (setting.fault) {
    case 'unauthorized':
      // A token Key Vault does not accept; the challenge lets the SDK try once more with a fresh one.
      return new KvError(
        401,
        'Unauthorized',
        'AKV10032: Invalid issuer. Expected one of https://sts.windows.net/00000000-0000-0000-0000-000000000000/, found https://sts.windows.net/11111111-1111-1111-1111-111111111111/.',
        undefined,
        { 'www-authenticate': CHALLENGE },
      );
    case 'forbiddenByRbac':
      return new KvError(
        403,
        'Forbidden',
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${CALLER}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/breakglass/providers/microsoft.keyvault/vaults/breakglass-emulator/secrets/${secretName.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${VAULT}\r\n`,
        'ForbiddenByRbac',
      );
    case 'forbiddenByPolicy':
      return new KvError(
        403,
        'Forbidden',
        `The user, group or application '${CALLER}' does not have secrets get permission on key vault '${VAULT}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
        'ForbiddenByPolicy',
      );
    case 'throttled':
      return new KvError(
        429,
        'Throttled',
        'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
        undefined,
        retryAfter(1),
      );
    case 'unavailable':
      return new KvError(
        503,
        'ServiceUnavailable',
        'The service is temporarily unavailable. Please retry later.',
        undefined,
        retryAfter(),
      );
  }
}

export class Faults {
  private readonly bySecret = new Map<string, FaultSetting>();

  constructor(readonly enabled: boolean) {}

  /** Throws the fault's answer when one is set for this secret name. */
  check(secretName: string): void {
    const setting = secretName ? this.bySecret.get(secretName.toLowerCase()) : undefined;
    if (setting) throw faultError(setting, secretName);
  }

  /** PUT /_faults/secrets/{name}; the caller has already checked that the path has that shape. */
  async admin(req: IncomingMessage, name: string): Promise<{ status: number; body: unknown }> {
    if (!this.enabled)
      throw new KvError(404, 'NotFound', 'The fault switch is off; start the emulator with faults enabled.');
    if (req.method !== 'PUT')
      throw new KvError(
        405,
        'MethodNotAllowed',
        `The requested resource does not support http method '${req.method ?? ''}'.`,
      );
    if (!NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
    const body = await readJson(req);
    const unknown = Object.keys(body).filter((key) => key !== 'fault' && key !== 'retryAfterSeconds');
    if (unknown.length > 0) throw badParameter(`Unknown properties: ${unknown.join(', ')}.`);
    const { fault, retryAfterSeconds } = body;
    if (fault === null) {
      this.bySecret.delete(name.toLowerCase());
      return { status: 200, body: { name, fault: null } };
    }
    if (typeof fault !== 'string' || !(FAULT_KINDS as readonly string[]).includes(fault)) {
      throw badParameter(`'fault' must be null or one of ${FAULT_KINDS.join(', ')}.`);
    }
    if (
      retryAfterSeconds !== undefined &&
      (typeof retryAfterSeconds !== 'number' ||
        !Number.isInteger(retryAfterSeconds) ||
        retryAfterSeconds < 0 ||
        retryAfterSeconds > 3600)
    ) {
      throw badParameter("'retryAfterSeconds' must be an integer from 0 to 3600.");
    }
    const setting: FaultSetting = {
      fault: fault as FaultKind,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
    this.bySecret.set(name.toLowerCase(), setting);
    return { status: 200, body: { name, ...setting } };
  }
}
