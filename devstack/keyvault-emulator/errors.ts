/** Key Vault's error answers: `{"error":{"code","message"[,"innererror":{"code"}]}}` with its status and headers. */

export class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body() {
    return {
      error: { code: this.code, message: this.message, ...(this.inner ? { innererror: { code: this.inner } } : {}) },
    };
  }
}

export const notFound = (name: string) =>
  new KvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );

export const badParameter = (message: string) => new KvError(400, 'BadParameter', message);

export const disabled = () =>
  new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');

/** What Key Vault sends with a 401: the SDK's challenge policy reads the authority and resource from it. */
export const CHALLENGE =
  'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"';

export const missingToken = () =>
  new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, {
    'www-authenticate': CHALLENGE,
  });
