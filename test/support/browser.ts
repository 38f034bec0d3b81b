/**
 * The dashboard's browser tests' common ground: Debian's Chromium driven by playwright-core,
 * the two widths every page is looked at (desktop and phone), screenshots into
 * test-output/dashboard/, and the layout measurements the pages are held to.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BUILT_DASHBOARD_DIR } from '../../src/config.js';
import { REPO_ROOT } from './glove.js';
import { tempDir } from './tmp.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS_DIR = join(REPO_ROOT, 'test-output', 'dashboard');
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
// Without Chromium the test skips and says why, except in CI, where .ci/run installs it.
export const noChromium = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP violations seen so far (a 4xx answer logged by the browser is not one). */
  problems: string[];
}

/** Build the dashboard (vite build web → web/dist) unless a build is there: the server serves that one. */
export function ensureDashboardBuilt(): void {
  if (!existsSync(join(BUILT_DASHBOARD_DIR, 'index.html'))) execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', join(REPO_ROOT, 'web')], { stdio: 'inherit' });
}

/** Sign in at `url` with `key` (the Collections page opens), then open the page `label` from the nav bar: resolves once its heading shows. */
export async function signInAndOpen(page: Page, url: string, key: string, label: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Collections' }).waitFor();
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

/** A headless Chromium with a fresh profile, its first page at desktop width. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(tempDir('vectra-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** Save the whole page as test-output/dashboard/<name>-desktop.png or -phone.png, by the page's width. */
export async function shot(page: Page, name: string): Promise<string> {
  const path = join(SHOTS_DIR, `${name}-${page.viewportSize()!.width === PHONE.width ? 'phone' : 'desktop'}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** How many pixels the page is wider than the window (0 or less: it fits). */
export function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Every option of every select on the page fits its select (a closed select shows only what fits). */
export async function selectsFit(page: Page, where: string): Promise<void> {
  const cut = await page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d')!;
    const out: string[] = [];
    for (const sel of document.querySelectorAll('select')) {
      if (sel.offsetParent === null) continue;
      const cs = getComputedStyle(sel);
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      // The drop-down arrow takes about 20 px of Chromium's menu list.
      const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
      for (const o of sel.options) {
        const width = ctx.measureText(o.text).width;
        if (width > room) out.push(`"${o.text}" needs ${Math.ceil(width)}px, has ${Math.floor(room)}px (${sel.labels[0]?.textContent})`);
      }
    }
    return out;
  });
  assert.deepEqual(cut, [], `option texts cut on ${where}`);
}

/** Each figure of a row of stat cards stays on one line (a model name does not break at its hyphens). */
export async function statsOnOneLine(page: Page): Promise<void> {
  const wrapped = await page.evaluate(() =>
    [...document.querySelectorAll('.stats dd')].flatMap((dd) => {
      const range = document.createRange();
      range.selectNodeContents(dd);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      return lines.size > 1 ? [dd.textContent] : [];
    }),
  );
  assert.deepEqual(wrapped, [], 'stat values wrapped');
}

/**
 * At phone width the page fits the screen: the page and every element matching `frames` (a
 * table's frame, a card) do not scroll sideways, selects fit, stat values stay on one line.
 * Saves the screenshot `name` at that width, then goes back to desktop width.
 */
export async function fitsPhone(page: Page, name: string, where: string, frames: string[] = []): Promise<void> {
  await page.setViewportSize(PHONE);
  const overflow = await pageOverflow(page);
  assert.ok(overflow <= 0, `${where} is ${overflow}px wider than the phone`);
  for (const selector of frames) {
    const cut = await page.evaluate((sel) => Math.max(0, ...[...document.querySelectorAll(sel)].map((el) => el.scrollWidth - el.clientWidth)), selector);
    assert.ok(cut <= 0, `${selector} on ${where} scrolls sideways by ${cut}px at phone width`);
  }
  await selectsFit(page, `${where} at phone width`);
  await statsOnOneLine(page);
  await shot(page, name);
  await page.setViewportSize(DESKTOP);
}
