// Building blocks of the dossier journeys, shared by the desktop and the phone runs: opening a dossier from
// a first signal, adding entries through the dossier's forms, reading the next-step panel and the chronology.
import assert from 'node:assert/strict';
import * as L from './lib.mjs';

/** Teacher `teacher` opens a dossier for `pupil` from the pupil list; returns the new dossier's id.
 * `javaScriptEnabled: false`: the whole journey (login with TOTP included) without JavaScript. */
export async function teacherOpensDossier(browser, { teacher, pupil, viewport, tag, javaScriptEnabled = true }) {
  const page = await L.newPage(browser, viewport, { javaScriptEnabled });
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
  await L.assertVisibleText(page, '#f-facts-error', 'Dit veld is verplicht');
  await L.visited(page, `${tag}-signal-form-error`);

  const facts = `${pupil} had op maandag blauwe plekken op beide bovenarmen (e2e ${Date.now()}).`;
  await page.getByLabel('Wat is gezien of gehoord').fill(facts);
  await page.getByLabel('Zorg of interpretatie').fill('Ik maak me zorgen; het is de tweede keer deze maand.');
  await page.getByLabel('lichamelijke signalen').check();
  await L.submit(page, page.getByRole('button', { name: 'Dossier openen' }), /\/dossiers\/\d+$/);
  const id = Number(page.url().match(/\/dossiers\/(\d+)$/)[1]);
  await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
  await L.assertVisibleText(page, '.chronology', facts);
  await assertPanel(page, { step: '1. Signalen in kaart brengen', has: ['Overleg met een collega'] });
  await L.visited(page, `${tag}-dossier-opened`);
  await page.context().close();
  return id;
}

/** Fills form fields by name: strings into text fields, dates and selects (by option value), booleans for
 * checkboxes. */
export async function fillForm(page, values) {
  for (const [name, value] of Object.entries(values)) {
    const field = page.locator(`form.form [name="${name}"]`).first();
    const tag = await field.evaluate((el) => `${el.tagName.toLowerCase()}:${el.type || ''}`);
    if (tag.startsWith('select')) await field.selectOption(value);
    else if (tag === 'input:checkbox') await field.setChecked(value);
    else await field.fill(value);
  }
}

/** On the dossier page: follows the "Toevoegen" link `label`, lands on the form for that kind. */
export async function openForm(page, label, { tag, shot = false } = {}) {
  await page.locator('nav.actions').getByRole('link', { name: label, exact: true }).click();
  await page.waitForURL(/\/entries\/new\?kind=\w+$/);
  await L.assertVisibleText(page, 'h1', label === 'Afwegingskader' ? 'Antwoord afwegingskader' : label);
  await L.assertVisibleText(page, '.guidance', 'Waar let u op?');
  if (tag) await L.visited(page, tag, { shot });
}

/** Saves the entry form that is open; expects to land on the dossier page (or `url`). */
export async function save(page, url = /\/dossiers\/\d+$/) {
  await L.submit(page, page.locator('form.form button[type=submit]'), url);
}

/** Saves and expects the form back, refused: the summary at the top and `message` at the field `name`. */
export async function saveRefused(page, name, message) {
  const response = page.waitForResponse((r) => r.request().method() === 'POST');
  await L.submit(page, page.locator('form.form button[type=submit]'), /./);
  assert.equal((await response).status(), 422, 'a refused form answers 422');
  if (name) {
    await L.assertVisibleText(page, '.error-summary', 'Het formulier is nog niet goed ingevuld.');
    const id = `f-${name.replace('.', '-')}`;
    const error = page.locator(`#${id}-error`);
    await error.waitFor({ state: 'visible' });
    assert.ok((await error.innerText()).includes(message), `at ${name}: "${await error.innerText()}"`);
    // The message is tied to its field for screen readers.
    assert.equal(await page.locator(`#${id}`).getAttribute('aria-describedby'), `${id}-error`);
  } else {
    await L.assertVisibleText(page, '.error-summary', message);
  }
}

/** Adds one entry through its form: opens it from the dossier page, fills, saves, back on the dossier. */
export async function addEntry(page, label, values, { tag, shot = false } = {}) {
  await openForm(page, label, { tag: tag && `${tag}-form`, shot });
  await fillForm(page, values);
  await save(page);
}

/** The next-step panel of the dossier page: the step, texts it must show (`has`) and must not (`hasNot`). */
export async function assertPanel(page, { step, has = [], hasNot = [] }) {
  const panel = page.locator('section.panel[aria-labelledby=panel-title]');
  await panel.waitFor({ state: 'visible' });
  const text = await panel.innerText();
  if (step) assert.ok(text.includes(`Stap: ${step}`), `panel step is not "${step}":\n${text}`);
  for (const t of has) assert.ok(text.includes(t), `panel lacks "${t}":\n${text}`);
  for (const t of hasNot) assert.ok(!text.includes(t), `panel still shows "${t}":\n${text}`);
  return text;
}

/** The texts of the chronology's entries, in order. */
export async function chronology(page) {
  return page.locator('ol.chronology > li').allInnerTexts();
}
