import { join } from 'node:path';
import { startKeyVaultEmulator } from './server';

/**
 * `main.ts` [--port 8443] [--host 127.0.0.1] [--data-dir .data/keyvault-emulator]
 * [--tls-names keyvault,other] [--ca-out /path/ca.crt] [--faults]
 * Prints {"url","caCertPath"} as one JSON line on stdout once listening; stops on SIGINT/SIGTERM.
 */

function argValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

async function main(args: string[]): Promise<void> {
  const known = new Set(['--port', '--host', '--data-dir', '--tls-names', '--ca-out', '--faults']);
  const unknown = args.filter((arg) => arg.startsWith('--') && !known.has(arg));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(', ')}`);
  const port = Number(argValue(args, '--port') ?? '8443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be an integer 0-65535');
  const names = argValue(args, '--tls-names');
  const caOut = argValue(args, '--ca-out');
  const emulator = await startKeyVaultEmulator({
    port,
    host: argValue(args, '--host') ?? '127.0.0.1',
    dataDir: argValue(args, '--data-dir') ?? join('.data', 'keyvault-emulator'),
    log: (line) => process.stderr.write(`${line}\n`),
    faults: args.includes('--faults'),
    ...(names ? { tlsNames: names.split(',') } : {}),
    ...(caOut ? { caOut } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, caCertPath: emulator.caCertPath })}\n`);
  const shutdown = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

export function runCli(): void {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`keyvault-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
