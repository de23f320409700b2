import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { SETUP_LINE } from '../llama-server/llama-server.binary';

/** The system Chromium the browser specs drive (CHROMIUM_PATH overrides it). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Headless, no sandbox, nothing fetched in the background (no updates, sync or QUIC probes). */
export const CHROMIUM_ARGS: readonly string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium with its own profile in a temporary folder. */
export interface HeadlessChromium {
  /** The persistent browser context: `browser.newPage()` opens a tab. */
  readonly browser: BrowserContext;
  /** The temporary folder (the profile is `profile/` inside it; a spec may write files here too). */
  readonly dir: string;
  /** Closes the browser and removes the folder. */
  close(): Promise<void>;
}

/**
 * Launches the system Chromium headless (playwright-core, loaded only here) with a fresh profile
 * under a temporary folder named `<prefix>…`, a 1280x900 viewport. A missing Chromium is an error
 * that names the setup line, so a spec that needs the browser fails, never skips.
 */
export async function launchHeadlessChromium(prefix: string, executablePath: string = CHROMIUM_PATH): Promise<HeadlessChromium> {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install it with \`${SETUP_LINE}\` (see README)`);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let browser: BrowserContext;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath, headless: true, args: [...CHROMIUM_ARGS], viewport: { width: 1280, height: 900 } });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    browser,
    dir,
    async close() {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A page opened by {@link openWatchedPage}, with what it reported and fetched. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors and warnings (`error: …`, `warning: …`) and uncaught page errors (`pageerror: …`). */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
}

/** Opens `url` in a new tab of `browser`, recording console problems and requests from the start, and waits for `load`. */
export async function openWatchedPage(browser: BrowserContext, url: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests };
}
