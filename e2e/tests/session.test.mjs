// The end of a session: logging out (after which neither the back button nor a typed URL shows a page
// behind the login), and the idle timeout. The timeout journey runs against a second server that run.sh
// starts with MELDROUTE_SESSION_IDLE_MINUTES=1 (the shortest the server allows); this file starts its
// minute of waiting first, and the other test files run meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

const IDLE_MS = 60_000;
// One account per journey on the idle server, so their logins never wait for a TOTP step.
const ACCOUNTS = { desktop: 'af.vo', phone: 'zorg.vo' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// Activity keeps a session alive when the idle timeout is short: "last seen" is refreshed at least every
// sixtieth of the idle timeout (crates/web/src/auth/session.rs, touch_interval).
test('a session stays alive while the user keeps clicking (idle timeout 1 minute)', { timeout: 180_000 }, async () => {
  const page = await L.newPage(browser);
  await L.login(page, 'mentor.vo', L.IDLE);
  for (let i = 0; i < 4; i++) {
    await sleep(25_000);
    await page.getByRole('link', { name: 'Leerlingen' }).first().click();
    await page.waitForLoadState('load');
    assert.match(page.url(), /\/pupils$/, `logged out after ${(i + 1) * 25} s of clicking every 25 s`);
  }
  await page.context().close();
});

test('an idle session expires: the next click leads to the login page', { timeout: 180_000, concurrency: true }, async (t) => {
  assert.ok(L.IDLE, 'IDLE_BASE_URL is not set: run the tests through e2e/run.sh');
  // Both viewports wait at the same time.
  await Promise.all(
    L.VIEWPORTS.map(({ name: vp, viewport }) =>
      t.test(vp, async () => {
        const page = await L.newPage(browser, viewport);
        await L.login(page, ACCOUNTS[vp], L.IDLE);
        await page.getByRole('link', { name: 'Leerlingen' }).first().click();
        await page.waitForURL(/\/pupils$/);
        await L.assertVisibleText(page, 'h1', 'Leerlingen');
        const lastRequest = Date.now();
        // Idle a little longer than the timeout (the server compares with "more than").
        await sleep(lastRequest + IDLE_MS + 2_000 - Date.now());
        await page.getByRole('link', { name: 'Mijn taken' }).first().click();
        await page.waitForURL(`${L.IDLE.base}/login`);
        await L.assertVisibleText(page, 'main', 'Inloggen');
        assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'still logged in after the timeout');
        await L.visited(page, `session-${vp}-expired`);
        // The old session is gone for good, not just this once.
        const r = await page.request.get(`${L.IDLE.base}/pupils`, { maxRedirects: 0 });
        assert.equal(r.status(), 303);
        assert.equal(r.headers().location, '/login');
        await page.context().close();
      }),
    ),
  );
});

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`after logging out, the back button and a typed URL lead to the login page (${vp})`, async () => {
    // Its own login: logging out ends the session (one account per viewport: no waiting for TOTP steps).
    const page = await L.newPage(browser, viewport);
    await L.login(page, { desktop: 'directeur.vo', phone: 'af.vo' }[vp]);
    await page.getByRole('link', { name: 'Leerlingen' }).first().click();
    await page.waitForURL(/\/pupils$/);
    await L.assertVisibleText(page, 'table', 'Noor Nepnaam');
    await page.getByRole('link', { name: 'Noor Nepnaam' }).click();
    await page.waitForURL(/\/pupils\/\d+$/);
    const pupilUrl = page.url();

    await L.logout(page);
    await L.assertVisibleText(page, 'main', 'Inloggen');
    await L.visited(page, `session-${vp}-logged-out`, { shot: false });
    // Back: the pupil page is not shown again (pages are not cached; the server sends to the login).
    await page.goBack();
    await page.waitForURL(`${L.BASE_URL}/login`);
    await L.assertVisibleText(page, 'main', 'Inloggen');
    assert.ok(!(await page.locator('body').innerText()).includes('Noor'), 'the back button shows the pupil');
    await page.goBack();
    assert.ok(!(await page.locator('body').innerText()).includes('Noor Nepnaam'), 'two steps back show the pupils');
    // A typed URL.
    for (const url of [pupilUrl, `${L.BASE_URL}/pupils`, `${L.BASE_URL}/tasks`]) {
      await page.goto(url);
      await page.waitForURL(`${L.BASE_URL}/login`);
      await L.assertVisibleText(page, 'main', 'Inloggen');
    }
    await L.visited(page, `session-${vp}-login-after-logout`);
    await page.context().close();
  });
}
