import { existsSync, readFileSync } from 'node:fs';

export interface TestStack {
  env: { DATABASE_URL: string; TEMPORAL_ADDRESS: string; KEYVAULT_URL: string; KEYVAULT_CA_CERT: string };
  workflowBundlePath: string;
  postgresDataDir: string | null;
}

/** The services started once for the whole run by scripts/test.ts (tap runs each file in its own process). */
export async function testStack(): Promise<TestStack> {
  const file = process.env.BREAKGLASS_TEST_STACK;
  if (!file || !existsSync(file)) {
    throw new Error(
      'the test stack is not running: run the suite with `npm test` (scripts/test.ts starts Temporal, PostgreSQL and Key Vault once)',
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as TestStack;
}
