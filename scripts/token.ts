import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { loadOrCreateDevKey, mintDevToken } from '../devstack/dev-identity';

/**
 * `npm run token -- <principal> [--role BreakGlass.Admin] [--role BreakGlass.Auditor] [--ttl 3600]`
 * prints a token from the dev issuer that `npm run dev` trusts. Dev only: production refuses the issuer.
 */
async function main() {
  const args = process.argv.slice(2);
  const roles: string[] = [];
  let ttlSeconds = 3600;
  let principal: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--role') roles.push(args[++i] ?? '');
    else if (arg === '--ttl') ttlSeconds = Number(args[++i]);
    else if (!principal) principal = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (!principal || !/^[A-Za-z0-9._@:-]{1,128}$/.test(principal))
    throw new Error('usage: npm run token -- <principal> [--role BreakGlass.Admin] [--ttl seconds]');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86_400)
    throw new Error('--ttl wants 1 to 86400 seconds');
  const dir = join(resolve(process.env.BREAKGLASS_DATA_DIR ?? '.data'), 'dev-identity');
  if (!existsSync(join(dir, 'dev-signing-key.json')))
    process.stderr.write('note: no dev key yet; creating one (start `npm run dev` to serve it)\n');
  const key = await loadOrCreateDevKey(dir);
  process.stdout.write(`${await mintDevToken(key, { principal, roles, ttlSeconds })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`breakglass token: ${(error as Error).message}\n`);
  process.exit(2);
});
