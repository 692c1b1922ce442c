import type { Test } from 'tap';
import { ConfigError, parseConfig } from '../../src/config';

/** A good production-shaped environment, and the checks of a refused configuration (one clear line). */

export const GOOD = {
  DATABASE_URL: 'postgres://breakglass:s3cret-db-pass@db.internal:5432/breakglass',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  KEYVAULT_URL: 'https://contoso-bg.vault.azure.net',
  AUTH_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
  AUTH_AUDIENCE: '11111111-2222-3333-4444-555555555555',
  AUTH_JWKS_URL: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/discovery/v2.0/keys',
} as const;

export type Env = Record<string, string | undefined>;

export const without = (env: Env, name: string): Env =>
  Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));

/** parseConfig must throw a ConfigError; returns it (or null after recording a failure). */
export function refused(t: Test, env: Env, label: string): ConfigError | null {
  try {
    parseConfig(env as NodeJS.ProcessEnv);
    t.fail(`${label}: was accepted`);
    return null;
  } catch (error) {
    t.ok(error instanceof ConfigError, `${label}: ConfigError`);
    if (!(error instanceof ConfigError)) return null;
    t.equal(error.name, 'ConfigError', `${label}: named ConfigError`);
    t.notMatch(error.message, /\n/, `${label}: one line`);
    return error;
  }
}

export function refusedWith(t: Test, env: Env, label: string, variable: string, wants: RegExp): ConfigError | null {
  const error = refused(t, env, label);
  if (!error) return null;
  t.match(error.message, new RegExp(`\\b${variable}\\b`), `${label}: names ${variable}`);
  t.match(error.message, wants, `${label}: says what ${variable} wants`);
  t.ok(
    error.problems.some((problem) => problem.includes(variable) && wants.test(problem)),
    `${label}: one listed problem names ${variable} and what it wants`,
  );
  return error;
}
