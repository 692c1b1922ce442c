import t from 'tap';
import { readFileSync } from 'node:fs';
import { testStack } from '../helpers/stack-env';

/**
 * The workflows take the request's shapes from src/schemas as types only (issue 8): the bundle
 * the worker runs must hold no zod, and none of the I/O libraries that belong in activities.
 */
void t.test('the workflow bundle holds no zod and no I/O library', async (t) => {
  const bundle = readFileSync((await testStack()).workflowBundlePath, 'utf8');
  const packages = new Set([...bundle.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)].map((match) => match[1]));
  t.ok(
    packages.has('@temporalio/workflow'),
    `the bundle is the workflow bundle (packages: ${[...packages].join(', ')})`,
  );
  for (const forbidden of ['zod', 'pg', 'fastify', '@azure/keyvault-secrets', '@azure/identity', 'jose'])
    t.notOk(packages.has(forbidden), `no ${forbidden} in the bundle`);
  t.ok(bundle.includes('breakglassLifecycle'), 'it holds the lifecycle workflow');
});
