/**
 * The live dashboard in a real headless Chromium (playwright-core, the system browser, as
 * observability's report spec drives it): an endpoint (a simulator child process) killed and
 * restarted goes down and comes back on the page, and a run's bars grow while it runs.
 * A missing Chromium fails (never skips).
 */
import 'reflect-metadata';
import { chromium, type Page } from 'playwright-core';
import { createFlotilla, defineAgent } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the shared headless Chromium launcher
import { CHROMIUM_ARGS, CHROMIUM_PATH, freePort, type HeadlessChromium, launchHeadlessChromium, openWatchedPage } from '@flotilla/testing';
import { CHAT_MODEL, GatewayFixture, type OllamaSimProcess, raw, spawnOllamaSim } from '../../spec/gateway-fixture';
import type { ChainRunner } from '../runs/chain-runner';

jest.setTimeout(120_000);

let chrome: HeadlessChromium | undefined;

beforeAll(async () => {
  chrome = await launchHeadlessChromium('flotilla-dash-');
});

afterAll(async () => {
  await chrome?.close();
});

const open = (url: string) => openWatchedPage(chrome!.browser, url);

const endpointUp = (page: Page, name: string) => page.getAttribute(`.card[data-endpoint="${name}"]`, 'data-up');

describe('the live dashboard in Chromium', () => {
  const fx = new GatewayFixture();
  let sim: OllamaSimProcess | undefined;
  afterEach(async () => {
    await fx.close();
    await sim?.kill();
  });

  it('shows an endpoint go down when its server is killed and come back when it restarts; no third-party request, no CSP violation', async () => {
    const port = await freePort();
    const first = await spawnOllamaSim(port, ['--time-scale', '0', '--models', CHAT_MODEL]);
    sim = first;
    await fx.start({ endpoints: [{ name: 'gpu-a', kind: 'ollama', url: first.url, slots: 2 }], routing: { healthIntervalMs: 100, probeTimeoutMs: 300 } }, { dashboardIntervalMs: 100 });
    const { page, problems, requests } = await open(`${fx.url}/`);
    await page.waitForSelector('#conn.live');
    await page.waitForSelector('.card[data-endpoint="gpu-a"][data-up="true"]');
    expect(await page.textContent('.card[data-endpoint="gpu-a"]')).toContain('circuit closed');

    await first.kill();
    await page.waitForSelector('.card[data-endpoint="gpu-a"][data-up="false"]', { timeout: 10_000 });
    expect(await page.textContent('.card[data-endpoint="gpu-a"] .state')).toBe('down');
    expect(await page.textContent('#errors')).toContain('endpoint gpu-a');
    // A request the fleet cannot serve now is a recent error too.
    const refused = await raw(fx.url, 'POST', '/api/chat', JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], stream: false }));
    expect(refused.status).toBeGreaterThanOrEqual(500);
    await page.waitForSelector('#errors tr.error:has-text("POST /api/chat")', { timeout: 5_000 });

    sim = await spawnOllamaSim(port, ['--time-scale', '0', '--models', CHAT_MODEL]);
    await page.waitForSelector('.card[data-endpoint="gpu-a"][data-up="true"]', { timeout: 10_000 });
    expect(await endpointUp(page, 'gpu-a')).toBe('true');

    expect(problems).toEqual([]);
    // The page and its own event stream: nothing else fetched.
    expect([...new Set(requests)].sort()).toEqual([`${fx.url}/`, `${fx.url}/events`]);
    await page.close();
  });

  it('draws a run over /v1/runs/:chain as a timeline whose bars grow while the call runs', async () => {
    // A slow simulator: the one call streams for about 4 s, so the page sees it more than once.
    await fx.sim({ timeScale: 0, script: () => ({ text: 'word '.repeat(40).trim(), chunks: 40, intervalMs: 100 }) });
    let flotilla: ReturnType<typeof createFlotilla> | undefined;
    const writer = defineAgent({ name: 'writer', model: CHAT_MODEL, retries: 0, prompt: (q: string) => q });
    const runner: ChainRunner = { start: async (_chain, input, options) => (flotilla ??= createFlotilla({ client: fx.fleet!.router })).run(writer, String(input), options) };
    await fx.start({}, { dashboardIntervalMs: 100, runs: runner });

    const { page, problems } = await open(`${fx.url}/`);
    await page.waitForSelector('#conn.live');
    const run = raw(fx.url, 'POST', '/v1/runs/story', JSON.stringify({ input: 'a long story' }), { accept: 'text/event-stream' }, 30_000);
    const bar = '#runs .run .bar[data-agent="writer"]';
    await page.waitForSelector(bar, { timeout: 10_000 });
    const first = Number(await page.getAttribute(bar, 'data-end-ms'));
    // The call holds one of the endpoint's two slots while it runs.
    await page.waitForSelector('.card[data-endpoint="sim0"][data-slots-in-use="1"]', { timeout: 5_000 });
    expect(await page.textContent('.card[data-endpoint="sim0"]')).toContain('1 / 2 slots in use');
    // The page's own CSP forbids string evaluation: poll the attribute from here.
    let later = first;
    for (const end = Date.now() + 10_000; later <= first + 300 && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 100));
      later = Number(await page.getAttribute(bar, 'data-end-ms'));
    }
    expect(later).toBeGreaterThan(first + 300);
    expect(await page.textContent('#runs .run h3')).toContain('writer');

    const done = await run;
    expect(done.status).toBe(200);
    await page.waitForSelector('#runs .run', { state: 'detached', timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
    await flotilla?.close();
  });
});

describe('the dashboard with keys configured', () => {
  const fx = new GatewayFixture();
  afterEach(() => fx.close());

  it('asks a browser for the admin key, refuses tenants, and never shows keys', async () => {
    await fx.sim();
    const env = { ADMIN_KEY: 'admin-secret-123', TEAM_KEY: 'team-secret-456' };
    await fx.start({}, { env, tenancy: { adminKeyEnv: 'ADMIN_KEY', tenants: [{ name: 'team', keyEnv: 'TEAM_KEY' }] } as never, dashboardIntervalMs: 100 });
    const anon = await raw(fx.url, 'GET', '/');
    expect([anon.status, anon.headers['www-authenticate']]).toEqual([401, 'Basic realm="flotilla", charset="UTF-8"']);
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`me:${key}`).toString('base64')}` });
    expect((await raw(fx.url, 'GET', '/events', undefined, basic('team-secret-456'), 2_000)).status).toBe(403);
    const page = await raw(fx.url, 'GET', '/', undefined, basic('admin-secret-123'));
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'; connect-src 'self'/);
    expect(page.body).not.toMatch(/\s(src|href)\s*=|@import|url\(/i);
    const ctx = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
    try {
      const p = await ctx.newPage({ httpCredentials: { username: 'me', password: 'admin-secret-123' } });
      await p.goto(`${fx.url}/`);
      await p.waitForSelector('.card[data-endpoint="sim0"][data-up="true"]');
      const html = await p.content();
      expect(html).toContain('tenant team');
      expect(html).not.toContain('secret');
    } finally {
      await ctx.close();
    }
  });
});
