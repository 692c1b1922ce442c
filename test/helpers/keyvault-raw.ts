import { request } from 'node:https';

/** One HTTPS request to a Key Vault endpoint, trusting `ca` only; for wire-level checks the SDK hides. */
export function rawKeyVault(
  url: string,
  ca: string,
  method: string,
  path: string,
  opts: { auth?: boolean; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method,
      ca,
      headers: { ...(opts.auth === false ? {} : { authorization: 'Bearer dev' }), 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
