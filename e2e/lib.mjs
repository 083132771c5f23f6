// Shared helpers of the browser tests: the browser, TOTP codes, logging in, accessibility checks and
// screenshots. Environment (set by run.sh): BASE_URL, DEMO_PASSWORD, TOTP_<LOGIN> (login upper-cased, dots as
// underscores), E2E_STATE_DIR (TOTP steps already used per account, cached sessions, locks), SCREENSHOT_DIR,
// E2E_BACKEND; for the session-expiry journey also IDLE_BASE_URL and IDLE_TOTP_<LOGIN> (a second server
// started with MELDROUTE_SESSION_IDLE_MINUTES=1).
//
// Test files run concurrently (run.sh passes --test-concurrency), so everything shared between them (the
// last TOTP step per account, the cached sessions) goes through a lock in E2E_STATE_DIR.
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { totpCode } from './totp.mjs';

export const BASE_URL = required('BASE_URL').replace(/\/$/, '');
export const PASSWORD = required('DEMO_PASSWORD');
const STATE_DIR = required('E2E_STATE_DIR');
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || new URL('./screenshots/', import.meta.url).pathname;
const BACKEND = process.env.E2E_BACKEND || 'sqlite';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };
/** Every journey runs at both; the name goes into test titles and screenshot names. */
export const VIEWPORTS = [
  { name: 'desktop', viewport: DESKTOP },
  { name: 'phone', viewport: PHONE },
];

/** The demo server the journeys use, and (when run.sh started it) the one with a 1-minute idle timeout. */
export const MAIN = { name: 'main', base: BASE_URL, totpPrefix: 'TOTP_' };
export const IDLE = process.env.IDLE_BASE_URL
  ? { name: 'idle', base: process.env.IDLE_BASE_URL.replace(/\/$/, ''), totpPrefix: 'IDLE_TOTP_' }
  : null;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the tests through e2e/run.sh`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Browser

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// Contexts created with JavaScript switched off: axe cannot run in them (see checkA11y).
const withoutJs = new WeakSet();

const ours = (url) => url.startsWith(`${BASE_URL}/`) || (IDLE && url.startsWith(`${IDLE.base}/`));

/** A fresh context (own cookies) at the given viewport; every request outside our servers is refused.
 * `javaScriptEnabled: false` for the pages that must work without JavaScript; `storageState` to start
 * logged in (see sessionPage). */
export async function newPage(browser, viewport = DESKTOP, { javaScriptEnabled = true, storageState } = {}) {
  const context = await browser.newContext({
    viewport,
    locale: 'nl-NL',
    timezoneId: 'Europe/Amsterdam',
    javaScriptEnabled,
    storageState,
  });
  if (!javaScriptEnabled) withoutJs.add(context);
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  await context.route('**/*', (route) => (ours(route.request().url()) ? route.continue() : route.abort()));
  return context.newPage();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` holding the lock `name`, shared by all test processes of this run (a directory in
 * E2E_STATE_DIR: mkdir is atomic). A lock older than 90 seconds is taken to be left by a crashed process. */
export async function withLock(name, fn) {
  mkdirSync(STATE_DIR, { recursive: true });
  const dir = join(STATE_DIR, `lock-${name}`);
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(dir).mtimeMs > 90_000) rmSync(dir, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits)

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

function secretOf(login, server = MAIN) {
  return required(`${server.totpPrefix}${login.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`);
}

// The server refuses a step at or before the last one it accepted for an account, and accepts one step
// either side of its own. A small file per server and account remembers the last step used across the test
// processes; the caller holds the account's lock from taking the code until the server has accepted it
// (otherwise a later step could be accepted first and make this one stale).
function lastStepFile(login, server) {
  mkdirSync(STATE_DIR, { recursive: true });
  return join(STATE_DIR, server === MAIN ? `totp-${login}` : `totp-${server.name}-${login}`);
}

/** A code for `login` the server has not used yet: the current step, or the next one (the server accepts
 * now+1), or waiting for the step after that when both are used. */
