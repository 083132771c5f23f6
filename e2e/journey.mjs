// The dossier journey, shared by the desktop and the phone run: a teacher records a concern about a pupil,
// a colleague who gets the alert answers questions 1 and 2 of the afwegingskader, and the dossier shows
// meldnorm 1.
import assert from 'node:assert/strict';
import * as L from './lib.mjs';

/** Teacher `teacher` opens a dossier for `pupil` from the pupil list; returns the new dossier's id. */
export async function teacherOpensDossier(browser, { teacher, pupil, viewport, tag }) {
  const page = await L.newPage(browser, viewport);
  await L.login(page, teacher);
  await page.getByRole('link', { name: 'Leerlingen' }).first().click();
  await page.waitForURL(/\/pupils$/);
  await L.visited(page, `${tag}-pupils`);
  await page.getByRole('link', { name: pupil }).click();
  await page.waitForURL(/\/pupils\/\d+$/);
  await L.visited(page, `${tag}-pupil`);
  await L.assertVisibleText(page, 'h1', pupil);
  await page.getByRole('link', { name: 'Zorg vastleggen' }).click();
  await page.waitForURL(/\/pupils\/\d+\/dossiers\/new$/);
  await L.assertVisibleText(page, 'h1', `Zorg vastleggen: ${pupil}`);
  await L.assertVisibleText(page, '.guidance', 'Waar let u op?');
  await L.visited(page, `${tag}-signal-form`);

  // Saving without facts is refused with the field named.
  await L.submit(page, page.getByRole('button', { name: 'Dossier openen' }), /\/pupils\/\d+\/dossiers(\/new)?$/);
  assert.ok(!/\/dossiers\/\d+$/.test(page.url()), 'an empty signal opened a dossier');
  await page.locator('.field-error, .error-summary').first().waitFor();
  await L.visited(page, `${tag}-signal-form-error`);

  const facts = `${pupil} had op maandag blauwe plekken op beide bovenarmen (e2e ${Date.now()}).`;
  await page.getByLabel('Wat is gezien of gehoord').fill(facts);
  await page.getByLabel('Zorg of interpretatie').fill('Ik maak me zorgen; het is de tweede keer deze maand.');
  await page.getByLabel('lichamelijke signalen').check();
  await L.submit(page, page.getByRole('button', { name: 'Dossier openen' }), /\/dossiers\/\d+$/);
  const id = Number(page.url().match(/\/dossiers\/(\d+)$/)[1]);
  await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
  await L.assertVisibleText(page, '.chronology', facts);
  await L.assertVisibleText(page, '.panel', '1. Signalen in kaart brengen');
  await L.visited(page, `${tag}-dossier-opened`);
  await page.context().close();
  return id;
}

/** `colleague` (IB-er or aandachtsfunctionaris) sees the alert, answers q1 and q2 "ja", sees meldnorm 1. */
export async function colleagueWeighs(browser, { colleague, pupil, id, viewport, tag }) {
  const page = await L.newPage(browser, viewport);
  await L.login(page, colleague);
  const badge = page.locator('header a[href="/notifications"] .badge');
  await badge.waitFor({ state: 'visible' });
  assert.ok(Number((await badge.innerText()).match(/\d+/)[0]) >= 1, 'no unread count on the badge');
  await page.locator('header a[href="/notifications"]').click();
  await page.waitForURL(/\/notifications$/);
  await L.visited(page, `${tag}-notifications`);
  const alert = page.locator(`.notifications li.unread a[href="/dossiers/${id}"]`);
  await alert.waitFor({ state: 'visible' });
  await alert.click();
  await page.waitForURL(new RegExp(`/dossiers/${id}$`));
  await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
  await L.visited(page, `${tag}-dossier`);

  // One question at a time: after saving an answer the form comes back with its consequences.
  const form = new RegExp(`/dossiers/${id}/entries/new\\?kind=assessment_answer$`);
  await page.getByRole('link', { name: 'Afwegingskader' }).click();
  await page.waitForURL(form);
  await L.assertVisibleText(page, 'h1', 'Antwoord afwegingskader');
  await L.assertVisibleText(page, '.panel', 'Vraag 1');
  await L.visited(page, `${tag}-afwegingskader-q1`);
  for (const [question, reasoning, consequence] of [
    ['q1', 'Blauwe plekken op plekken waar een kind niet vanzelf valt, twee keer in een maand.', 'vraag 2'],
    ['q2', 'Herhaald letsel: er is sprake van structurele onveiligheid.', 'meldnorm 1'],
  ]) {
    await page.locator('select[name=question]').selectOption(question);
    await page.locator('select[name=answer]').selectOption('ja');
    await page.locator('textarea[name=reasoning]').fill(reasoning);
    await page.locator('input[name=answered_by]').fill('Ilse Intern-Begeleider en Anouk Aandacht');
    await page.locator('input[name=board_informed]').check();
    await L.submit(page, page.getByRole('button', { name: 'Opslaan' }), form);
    await L.assertVisibleText(page, '.panel', consequence);
  }
  await L.visited(page, `${tag}-afwegingskader-q3`);
  await page.locator('.breadcrumb a').click();
  await page.waitForURL(new RegExp(`/dossiers/${id}$`));
  await L.assertVisibleText(page, '.chronology', 'structurele onveiligheid');
  await L.assertVisibleText(page, '.panel', 'meldnorm 1');
  await L.assertVisibleText(page, '.panel', 'Melden is nodig');
  await L.visited(page, `${tag}-dossier-meldnorm`);
  await page.context().close();
}
