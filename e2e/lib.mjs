// Shared helpers of the browser tests: the browser, TOTP codes, logging in, accessibility checks and
// screenshots. Environment (set by run.sh): BASE_URL, DEMO_PASSWORD, TOTP_<LOGIN> (login upper-cased, dots as
// underscores), E2E_STATE_DIR (TOTP steps already used per account), SCREENSHOT_DIR, E2E_BACKEND.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
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

/** A fresh context (own cookies) at the given viewport; every request outside BASE_URL is refused. */
export async function newPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  await context.route('**/*', (route) =>
    route.request().url().startsWith(BASE_URL) ? route.continue() : route.abort(),
  );
  return context.newPage();
}

// ---------------------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits)

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

function secretOf(login) {
  return required(`TOTP_${login.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`);
}

// The server refuses a step at or before the last one it accepted for an account, and accepts one step
// either side of its own. Test files run one after another (run.sh passes --test-concurrency=1), so a small
// file per account remembers the last step used across them.
function lastStepFile(login) {
  mkdirSync(STATE_DIR, { recursive: true });
  return join(STATE_DIR, `totp-${login}`);
}

/** A code for `login` the server has not used yet: the current step, or the next one (the server accepts
 * now+1), or waiting for the step after that when both are used. */
export async function freshCode(login) {
  const file = lastStepFile(login);
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : -Infinity;
  const step = Math.max(stepNow(), last + 1);
  while (step > stepNow() + 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  writeFileSync(file, String(step));
  return totpCode(secretOf(login), step);
}

// ---------------------------------------------------------------------------------------------------------
// Journeys' building blocks

/** Logs `login` in with the demo password and a fresh TOTP code; ends on the start page. */
export async function login(page, loginName) {
  await page.goto(`${BASE_URL}/login`);
  await checkA11yOnce(page, 'login');
  await page.getByLabel('Inlognaam').fill(loginName);
  await page.getByLabel('Wachtwoord').fill(PASSWORD);
  await submit(page, page.getByRole('button', { name: 'Inloggen' }), /\/login\/code$/);
  await checkA11yOnce(page, 'login code');
  await page.locator('#code').fill(await freshCode(loginName));
  await submit(page, page.locator('form[action="/login/code"] button[type=submit]'), `${BASE_URL}/`);
  await assertVisibleText(page, 'main', 'Welkom,');
}

export async function logout(page) {
  await submit(page, page.locator('form[action="/logout"] button'), /./);
  assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'still logged in after logout');
}

export async function assertVisibleText(page, selector, text) {
  const locator = page.locator(selector).filter({ hasText: text }).first();
  await locator.waitFor({ state: 'visible' });
}

// ---------------------------------------------------------------------------------------------------------
// Accessibility: axe-core on every page a journey visits; serious and critical violations fail the test.

// Rules switched off, each with its reason. Keep this empty unless a finding cannot be fixed in a template.
const DISABLED_RULES = [];

export async function checkA11y(page, name) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .disableRules(DISABLED_RULES)
    .analyze();
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

// The login pages are the same for every login: checked once per test file.
const checkedOnce = new Set();
async function checkA11yOnce(page, name) {
  if (checkedOnce.has(name)) return;
  await checkA11y(page, name);
  checkedOnce.add(name);
}

/** Writes a full-page screenshot to e2e/screenshots/<backend>-<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${BACKEND}-${name}.png`), fullPage: true });
}

/** Visits a page: axe check, no sideways scrolling on a phone, and a screenshot. */
export async function visited(page, name) {
  await page.waitForLoadState('load');
  await checkA11y(page, name);
  const viewport = page.viewportSize();
  if (viewport && viewport.width <= PHONE.width) {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `"${name}" is ${width}px wide on a ${viewport.width}px screen`);
  }
  await screenshot(page, name);
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
