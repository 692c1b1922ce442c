import t from 'tap';
import { setupConsole, signInWithOidc, shoot, axeViolations } from '../helpers/console';

t.test('smoke', async (t) => {
  const world = await setupConsole(t);
  await world.api.h.createAccount();
  const { page } = await world.person();
  page.on('console', (m) => t.comment(`console: ${m.text()}`));
  page.on('pageerror', (e) => t.comment(`pageerror: ${e.message}`));
  await signInWithOidc(page, 'alice');
  await shoot(page, 'smoke-home');
  t.comment(await page.locator('main').innerText());
  t.same(await axeViolations(page), []);
});
