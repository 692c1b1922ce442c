import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { dockerfileInstructions } from './helpers/dockerfile';
import { rawKeyVault } from './helpers/keyvault-raw';

/**
 * The Key Vault emulator image of docker-compose.yml, without Docker: its Dockerfile's build step
 * (esbuild to one file) is run here as written, and the bundle is started with node as the
 * container's entrypoint and the Compose command start it.
 */

const ROOT = join(__dirname, '..');
const CONTEXT = join(ROOT, 'devstack/keyvault-emulator');
const instructions = dockerfileInstructions(readFileSync(join(CONTEXT, 'Dockerfile'), 'utf8'));
const of = (name: string) => instructions.filter((entry) => entry.instruction === name).map((entry) => entry.args);
const scratch = mkdtempSync(join(tmpdir(), 'kv-image-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

void t.test('the Dockerfile: node base, pinned esbuild, openssl, non-root, node runs the bundle', async (t) => {
  const rootNode = dockerfileInstructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).find(
    (e) => e.instruction === 'ARG' && e.args.startsWith('NODE_IMAGE='),
  );
  t.equal(
    of('ARG').find((arg) => arg.startsWith('NODE_IMAGE=')),
    rootNode?.args,
    'the same Node image as the product',
  );
  t.ok(of('FROM').length >= 2, 'multi-stage: the build tools stay out of the image');
  const esbuildPin = of('ARG')
    .find((arg) => arg.startsWith('ESBUILD_VERSION='))
    ?.split('=')[1];
  t.equal(
    esbuildPin,
    JSON.parse(readFileSync(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')).version,
    'esbuild pinned to the locked version',
  );
  t.match(
    of('RUN').join('\n'),
    /apt-get install[^\n]*\bopenssl\b/,
    'installs the openssl CLI the emulator makes its certificates with',
  );
  t.notMatch(of('USER').at(-1), /^(root|0)(:|$)/, 'runs as a non-root user');
  t.same(JSON.parse(of('ENTRYPOINT').at(-1) ?? '[]'), ['node', '/app/keyvault-emulator.js'], 'node runs the bundle');
  t.ok(
    of('EXPOSE').some((arg) => arg.split(/\s+/).includes('8443')),
    'EXPOSE 8443',
  );
});

void t.test('the bundle built as the Dockerfile builds it serves the Compose configuration', async (t) => {
  const build = of('RUN').find((args) => /^esbuild main\.ts\b/.test(args));
  t.ok(build, 'the Dockerfile bundles main.ts with esbuild');
  const bundle = join(scratch, 'keyvault-emulator.js');
  const args = build!
    .split(/\s+/)
    .slice(1)
    .map((arg) => (arg.startsWith('--outfile=') ? `--outfile=${bundle}` : arg));
  execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), args, { cwd: CONTEXT, stdio: 'ignore' });

  // The Compose command, with this machine's paths and a free port.
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command: string[] }>;
  };
  const caOut = join(scratch, 'ca', 'keyvault-emulator-ca.crt');
  const command = compose.services.keyvault!.command.map((arg, i, all) => {
    if (all[i - 1] === '--port') return '0';
    if (all[i - 1] === '--host') return '127.0.0.1';
    if (all[i - 1] === '--data-dir') return join(scratch, 'data');
    if (all[i - 1] === '--ca-out') return caOut;
    return arg;
  });
  const child = spawn(process.execPath, [bundle, ...command], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', () => reject(new Error('the bundle exited before printing its URL')));
  });
  const { url } = JSON.parse(line) as { url: string };
  const ca = readFileSync(caOut, 'utf8');
  t.equal(new X509Certificate(ca).ca, true, 'the published file is the CA certificate');
  t.notMatch(ca, /PRIVATE KEY/, 'and no key');
  const server = new X509Certificate(readFileSync(join(scratch, 'data', 'server.crt')));
  t.ok(server.checkHost('keyvault'), 'the server certificate names the Compose service');
  t.equal((await rawKeyVault(url, ca, 'GET', '/ping', { auth: false })).status, 200, 'the health check path answers');
  const listed = await rawKeyVault(url, ca, 'GET', '/secrets?api-version=2026-04-01');
  t.equal(listed.status, 200, 'the secrets API answers, trusting only the published CA');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'stops cleanly on SIGTERM');
});
