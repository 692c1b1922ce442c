import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureChromium } from '../../devstack/chromium';
import { startDevOidcProvider, type DevOidcProvider } from '../../devstack/oidc-provider/provider';
import { setupApi, type ApiHarness } from './api';

/**
 * The console in a real browser: the API on a fixed localhost port (CONSOLE_URL names it),
 * the dev OpenID provider, and Chromium from the distribution driven by playwright-core.
 */

export const SCREENSHOTS = join(process.cwd(), '.tap', 'console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Teardown {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

export interface ConsoleWorld {
  api: ApiHarness;
  provider: DevOidcProvider;
  browser: Browser;
  url: string;
  /** A new browser context (one person), optionally at a phone's size. */
  person(options?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function setupConsole(t: Teardown, env: Record<string, string> = {}): Promise<ConsoleWorld> {
  const executablePath = await ensureChromium((line) => t.comment(line));
  const port = await freePort();
  // localhost: browsers treat it as a secure context, so Secure cookies and WebAuthn work over http.
  const url = `http://localhost:${port}`;
  const provider = await startDevOidcProvider({ redirectUris: [`${url}/auth/callback`] });
  t.teardown(() => provider.close());
  const api = await setupApi(t, {
    port,
    harnessOptions: { alerts: { consoleUrl: url } },
    env: {
      CONSOLE_URL: url,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      AUTH_ISSUERS: JSON.stringify([provider.trustEntry]),
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: url,
      CONSOLE_REVEAL_SECONDS: '3',
      ...env,
    },
  });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    api,
    provider,
    browser,
    url,
    async person(options = {}) {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1100, height: options.height ?? 800 },
        baseURL: url,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return { context, page };
    },
  };
}

/** The real code flow: the console's button, the provider's sign-in form, back to where the person was going. */
export async function signInWithOidc(page: Page, who: string, path = '/') {
  await page.goto(path);
  const origin = new URL(page.url()).origin;
  await page.getByRole('link', { name: 'Sign in with your organisation account' }).click();
  await page.locator('input[name=login]').fill(who);
  await page.locator('input[name=password]').fill('any');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((target) => target.origin === origin && !target.pathname.startsWith('/auth/'));
  await page.getByText(who, { exact: false }).first().waitFor();
}

/** axe-core in the page; the serious and critical violations, by rule and target. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays in force.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: any[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return result
    .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v: { id: string; nodes: Array<{ target: string[] }> }) =>
        `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

export async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Presses Tab until the focused element is the control with this accessible text (keyboard-only use). */
export async function tabTo(page: Page, text: string, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const focused = String(
      await page.evaluate(
        "(document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '').trim()",
      ),
    );
    if (focused === text) return;
  }
  throw new Error(`"${text}" was not reached with Tab`);
}

/** Waits until the service's read model shows the request in this status. */
export async function waitForStatus(world: ConsoleWorld, requestId: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await world.api.h.requests.get(world.api.h.pool, requestId);
    if (view?.status === status) return view;
    if (Date.now() > deadline) throw new Error(`request ${requestId} is ${view?.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
