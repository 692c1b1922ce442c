import t from 'tap';
import { join } from 'node:path';
import madge from 'madge';

const ROOT = join(__dirname, '..');

/**
 * Layout rules (issue 8): no module imports itself through others, type-only imports included
 * (a cycle there is a shape defined in the wrong place), across everything that is not a test.
 */
void t.test('no import cycles in the service, the workflows, the activities, the dev stack or the bench', async (t) => {
  const graph = await madge(
    ['src', 'workflows', 'activities', 'scripts', 'devstack', 'bench'].map((dir) => join(ROOT, dir)),
    {
      fileExtensions: ['ts'],
      tsConfig: join(ROOT, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false } },
    },
  );
  t.ok(Object.keys(graph.obj()).length > 100, `the graph covers the code (${Object.keys(graph.obj()).length} modules)`);
  t.same(graph.circular(), [], 'no cycles');
});
