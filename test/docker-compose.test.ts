import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { ensureTls, tlsNames } from '../devstack/keyvault-emulator/tls';
import { dockerfileInstructions } from './helpers/dockerfile';
import { parseConfig } from '../src/config';
import {
  ROOT,
  read,
  compose,
  services,
  REQUIRED_INTERPOLATION,
  USER_ENV,
  resolved,
  commandOf,
  flagOf,
  SCHEMA_KEYS,
  REQUIRED_KEYS,
  APP_SERVICES,
  environmentOf,
  interpolate,
} from './helpers/compose';

/**
 * The shape of the Docker stack (docker-compose.yml, Dockerfile, .dockerignore). Docker is not
 * needed: the files are read and checked against the configuration schema and the rules the
 * stack promises in its comments. The stack itself can only be run on a machine with Docker.
 */

void t.test('every service of the stack is defined', async (t) => {
  for (const name of ['postgres', 'temporal', 'temporal-ui', 'keyvault', 'api', 'worker']) {
    t.ok(services[name], `service ${name}`);
  }
  t.match(services.postgres?.image, /^postgres:/, 'postgres runs the official image');
  // The project's own emulator (answers a disabled secret with 403 SecretDisabled, as Key Vault does), not Lowkey Vault (404).
  const keyvaultBuild = services.keyvault?.build;
  t.same(
    typeof keyvaultBuild === 'object'
      ? { context: keyvaultBuild.context, dockerfile: keyvaultBuild.dockerfile ?? 'Dockerfile' }
      : keyvaultBuild,
    { context: 'devstack/keyvault-emulator', dockerfile: 'Dockerfile' },
    'keyvault builds the project emulator image',
  );
  t.ok(existsSync(join(ROOT, 'devstack/keyvault-emulator/Dockerfile')), 'its Dockerfile exists');
  t.notMatch(JSON.stringify(services), /lowkey/i, 'Lowkey Vault is gone from the stack');
  t.match(services['temporal-ui']?.image, /^temporalio\/ui:/, 'temporal-ui runs temporalio/ui');
  t.equal(environmentOf('temporal-ui').TEMPORAL_ADDRESS, 'temporal:7233', 'temporal-ui talks to the temporal service');
  t.equal(flagOf('keyvault', '--port'), '8443', 'the emulator listens on 8443');
  t.equal(flagOf('keyvault', '--host'), '0.0.0.0', 'on all interfaces inside its container');
  t.notOk(commandOf('keyvault').includes('--faults'), 'the test-only fault switch stays off');
  t.ok(
    (services.keyvault?.volumes ?? []).some((volume) => volume.split(':')[1] === flagOf('keyvault', '--data-dir')),
    'its data directory is a volume (secrets survive a restart)',
  );
});

void t.test('api and worker are one image built from the Dockerfile', async (t) => {
  for (const name of APP_SERVICES) {
    const build = services[name]?.build;
    t.ok(build && typeof build === 'object', `${name} has a build section`);
    if (build && typeof build === 'object') {
      t.equal(build.dockerfile ?? 'Dockerfile', 'Dockerfile', `${name} builds the Dockerfile`);
      t.equal(build.context, '.', `${name} builds from the project root`);
    }
  }
  t.equal(services.api?.image, services.worker?.image, 'api and worker share an image name');
  t.same(services.api?.command, ['node_modules/.bin/tsx', 'src/server.ts'], 'api command');
  t.same(services.worker?.command, ['node_modules/.bin/tsx', 'src/worker-main.ts'], 'worker command');
});

void t.test('api and worker environment follows the configuration schema', async (t) => {
  t.ok(REQUIRED_KEYS.length > 0, `required keys found: ${REQUIRED_KEYS.join(', ')}`);
  for (const name of APP_SERVICES) {
    const environment = environmentOf(name);
    for (const key of Object.keys(environment)) {
      t.ok((SCHEMA_KEYS as string[]).includes(key), `${name}: ${key} is a configuration variable`);
    }
    for (const key of REQUIRED_KEYS) {
      t.ok(key in environment && environment[key] !== '', `${name}: required ${key} is provided`);
    }
    t.equal(
      environment.NODE_ENV,
      'development',
      `${name}: NODE_ENV=development (emulator settings are refused in production)`,
    );
    t.equal(environment.HOST, '0.0.0.0', `${name}: listens on all interfaces inside the container`);
    t.equal(environment.KEYVAULT_CREDENTIAL, 'emulator', `${name}: emulator credential`);
    t.equal(environment.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION, 'true', `${name}: emulator challenge`);
    for (const key of ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL']) {
      t.equal(
        REQUIRED_INTERPOLATION.exec(environment[key] ?? '')?.[1],
        key,
        `${name}: ${key} comes from the user's environment, required`,
      );
    }
  }
  t.same(environmentOf('api'), environmentOf('worker'), 'api and worker get the same configuration');
});

