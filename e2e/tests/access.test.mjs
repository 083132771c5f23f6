// A teacher of another school (mentor.vo, secondary) types the URL of a primary-school dossier by hand: she
// gets the readable "not found" page, the same as for a dossier that does not exist, and nothing of it leaks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';

let browser;
let fleur; // a primary-school dossier of the demo data
before(async () => {
  browser = await L.launch();
  // The dossier's address, as the IB-er of that school has it.
  const page = await L.sessionPage(browser, 'ib.po');
  await page.goto(`${L.BASE_URL}/pupils`);
  await page.getByRole('link', { name: 'Fleur Fictief' }).click();
  await page.locator('.dossier-list a').first().click();
  await page.waitForURL(/\/dossiers\/\d+$/);
  fleur = Number(page.url().match(/(\d+)$/)[1]);
  await page.context().close();
});
after(async () => {
  await browser?.close();
});

const NOT_FOUND = 'Deze pagina bestaat niet, of u heeft er geen toegang toe.';

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`a teacher of another school typing a dossier URL gets the readable not-found page (${vp})`, async () => {
    assert.ok(fleur, 'no demo dossier found');
    const page = await L.sessionPage(browser, 'mentor.vo', { viewport });
    const secrets = ['Fleur', 'Fictief', 'blauwe plekken', 'bovenarmen', 'Lieke Leerkracht'];
    const show = async (path) => {
      const response = await page.goto(`${L.BASE_URL}${path}`);
      assert.equal(response.status(), 404, `${path} answered ${response.status()}`);
      await L.assertVisibleText(page, 'h1', 'Pagina niet gevonden');
      await L.assertVisibleText(page, 'main', NOT_FOUND);
      const text = await page.locator('body').innerText();
      for (const secret of secrets) assert.ok(!text.includes(secret), `${path} shows "${secret}" to mentor.vo`);
      assert.ok(!(await page.title()).includes('Fleur'), 'the title leaks the pupil');
      return text;
    };
    const forbidden = await show(`/dossiers/${fleur}`);
    await L.visited(page, `access-${vp}-not-found`);
    // A dossier that does not exist looks exactly the same: nothing to learn from the difference.
    const missing = await show('/dossiers/999999');
    assert.equal(forbidden, missing, 'a forbidden dossier looks different from a missing one');
    for (const path of [
      `/dossiers/${fleur}/entries/new?kind=observation`,
      `/dossiers/${fleur}/entries/1/correct`,
      `/dossiers/${fleur}/shares`,
      `/dossiers/${fleur}/access-log`,
    ]) {
      await show(path);
    }
    await page.getByRole('link', { name: 'Terug naar de startpagina' }).click();
    await page.waitForURL(`${L.BASE_URL}/`);
    await L.assertVisibleText(page, 'main', 'Welkom,');
    // Her own pupil list has no primary-school pupils either.
    await page.goto(`${L.BASE_URL}/pupils`);
    assert.ok(!(await page.locator('main').innerText()).includes('Fleur'), 'the pupil list shows a PO pupil');
    await page.context().close();
  });
}

// The not-found page a logged-in user gets keeps her header (name, navigation, logout) and her language.
test('the not-found page keeps the logged-in header (name, navigation, logout)', async () => {
  const page = await L.sessionPage(browser, 'mentor.vo');
  await page.goto(`${L.BASE_URL}/dossiers/${fleur}`);
  await L.assertVisibleText(page, 'h1', 'Pagina niet gevonden');
  await L.assertVisibleText(page, 'header', 'Mehmet Mentor');
  assert.equal(await page.locator('header form[action="/logout"]').count(), 1, 'no logout button');
  await page.context().close();
});
