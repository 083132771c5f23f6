// The help around the route: the reference library reached from a form, the emergency bar on every page, the
// school's route map and its printable documents (route card and protocol as PDF, read back with pdftotext).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../lib.mjs';
import { openForm } from '../journey.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

/** The text of a PDF as a reader sees it: words joined by single spaces. */
function pdfText(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'meldroute-pdf-'));
  try {
    const file = join(dir, 'doc.pdf');
    writeFileSync(file, bytes);
    return execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).split(/\s+/).join(' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function emergencyBar(page) {
  const bar = page.getByRole('navigation', { name: /nood|emergency/i });
  assert.equal(await bar.locator('a[href="tel:112"]').count(), 1, `no 112 link on ${page.url()}`);
  assert.equal(await bar.locator('a[href="tel:08002000"]').count(), 1, `no Veilig Thuis link on ${page.url()}`);
}

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`a form links to the library section that helps, with checklists beside it (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'ib.po', { viewport, javaScriptEnabled: false });
    await page.goto(`${L.BASE_URL}/pupils`);
    await page.getByRole('link', { name: 'Bram Bedacht' }).click();
    await page.locator('a[href^="/dossiers/"]').first().click();
    await page.waitForURL(/\/dossiers\/\d+$/);
    await emergencyBar(page);
    await openForm(page, 'Gesprek', { tag: `guidance-${vp}-conversation`, shot: true });
    // Preparation checklists for both kinds of conversation sit beside the form, as text, not inputs.
    const aside = page.locator('.guidance');
    assert.equal(await aside.locator('input').count(), 0, 'checklists are not form inputs');
    assert.ok((await aside.locator('li').count()) >= 10, 'the pupil and parent checklists are shown');
    await aside.getByRole('link', { name: 'Meer hierover in het naslagwerk' }).click();
    await page.waitForURL(/\/naslag\/gesprek-ouders#[\w-]+$/);
    const anchor = new URL(page.url()).hash.slice(1);
    assert.equal(await page.locator(`[id="${anchor}"]`).count(), 1, `no #${anchor} on the library page`);
    await L.assertVisibleText(page, 'h1', 'ouders');
    await emergencyBar(page);
    await L.visited(page, `guidance-${vp}-library-section`);
  });

  test(`the emergency numbers are one click away and list the school's own numbers (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'leerkracht.po', { viewport });
    await page.goto(`${L.BASE_URL}/tasks`);
    await emergencyBar(page);
    await page.getByRole('navigation', { name: /nood|emergency/i }).locator('a[href="/noodnummers"]').click();
    await page.waitForURL(/\/noodnummers$/);
    await L.assertVisibleText(page, 'main', 'Veilig Thuis Voorbeeldregio');
    assert.equal(await page.locator('main a[href="tel:0305550999"]').count() >= 1, true, 'the regional number');
    await L.visited(page, `emergency-${vp}`);
  });

  test(`the route map and its PDFs: route card and protocol open with the expected text (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'af.po', { viewport });
    await page.goto(`${L.BASE_URL}/`);
    await page.getByRole('link', { name: 'Routekaart', exact: true }).click();
    await page.waitForURL(/\/locations\/\d+\/route-map$/);
    await L.assertVisibleText(page, 'main', 'Versie 1');
    await L.assertVisibleText(page, 'main', 'Wie doet het');
    await L.visited(page, `routemap-${vp}`);
    for (const [label, expected] of [
      ['Routekaart afdrukken (PDF)', 'Routekaart versie 1'],
      ['Meldcodeprotocol (PDF)', 'Meldcodeprotocol huiselijk geweld'],
    ]) {
      const href = await page.getByRole('link', { name: label }).getAttribute('href');
      const response = await page.request.get(`${L.BASE_URL}${href}`);
      assert.equal(response.status(), 200, label);
      assert.equal(response.headers()['content-type'], 'application/pdf');
      const bytes = await response.body();
      assert.equal(bytes.subarray(0, 5).toString(), '%PDF-', `${label} is a PDF`);
      const text = pdfText(bytes);
      for (const want of [expected, 'Basisschool De Verzonnen Vlinder', '0800-2000', 'Anouk Aandacht']) {
        assert.ok(text.includes(want), `${label} lacks "${want}"`);
      }
    }
    // A step nobody acts on is refused with the step named; nothing is saved.
    await page.getByRole('link', { name: 'Routekaart aanpassen' }).click();
    await page.waitForURL(/\/route-map\/edit$/);
    await L.visited(page, `routemap-${vp}-edit`, { shot: vp === 'desktop' });
    for (const box of await page.locator('#steps-3-actors input[type=checkbox]').all()) await box.uncheck();
    await page.locator('#steps-3-people').fill('');
    await L.submit(page, page.getByRole('button', { name: 'Nieuwe versie vaststellen' }), /\/route-map$/);
    await L.assertVisibleText(page, '#steps-3-actors-error', 'Stap 4 heeft niemand');
    await L.visited(page, `routemap-${vp}-refused`, { shot: false });
    await page.goto(`${L.BASE_URL}${new URL(page.url()).pathname}`);
    await L.assertVisibleText(page, 'main', 'Versie 1');
  });
}
