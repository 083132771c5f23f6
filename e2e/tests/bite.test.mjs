// The checks bite: a broken label is caught by the accessibility check, and a form with a forged CSRF token
// is refused by the server with nothing saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { fillForm, chronology } from '../journey.mjs';

let browser;
let daan; // the URL of Daan's demo dossier (step 2)
before(async () => {
  browser = await L.launch();
  const page = await L.sessionPage(browser, 'ib.po');
  await page.goto(`${L.BASE_URL}/pupils`);
  await page.getByRole('link', { name: 'Daan Denkbeeld' }).click();
  // The demo dossier is the oldest one (the route journeys may open more for other pupils, not for Daan).
  await page.locator('.dossier-list a').last().click();
  await page.waitForURL(/\/dossiers\/\d+$/);
  daan = page.url();
  await page.context().close();
});
after(async () => {
  await browser?.close();
});

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`the axe check fails when a form field loses its label (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'ib.po', { viewport });
    await page.goto(`${daan}/entries/new?kind=consultation`);
    await L.checkA11y(page, 'consultation form, intact');
    const removed = await page.evaluate(() => {
      const label = document.querySelector('label[for="f-summary"]');
      label.remove();
      return label.textContent;
    });
    assert.equal(removed, 'Samenvatting');
    await assert.rejects(L.checkA11y(page, 'consultation form without a label'), (err) => {
      assert.match(err.message, /\[critical\] label: Form elements must have labels/);
      assert.match(err.message, /#f-summary/);
      return true;
    });
    await page.context().close();
  });

  test(`a form with a forged CSRF token is refused and nothing is saved (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'ib.po', { viewport });
    await page.goto(daan);
    const before = await chronology(page);
    await page.locator('nav.actions').getByRole('link', { name: 'Overleg', exact: true }).click();
    await page.waitForURL(/kind=consultation$/);
    const summary = `Dit overleg mag niet opgeslagen worden (e2e ${vp} ${Date.now()}).`;
    await fillForm(page, { with: 'colleague', summary });
    // Another session's token: same length, other value.
    await page.evaluate(() => {
      const input = document.querySelector('form.form input[name=_csrf]');
      input.value = input.value.replace(/./g, (c) => (c === 'a' ? 'b' : 'a'));
    });
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await L.submit(page, page.locator('form.form button[type=submit]'), /\/entries$/);
    assert.equal((await response).status(), 403, 'a forged token is not refused with 403');
    const text = await page.locator('body').innerText();
    assert.match(text, /Formulier niet verwerkt/);
    assert.match(text, /Dit formulier is niet opgeslagen/);
    assert.equal(await page.locator('header form[action="/logout"]').count(), 1, 'the refusal page lost the logged-in header');
    assert.ok(!text.includes(summary), 'the refusal shows the form content');

    // Without a token at all: refused the same way.
    await page.goto(`${daan}/entries/new?kind=consultation`);
    await fillForm(page, { with: 'colleague', summary });
    await page.evaluate(() => document.querySelector('form.form input[name=_csrf]').remove());
    const second = page.waitForResponse((r) => r.request().method() === 'POST');
    await L.submit(page, page.locator('form.form button[type=submit]'), /\/entries$/);
    assert.equal((await second).status(), 403);

    // The chronology is unchanged.
    await page.goto(daan);
    const after = await chronology(page);
    assert.deepEqual(after, before, 'the chronology changed');
    assert.ok(!(await page.locator('main').innerText()).includes(summary));
    await page.context().close();
  });
}
