import { z } from 'zod';
import { sinkListSchema } from './alerts/sinks';
import { DEV_ISSUER } from './auth/dev-issuer';
import { authConfigProblems, authConfigShape } from './auth/auth-config';
import { isIsoDuration } from './domain/durations';
import { consoleConfigProblems, consoleConfigShape } from './console/console-config';
import { commaList, urlField } from './config-fields';

/**
 * Every environment variable of the contract, validated once at start.
 * A bad value stops the process with one line naming the variable, because an
 * operator fixing a broken deployment during an outage needs the answer, not a stack.
 */

const isProduction = (env: NodeJS.ProcessEnv) => env.NODE_ENV === 'production';

const port = z.coerce
  .number({ message: 'wants an integer port number' })
  .int('wants an integer port number')
  .min(1, 'wants a port between 1 and 65535')
  .max(65535, 'wants a port between 1 and 65535');

const url = (protocols: string[], what: string) => urlField(protocols, `wants ${what}`);

const hostPort = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'wants host:port, for example 127.0.0.1:7233');

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''], { message: 'wants true or false' })
  .transform((value) => value === 'true' || value === '1');

const isoDurationSetting = (wants: string) => z.string().trim().refine(isIsoDuration, `wants ${wants}`);

export const SUPPORTED_JWT_ALGORITHMS = ['RS256', 'ES256'] as const;

export const configSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'], { message: 'wants development, test or production' })
    .default('development'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'wants a pino level such as info',
    })
    .default('info'),
  PORT: port.default(3000),
  HOST: z.string().trim().min(1, 'wants an interface address such as 127.0.0.1').default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'a postgres:// connection URL'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'wants a lower-case SQL identifier')
    .default('public'),
  TEMPORAL_ADDRESS: hostPort,
  TEMPORAL_NAMESPACE: z.string().trim().min(1, 'wants a namespace name').default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1, 'wants a task queue name').default('breakglass'),
  KEYVAULT_URL: url(['https:'], 'an https:// Key Vault URL such as https://myvault.vault.azure.net'),
  KEYVAULT_CA_CERT: z.string().trim().min(1, 'wants the path of a PEM file').optional(),
  KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: booleanFlag.default(false),
  // `managed`: DefaultAzureCredential (managed identity in Azure). `emulator`: a fixed token the local emulator accepts.
  KEYVAULT_CREDENTIAL: z.enum(['managed', 'emulator'], { message: 'wants managed or emulator' }).default('managed'),
  AUTH_ISSUER: z.string().trim().min(1, 'wants the exact issuer (iss) of accepted tokens'),
  AUTH_AUDIENCE: z.string().trim().min(1, 'wants the exact audience (aud) of accepted tokens'),
  AUTH_JWKS_URL: url(['https:', 'http:'], 'the URL of the issuer JSON Web Key Set'),
  AUTH_ALGORITHMS: commaList(z.enum(SUPPORTED_JWT_ALGORITHMS, { message: 'wants RS256 and/or ES256' }))
    .refine((list) => list.length > 0, 'wants RS256 and/or ES256')
    .default([...SUPPORTED_JWT_ALGORITHMS]),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce
    .number({ message: 'wants seconds' })
    .int()
    .min(0)
    .max(300, 'wants at most 300 seconds')
    .default(60),
  ALERT_WEBHOOK_URLS: commaList(url(['https:', 'http:'], 'comma-separated http(s) webhook URLs')).default([]),
  // Further issuers, passkeys and sessions (src/auth/auth-config.ts).
  ...authConfigShape,
  // Alert sinks with a format each (README, "Alert sinks"); ALERT_WEBHOOK_URLS adds generic ones.
  ALERT_SINKS: sinkListSchema.default([]),
  ALERT_WEBHOOK_SECRET: z
    .string()
    .regex(/^(whsec_)?[A-Za-z0-9+/]{32,}={0,2}$/, 'wants a whsec_ base64 secret of at least 24 bytes')
    .optional(),
  ALERT_FAILING_AFTER: z
    .string()
    .trim()
    .refine(isIsoDuration, 'wants an ISO-8601 duration such as PT15M')
    .default('PT15M'),
  AUDIT_CHECKPOINT_EVERY: z
    .string()
    .trim()
    .refine(isIsoDuration, 'wants an ISO-8601 duration such as P1D')
    .default('P1D'),
  CONSOLE_URL: url(
    ['https:', 'http:'],
    'the http(s) URL of the console, such as https://breakglass.contoso.com',
  ).optional(),
  // Watching the accounts through Microsoft Graph (issue 13).
  GRAPH_URL: url(['https:', 'http:'], 'the Microsoft Graph root such as https://graph.microsoft.com').default(
    'https://graph.microsoft.com',
  ),
  // `managed`: DefaultAzureCredential (managed identity). `standin`: the fixed token of the local Graph stand-in.
  GRAPH_CREDENTIAL: z.enum(['managed', 'standin'], { message: 'wants managed or standin' }).default('managed'),
  WATCH_SIGNIN_INTERVAL: isoDurationSetting('an ISO-8601 duration such as PT1M').default('PT1M'),
  WATCH_LOOKBACK: isoDurationSetting('an ISO-8601 duration such as PT30M').default('PT30M'),
  WATCH_GRACE: isoDurationSetting('an ISO-8601 duration such as PT5M').default('PT5M'),
  WATCH_DEGRADED_AFTER: z.coerce
    .number({ message: 'wants a number of runs' })
    .int()
    .min(1, 'wants at least 1 run')
    .max(1000)
    .default(3),
  WATCH_DRIFT_INTERVAL: isoDurationSetting('an ISO-8601 duration such as P1D').default('P1D'),
  // The web console's OpenID Connect sign-in (src/console/console-config.ts).
  ...consoleConfigShape,
});