void t.test('the interpolated environment is a valid development configuration', async (t) => {
  for (const name of APP_SERVICES) {
    const env = resolved(name);
    let config: ReturnType<typeof parseConfig> | undefined;
    t.doesNotThrow(() => {
      config = parseConfig(env);
    }, `${name}: parseConfig accepts it`);
    t.equal(config?.NODE_ENV, 'development', `${name}: development`);
    t.throws(
      () => parseConfig({ ...env, NODE_ENV: 'production' }),
      `${name}: the same settings are refused as production`,
    );
    t.throws(
      () => interpolate(environmentOf(name).AUTH_ISSUER ?? '', {}),
      `${name}: compose stops when AUTH_ISSUER is unset`,
    );
  }
});

void t.test('configuration points at the services of the stack', async (t) => {
  const env = resolved('api');
  const database = new URL(env.DATABASE_URL!);
  t.equal(database.hostname, 'postgres', 'DATABASE_URL host is the postgres service');
  t.equal(database.username, 'breakglass', 'the application has its own database role');
  t.equal(database.password, USER_ENV.BREAKGLASS_DB_PASSWORD, 'DATABASE_URL password is BREAKGLASS_DB_PASSWORD');

  t.equal(env.TEMPORAL_ADDRESS, 'temporal:7233', 'TEMPORAL_ADDRESS is the temporal service');
  if (services['temporal-namespace']) {
    t.equal(
      environmentOf('temporal-namespace').BREAKGLASS_NAMESPACE,
      environmentOf('api').TEMPORAL_NAMESPACE,
      'the namespace job creates the namespace the services use',
    );
  }

  const vaultHost = new URL(env.KEYVAULT_URL!).hostname;
  const networks = services.keyvault?.networks;
  const aliases = networks && !Array.isArray(networks) ? (networks.default?.aliases ?? []) : [];
  t.ok(
    vaultHost === 'keyvault' || aliases.includes(vaultHost),
    `KEYVAULT_URL host ${vaultHost} resolves to the keyvault service`,
  );
  // The certificate the emulator makes for the names in its command: Node must accept it for that host.
  const tlsDir = mkdtempSync(join(tmpdir(), 'compose-tls-'));
  t.teardown(() => rmSync(tlsDir, { recursive: true, force: true }));
  const cert = new X509Certificate(
    ensureTls(tlsDir, tlsNames((flagOf('keyvault', '--tls-names') ?? '').split(','))).cert,
  );
  const identityError = checkServerIdentity(vaultHost, {
    subject: { CN: 'localhost' },
    subjectaltname: cert.subjectAltName,
  } as PeerCertificate);
  t.equal(
    identityError,
    undefined,
    `Node accepts ${vaultHost} for the emulator's certificate (${cert.subjectAltName})`,
  );
  t.equal(
    checkServerIdentity('localhost', {
      subject: { CN: 'localhost' },
      subjectaltname: cert.subjectAltName,
    } as PeerCertificate),
    undefined,
    'and localhost, for a client on the host',
  );

  const caPath = env.KEYVAULT_CA_CERT!;
  t.ok(caPath, 'KEYVAULT_CA_CERT is set so the emulator certificate is trusted');
  const caDir = caPath.slice(0, caPath.lastIndexOf('/'));
  const producer = Object.keys(services).find(
    (name) =>
      !(APP_SERVICES as readonly string[]).includes(name) &&
      [...Object.values(environmentOf(name)), ...commandOf(name)].includes(caPath),
  );
  t.equal(producer, 'keyvault', 'the emulator publishes its CA certificate (--ca-out) where KEYVAULT_CA_CERT points');
  t.ok(producer, 'a service writes the certificate KEYVAULT_CA_CERT names');
  const volumeFor = (name: string) => (services[name]?.volumes ?? []).find((volume) => volume.split(':')[1] === caDir);
  for (const name of APP_SERVICES) {
    const volume = volumeFor(name);
    t.ok(volume, `${name} mounts ${caDir}`);
    t.match(volume, /:ro$/, `${name} mounts it read-only`);
  }
  if (producer) {
    t.ok(volumeFor(producer), `${producer} writes into the same ${caDir}`);
    t.equal(volumeFor(producer)?.split(':')[0], volumeFor('api')?.split(':')[0], 'writer and readers share one volume');
  }
});

