import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config';

/** docker-compose.yml read and resolved the way Compose would, for the stack's shape test. */

export const ROOT = join(__dirname, '..', '..');
export const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');

export interface Healthcheck {
  test?: string[] | string;
}
export interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: Healthcheck;
  volumes?: string[];
  ports?: string[];
  restart?: string;
  networks?: Record<string, { aliases?: string[] } | null> | string[];
}
export interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

export const compose = parse(read('docker-compose.yml')) as Compose;
export const services = compose.services;

/** `environment` as a map, whichever of the two Compose forms it is written in. */
export function environmentOf(name: string): Record<string, string> {
  const environment = services[name]?.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}

/** Compose interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `$VAR`. */
export const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    INTERPOLATION,
    (match, braced?: string, colon?: string, operator?: string, argument?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const set = vars[name];
      const usable = colon ? set !== undefined && set !== '' : set !== undefined;
      if (operator === '-') return usable ? set! : argument!;
      if (operator === '?') {
        if (!usable) throw new Error(`${name} is required: ${argument}`);
        return set!;
      }
      if (operator === '+') return usable ? argument! : '';
      return set ?? '';
    },
  );
}

/** `${NAME:?message}`: a value that must come from the user's environment and has no fallback. */
export const REQUIRED_INTERPOLATION = /^\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$/;

/** What a user puts in `.env` before `docker compose up`; stand-ins, never used anywhere else. */
export const USER_ENV: Record<string, string> = {
  POSTGRES_PASSWORD: 'a1'.repeat(24),
  BREAKGLASS_DB_PASSWORD: 'b2'.repeat(24),
  TEMPORAL_DB_PASSWORD: 'c3'.repeat(24),
  AUTH_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
  AUTH_AUDIENCE: '11111111-2222-3333-4444-555555555555',
  AUTH_JWKS_URL: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/discovery/v2.0/keys',
};

export const resolved = (name: string) =>
  Object.fromEntries(Object.entries(environmentOf(name)).map(([key, value]) => [key, interpolate(value, USER_ENV)]));

/** `command` as a list of arguments, and the value after one of its flags. */
export const commandOf = (name: string): string[] => {
  const command = services[name]?.command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/);
};
export const flagOf = (name: string, flag: string): string | undefined => {
  const args = commandOf(name);
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
};

export const SCHEMA_KEYS = Object.keys(configSchema.shape) as Array<keyof typeof configSchema.shape>;
export const REQUIRED_KEYS = SCHEMA_KEYS.filter((key) => !configSchema.shape[key].safeParse(undefined).success);
export const APP_SERVICES = ['api', 'worker'] as const;
