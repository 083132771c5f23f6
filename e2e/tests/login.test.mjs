// Logging in with password and TOTP, a failed login, and logging out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { totpCode } from '../totp.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

// Per viewport its own account (logins of one account queue for TOTP steps).
const USERS = {
  desktop: { login: 'ib.po', name: 'Ilse Intern-Begeleider (demo)', role: 'Intern begeleider' },
  phone: { login: 'af.po', name: 'Anouk Aandacht (demo)', role: 'Aandachtsfunctionaris' },
};

for (const { name: vp, viewport } of L.VIEWPORTS) {
  const user = USERS[vp];
  const suffix = vp === 'desktop' ? '' : `-${vp}`;
  test(`the ${user.login} logs in with password and TOTP code, sees the start page, and logs out (${vp})`, async () => {
    const page = await L.newPage(browser, viewport);
    await page.goto(`${L.BASE_URL}/`);
    await L.visited(page, `start-logged-out${suffix}`);
    await page.getByRole('link', { name: 'Inloggen' }).click();
    await page.waitForURL(/\/login$/);
    await L.screenshot(page, `login${suffix}`);
    await L.login(page, user.login);
    await L.visited(page, `start${suffix}`);
    await L.assertVisibleText(page, 'main', user.name);
    await L.assertVisibleText(page, 'main', user.role);
    await L.assertVisibleText(page, '.demo-banner', 'DEMO');
    await page.getByRole('link', { name: 'Leerlingen' }).first().click();
    await page.waitForURL(/\/pupils$/);
    await L.visited(page, `pupils${suffix}`);
    await L.assertVisibleText(page, 'table', 'Fleur Fictief');

    await L.logout(page);
    await L.assertVisibleText(page, 'main', 'Inloggen');
    // The old session is gone: a page behind the login is no longer shown.
    const response = await page.request.get(`${L.BASE_URL}/pupils`, { maxRedirects: 0 });
    assert.notEqual(response.status(), 200, '/pupils still answered after logout');
    await page.goto(`${L.BASE_URL}/`);
    assert.equal(await page.locator('form[action="/logout"]').count(), 0);
    await page.context().close();
  });

  test(`a wrong password shows a message and gives no session; a wrong code neither (${vp})`, async () => {
    const page = await L.newPage(browser, viewport);
    await page.goto(`${L.BASE_URL}/login`);
    await page.getByLabel('Inlognaam').fill('directeur.vo');
    await page.getByLabel('Wachtwoord').fill('niet-het-wachtwoord');
    await L.submit(page, page.getByRole('button', { name: 'Inloggen' }), /\/login$/);
    await L.assertVisibleText(page, '[role=alert]', 'De inlognaam of het wachtwoord klopt niet.');
    await L.visited(page, `login-failed${suffix}`);
    assert.equal(await page.getByLabel('Inlognaam').inputValue(), 'directeur.vo');
    await page.goto(`${L.BASE_URL}/`);
    assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'logged in after a wrong password');

    // Right password, wrong code (one from five minutes ago): still no session.
    await page.goto(`${L.BASE_URL}/login`);
    await page.getByLabel('Inlognaam').fill('directeur.vo');
    await page.getByLabel('Wachtwoord').fill(L.PASSWORD);
    await L.submit(page, page.getByRole('button', { name: 'Inloggen' }), /\/login\/code$/);
    const oldStep = Math.floor(Date.now() / 30_000) - 10;
    await page.locator('#code').fill(totpCode(process.env.TOTP_DIRECTEUR_VO, oldStep));
    await L.submit(page, page.getByRole('button', { name: 'Bevestigen' }), /\/login\/code$/);
    await L.assertVisibleText(page, '[role=alert]', 'Deze code klopt niet of is al gebruikt.');
    await L.visited(page, `login-code-failed${suffix}`);
    await page.goto(`${L.BASE_URL}/`);
    assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'logged in after a wrong code');
    await page.context().close();
  });
}