void t.test('health checks and start order', async (t) => {
  for (const name of ['postgres', 'temporal', 'keyvault', 'api']) {
    t.ok(services[name]?.healthcheck?.test, `${name} has a healthcheck`);
  }
  t.match(JSON.stringify(services.postgres?.healthcheck?.test), /pg_isready/, 'postgres is checked with pg_isready');
  t.match(JSON.stringify(services.api?.healthcheck?.test), /\/readyz/, 'api is checked on GET /readyz');

  for (const [name, service] of Object.entries(services)) {
    const dependsOn = service.depends_on;
    if (!dependsOn) continue;
    t.notOk(Array.isArray(dependsOn), `${name}: depends_on states a condition for each dependency`);
    if (Array.isArray(dependsOn)) continue;
    for (const [target, { condition } = {}] of Object.entries(dependsOn)) {
      const dependency = services[target];
      t.ok(dependency, `${name} -> ${target}: exists`);
      if (dependency?.healthcheck) {
        t.equal(condition, 'service_healthy', `${name} -> ${target}: waits until healthy`);
      } else {
        // A setup job that runs once and exits: waiting for "healthy" would never end.
        t.equal(
          condition,
          'service_completed_successfully',
          `${name} -> ${target}: waits for the setup job to succeed`,
        );
        t.equal(dependency?.restart, 'no', `${name} -> ${target}: is a one-shot job`);
      }
    }
  }
  for (const name of APP_SERVICES) {
    const dependsOn = services[name]?.depends_on as Record<string, { condition?: string }>;
    for (const target of ['postgres', 'temporal', 'keyvault']) {
      t.equal(dependsOn?.[target]?.condition, 'service_healthy', `${name} waits for ${target} to be healthy`);
    }
  }
});

void t.test('no secret is baked into the compose file', async (t) => {
  const SECRET_NAME = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|KEY$/i;
  for (const name of Object.keys(services)) {
    for (const [key, value] of Object.entries(environmentOf(name))) {
      if (SECRET_NAME.test(key)) {
        t.match(value, REQUIRED_INTERPOLATION, `${name}: ${key} is a required interpolation, no default`);
      }
      // Credentials inside URLs (postgres://user:password@host): the password is one interpolation or a literal.
      const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:(\$\{[^}]*\}|[^@\s]*)@/i.exec(value);
      if (userinfo) {
        t.match(
          userinfo[1],
          REQUIRED_INTERPOLATION,
          `${name}: ${key} takes its password from a required interpolation`,
        );
      }
    }
  }
  for (const [name, config] of Object.entries(compose.configs ?? {})) {
    for (const statement of (config.content ?? '').match(/\bPASSWORD[ \t]+\S+/g) ?? []) {
      t.match(
        statement,
        /^PASSWORD\s+:'[a-z_]+'/,
        `config ${name}: passwords are psql variables read from the environment`,
      );
    }
  }
  for (const [name, service] of Object.entries(services)) {
    for (const port of service.ports ?? []) {
      t.match(port, /^127\.0\.0\.1:/, `${name}: published port ${port} is bound to loopback`);
    }
  }
});

void t.test('Dockerfile', async (t) => {
  const instructions = dockerfileInstructions(read('Dockerfile'));
  const of = (name: string) => instructions.filter((entry) => entry.instruction === name).map((entry) => entry.args);

  t.ok(of('FROM').length >= 2, 'multi-stage build');
  const nodeImage = of('ARG').find((arg) => arg.startsWith('NODE_IMAGE='));
  t.match(nodeImage, /^NODE_IMAGE=node:20-bookworm-slim/, 'based on node:20-bookworm-slim');

  const users = of('USER');
  t.ok(users.length > 0, 'sets a USER');
  t.notMatch(users.at(-1), /^(root|0)(:|$)/, `the final user (${users.at(-1)}) is not root`);

  const runs = of('RUN').join('\n');
  t.match(runs, /npm ci\b[^\n]*--omit=dev/, 'installs production dependencies with npm ci --omit=dev');
  t.notMatch(runs, /--ignore-scripts|--dangerously-allow-all-scripts/, 'npm ci honours allowScripts');

  t.ok(
    of('EXPOSE').some((arg) => arg.split(/\s+/).includes('3000')),
    'EXPOSE 3000',
  );
  t.match(of('CMD').at(-1), /src\/server\.ts/, 'the default command runs the API');

  for (const args of [...of('COPY'), ...of('ADD')]) {
    if (/--from=/.test(args)) continue;
    const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
    const sources = parts.slice(0, -1);
    for (const source of sources) {
      t.notMatch(source, /^\.\/?$/, `${args}: does not copy the whole context`);
      t.notMatch(source, /(^|\/)\.data(\/|$)|(^|\/)\.env|(^|\/)node_modules(\/|$)/, `${args}: does not copy ${source}`);
      t.ok(existsSync(join(ROOT, source)), `${args}: ${source} exists in the project`);
    }
  }
  for (const args of [...of('ENV'), ...of('ARG')]) {
    t.notMatch(args, /(PASSWORD|SECRET|TOKEN|KEY)\s*=/i, `${args}: no secret in the image`);
  }
});

void t.test('.dockerignore keeps local state and secrets out of the build context', async (t) => {
  const entries = read('.dockerignore')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const required of ['node_modules', '.data', '.tap', '.git', 'test', 'dist', '.env']) {
    t.ok(entries.includes(required), `ignores ${required}`);
  }
});
