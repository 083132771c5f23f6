// Switching to English on the start page, and back.
import { test, before, after } from 'node:test';
import * as L from '../lib.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

// The language is the account's: the viewports take turns (tests in a file run one after another).
for (const { name: vp, viewport } of L.VIEWPORTS) {
  const suffix = vp === 'desktop' ? '' : `-${vp}`;
  test(`switching to English on the start page shows English texts, and back to Dutch (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'directeur.po', { viewport });
    await page.getByLabel('Taal').selectOption('en');
    await L.submit(page, page.getByRole('button', { name: 'Opslaan' }), `${L.BASE_URL}/`);
    await L.assertVisibleText(page, 'main', 'Welcome,');
    await L.assertVisibleText(page, 'main', 'Your roles');
    await L.assertVisibleText(page, 'header', 'Log out');
    await L.assertVisibleText(page, 'footer', 'In acute danger: call 112.');
    await L.visited(page, `start-english${suffix}`);
    await page.getByRole('link', { name: 'Pupils' }).first().click();
    await page.waitForURL(/\/pupils$/);
    await L.assertVisibleText(page, 'h1', 'Pupils');
    await L.visited(page, `pupils-english${suffix}`);

    await page.goto(`${L.BASE_URL}/`);
    await page.getByLabel('Language').selectOption('nl');
    await L.submit(page, page.getByRole('button', { name: 'Save' }), `${L.BASE_URL}/`);
    await L.assertVisibleText(page, 'main', 'Welkom,');
    await L.assertVisibleText(page, 'header', 'Uitloggen');
    await page.context().close();
  });
}