export type Config = z.infer<typeof configSchema>;

/** Settings that exist only so the local stack can stand in for Azure; production refuses them. */
const productionChecks = (config: Config): string[] => {
  const problems: string[] = [];
  if (config.KEYVAULT_CA_CERT)
    problems.push('KEYVAULT_CA_CERT is a dev/test setting and is refused when NODE_ENV=production');
  if (config.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION)
    problems.push(
      'KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION is a dev/test setting and is refused when NODE_ENV=production',
    );
  if (config.KEYVAULT_CREDENTIAL === 'emulator')
    problems.push('KEYVAULT_CREDENTIAL=emulator is a dev/test setting and is refused when NODE_ENV=production');
  if (config.AUTH_ISSUER === DEV_ISSUER)
    problems.push('AUTH_ISSUER is the local dev issuer, which is refused when NODE_ENV=production');
  if (!config.AUTH_JWKS_URL.startsWith('https:'))
    problems.push('AUTH_JWKS_URL wants an https:// URL when NODE_ENV=production');
  if (config.ALERT_WEBHOOK_URLS.length === 0 && config.ALERT_SINKS.length === 0)
    problems.push('ALERT_WEBHOOK_URLS or ALERT_SINKS wants at least one webhook when NODE_ENV=production');
  if (config.ALERT_SINKS.some((sink) => !sink.url.startsWith('https:')))
    problems.push('ALERT_SINKS wants https:// URLs when NODE_ENV=production');
  if (config.ALERT_WEBHOOK_URLS.some((hook) => !hook.startsWith('https:')))
    problems.push('ALERT_WEBHOOK_URLS wants https:// URLs when NODE_ENV=production');
  if (config.GRAPH_CREDENTIAL === 'standin')
    problems.push('GRAPH_CREDENTIAL=standin is a dev/test setting and is refused when NODE_ENV=production');
  if (!config.GRAPH_URL.startsWith('https:')) problems.push('GRAPH_URL wants an https:// URL when NODE_ENV=production');
  return problems;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_BEARING = new Set([
  'DATABASE_URL',
  'ALERT_WEBHOOK_URLS',
  'ALERT_SINKS',
  'ALERT_WEBHOOK_SECRET',
  'OIDC_CLIENT_SECRET',
]);

/** What each required variable wants, for the message when it is missing. */
const REQUIRED_WANTS: Record<string, string> = {
  DATABASE_URL: 'a postgres:// connection URL',
  TEMPORAL_ADDRESS: 'host:port, for example 127.0.0.1:7233',
  KEYVAULT_URL: 'an https:// Key Vault URL such as https://myvault.vault.azure.net',
  AUTH_ISSUER: 'the exact issuer (iss) of accepted tokens',
  AUTH_AUDIENCE: 'the exact audience (aud) of accepted tokens',
  AUTH_JWKS_URL: 'the URL of the issuer JSON Web Key Set',
};

export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set" to an operator; treat it so defaults still apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      // Inside a structured variable (ALERT_SINKS), say where: the operator cannot see the value in the message.
      const where = issue.path.length > 1 ? ` at ${issue.path.slice(1).join('.')}` : '';
      const given = present[name];
      const missing = given === undefined;
      const shown = missing
        ? 'is not set'
        : SECRET_BEARING.has(name)
          ? 'has an invalid value'
          : `is ${JSON.stringify(given)}`;
      const wants =
        missing && issue.code === 'invalid_type'
          ? (REQUIRED_WANTS[name] ?? 'a value')
          : issue.message.replace(/^wants /, '');
      return `${name} ${shown}${where}; it wants ${wants}`;
    });
    throw new ConfigError(problems);
  }
  const authProblems = [
    ...authConfigProblems(result.data, isProduction(env)),
    ...consoleConfigProblems(result.data, isProduction(env)),
  ];
  if (authProblems.length > 0) throw new ConfigError(authProblems);
  if (isProduction(env)) {
    const problems = productionChecks(result.data);
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return result.data;
}

/** For process entry points: print one clear line and exit non-zero. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`breakglass: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