export async function freshCode(login, server = MAIN) {
  const file = lastStepFile(login, server);
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : -Infinity;
  const step = Math.max(stepNow(), last + 1);
  while (step > stepNow() + 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  writeFileSync(file, String(step));
  return totpCode(secretOf(login, server), step);
}

// ---------------------------------------------------------------------------------------------------------
// Journeys' building blocks

/** Logs `login` in with the demo password and a fresh TOTP code; ends on the start page. */
export async function login(page, loginName, server = MAIN) {
  await page.goto(`${server.base}/login`);
  await checkA11yOnce(page, 'login');
  await page.getByLabel('Inlognaam').fill(loginName);
  await page.getByLabel('Wachtwoord').fill(PASSWORD);
  await submit(page, page.getByRole('button', { name: 'Inloggen' }), /\/login\/code$/);
  await checkA11yOnce(page, 'login code');
  await withLock(`totp-${server.name}-${loginName}`, async () => {
    await page.locator('#code').fill(await freshCode(loginName, server));
    await submit(page, page.locator('form[action="/login/code"] button[type=submit]'), `${server.base}/`);
  });
  await assertVisibleText(page, 'main', 'Welkom,');
}

/** A page already logged in as `loginName`: the account logs in once per run (through the form, with a TOTP
 * code) and later pages reuse that session's cookie, so the journeys do not queue for TOTP steps. Never log
 * such a page out (that ends the shared session): the logout journeys log in themselves. */
export async function sessionPage(browser, loginName, { viewport = DESKTOP, javaScriptEnabled = true } = {}) {
  const file = join(STATE_DIR, `session-${loginName}.json`);
  await withLock(`session-${loginName}`, async () => {
    if (existsSync(file)) return;
    const page = await newPage(browser);
    await login(page, loginName);
    await page.context().storageState({ path: file });
    await page.context().close();
  });
  const page = await newPage(browser, viewport, { javaScriptEnabled, storageState: file });
  await page.goto(`${BASE_URL}/`);
  await assertVisibleText(page, 'main', 'Welkom,');
  return page;
}

export async function logout(page) {
  await submit(page, page.locator('form[action="/logout"] button'), /./);
  assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'still logged in after logout');
}

export async function assertVisibleText(page, selector, text, { timeout = 5_000 } = {}) {
  const locator = page.locator(selector).filter({ hasText: text }).first();
  try {
    await locator.waitFor({ state: 'visible', timeout });
  } catch (err) {
    const seen = await page.locator(selector).allInnerTexts().catch(() => []);
    assert.fail(`no visible ${selector} with "${text}" on ${page.url()}; ${selector} shows:\n${seen.join('\n---\n') || '(nothing)'}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Accessibility: axe-core on every page a journey visits; serious and critical violations fail the test.

// Rules switched off, each with its reason. Keep this empty unless a finding cannot be fixed in a template.
const DISABLED_RULES = [];

// axe runs inside the page and needs its JavaScript; in a context without JavaScript it would hang. There the
// page's current DOM is served, at the same URL and viewport with the same stylesheet, to a JavaScript-enabled
// mirror page, and axe checks that copy (the app has no scripts of its own, so the copy is what the user sees).
// One mirror page per browser and viewport, used by one check at a time.
const mirrors = new Map();
async function axeTarget(page) {
  if (!withoutJs.has(page.context())) return { target: page, close: async () => {} };
  const html = await page.content();
  const url = page.url().replace(/#.*$/, '');
  const browser = page.context().browser();
  const viewport = page.viewportSize();
  const key = `${viewport.width}x${viewport.height}`;
  if (!mirrors.has(browser)) mirrors.set(browser, new Map());
  const perBrowser = mirrors.get(browser);
  if (!perBrowser.has(key)) {
    const mirror = { html: '', url: '', queue: Promise.resolve() };
    mirror.page = (async () => {
      const context = await browser.newContext({ viewport, locale: 'nl-NL' });
      await context.route('**/*', (route) => {
        const wanted = route.request().url().replace(/#.*$/, '');
        if (wanted === mirror.url) {
          return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: mirror.html });
        }
        return ours(wanted) ? route.continue() : route.abort();
      });
      return context.newPage();
    })();
    perBrowser.set(key, mirror);
  }
  const mirror = perBrowser.get(key);
  // Wait for the previous check on this mirror, then take it.
  let release;
  const previous = mirror.queue;
  mirror.queue = new Promise((resolve) => (release = resolve));
  await previous;
  try {
    const target = await mirror.page;
    mirror.html = html;
    mirror.url = url;
    await target.goto(url);
    return { target, close: async () => release() };
  } catch (err) {
    release();
    throw err;
  }
}

// E2E_TIMING=1: where a test file's time goes (printed when the process ends).
const timing = { axe: [0, 0], mirror: [0, 0], screenshot: [0, 0] };
const timed = async (key, fn) => {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timing[key][0] += 1;
    timing[key][1] += performance.now() - t0;
  }
};
if (process.env.E2E_TIMING) {
  process.on('exit', () => {
    const parts = Object.entries(timing).map(([k, [n, ms]]) => `${k} ${n}× ${(ms / 1000).toFixed(1)} s`);
    process.stderr.write(`timing ${process.argv[1]?.split('/').pop()}: ${parts.join(', ')}\n`);
  });
}

export async function checkA11y(page, name) {
  const { target, close } = await timed('mirror', () => axeTarget(page));
  let results;
  try {
    results = await timed('axe', () =>
      new AxeBuilder({ page: target })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
        .disableRules(DISABLED_RULES)
        .analyze(),
    );
  } finally {
    await close();
  }
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad
    .map(
      (v) =>
        `  [${v.impact}] ${v.id}: ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `      ${n.target.join(' ')}  ${n.failureSummary.replace(/\s+/g, ' ')}`)
          .join('\n'),
    )
    .join('\n');
  assert.equal(bad.length, 0, `axe on "${name}" (${page.url()}):\n${report}`);
  return results;
}

