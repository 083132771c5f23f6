// Desktop: a teacher opens a dossier from a signal, the IB-er gets the alert and answers the afwegingskader to
// meldnorm 1; a teacher of another school cannot open that dossier by typing its URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { teacherOpensDossier, colleagueWeighs } from '../journey.mjs';

const pupil = 'Lina Voorbeeld';
let browser;
let id;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

test('a teacher opens a dossier from a signal (desktop)', async () => {
  id = await teacherOpensDossier(browser, { teacher: 'leerkracht.po', pupil, viewport: L.DESKTOP, tag: 'desktop' });
});

test('the IB-er sees the alert and answers the afwegingskader to meldnorm 1 (desktop)', async () => {
  assert.ok(id, 'no dossier from the previous test');
  await colleagueWeighs(browser, { colleague: 'ib.po', pupil, id, viewport: L.DESKTOP, tag: 'desktop' });
});

test('a teacher of another school typing the dossier URL gets a 404 and sees nothing of it', async () => {
  assert.ok(id, 'no dossier from the previous tests');
  const page = await L.newPage(browser);
  await L.login(page, 'mentor.vo');
  const url = `${L.BASE_URL}/dossiers/${id}`;
  const seen = page.waitForResponse((r) => r.url() === url);
  // Chromium shows its own error page for a 404 without a body, and page.goto then throws; the status and
  // what is on screen are what count.
  await page.goto(url).catch(() => {});
  assert.equal((await seen).status(), 404);
  const text = await page.locator('body').innerText();
  assert.ok(!text.includes(pupil), 'the pupil name is shown to a teacher of another school');
  assert.ok(!text.includes('blauwe plekken'), 'dossier content shown to a teacher of another school');
  if (page.url() === url) await L.visited(page, 'other-school-404');
  for (const path of [`/dossiers/${id}/entries/new?kind=assessment_answer`, `/pupils`]) {
    const r = await page.request.get(`${L.BASE_URL}${path}`);
    const body = await r.text();
    assert.ok(!body.includes(pupil), `${path} shows ${pupil} to a teacher of another school`);
  }
  await page.context().close();
});