// The login pages are the same for every login: checked once per test file and viewport width.
const checkedOnce = new Set();
async function checkA11yOnce(page, name) {
  const key = `${name}@${page.viewportSize()?.width}`;
  if (checkedOnce.has(key)) return;
  checkedOnce.add(key);
  await checkA11y(page, name);
}

/** Writes a full-page screenshot to e2e/screenshots/<backend>-<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await timed('screenshot', () =>
    page.screenshot({ path: join(SCREENSHOT_DIR, `${BACKEND}-${name}.png`), fullPage: true }),
  );
}

/** Visits a page: axe check, no sideways scrolling on a phone, and a screenshot (main pages; pass
 * `{ shot: false }` for the many intermediate states of a journey, which are still checked). */
export async function visited(page, name, { shot = true } = {}) {
  await page.waitForLoadState('load');
  await checkA11y(page, name);
  const viewport = page.viewportSize();
  if (viewport && viewport.width <= PHONE.width) {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `"${name}" is ${width}px wide on a ${viewport.width}px screen`);
  }
  if (shot) await screenshot(page, name);
}

/** Clicks a submit button and waits for the page the form leads to (which may have the same URL as the form:
 * waiting for the URL alone would return at once). */
export async function submit(page, button, urlPattern) {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await button.click();
  await navigated;
  await page.waitForLoadState('load');
  await page.waitForURL(urlPattern);
}

// ---------------------------------------------------------------------------------------------------------
// Dates as the server sees them: the organisation's day is the day in Europe/Amsterdam; pages show DD-MM-YYYY.

/** Today in the Netherlands as YYYY-MM-DD, shifted by `days`. */
export function isoToday(days = 0) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
  return addDays(today, days);
}

export function addDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** YYYY-MM-DD as the pages show it: DD-MM-YYYY. */
export const nl = (iso) => iso.split('-').reverse().join('-');

/** DD-MM-YYYY back to YYYY-MM-DD (for comparing dates read from a page). */
export const iso = (text) => text.split('-').reverse().join('-');

// Dutch public holidays of the Algemene termijnenwet (the server's working-day calendar), an independent
// implementation so the expected deadlines are not the server's own arithmetic.
function easter(year) {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const h = (19 * a + b - Math.floor(b / 4) - Math.floor((b - Math.floor((b + 8) / 25) + 1) / 3) + 15) % 30;
  const l = (32 + 2 * (b % 4) + 2 * Math.floor(c / 4) - h - (c % 4)) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function holidays(year) {
  const e = easter(year);
  const kings = new Date(`${year}-04-27T00:00:00Z`).getUTCDay() === 0 ? `${year}-04-26` : `${year}-04-27`;
  return new Set([
    `${year}-01-01`,
    e,
    addDays(e, 1),
    addDays(e, 39),
    addDays(e, 49),
    addDays(e, 50),
    kings,
    `${year}-05-05`,
    `${year}-12-25`,
    `${year}-12-26`,
  ]);
}

/** `count` working days (no weekend, no public holiday) after `iso`. */
export function addWorkingDays(iso, count) {
  let d = iso;
  for (let left = count; left > 0; ) {
    d = addDays(d, 1);
    const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidays(Number(d.slice(0, 4))).has(d)) left -= 1;
  }
  return d;
}
