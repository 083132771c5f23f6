// A team learning session (issue 10) in real browsers: the aandachtsfunctionaris prepares and starts it, a
// presenter page runs on the projector, three participants join on their phones with the code and answer
// every poll type, the results arrive live on the presenter, two of them work a case in a group (the draft
// route map appears on the facilitator's screen), they post action points and dot-vote, the facilitator turns
// the top point into an action for a teacher, and downloads the report.
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

/** Clicks a control button of the facilitator's page and waits for the page to come back. */
async function control(page, name, { nth = 0 } = {}) {
  await L.submit(page, page.getByRole('button', { name, exact: true }).nth(nth), /\/team-sessions\/\d+/);
}

/** Waits until a participant's page shows `text` (it reloads itself when the session moves on). */
async function waitFor(page, selector, text, timeout = 15_000) {
  await L.assertVisibleText(page, selector, text, { timeout });
}

/** Answers every open question on a participant's page: the first choice of a scale, a text for an open one. */
async function answerAll(page, texts) {
  for (let n = 0; n < 10; n++) {
    const form = page.locator('form.team-answer').first();
    if ((await form.count()) === 0) return n;
    const radios = form.locator('input[type=radio]');
    if ((await radios.count()) > 0) {
      await radios.last().check();
    } else {
      await form.locator('textarea').fill(texts.shift() ?? 'Meer oefenen');
    }
    await L.submit(page, form.getByRole('button', { name: 'Versturen' }), /\/t\/[A-Z0-9]{6}/);
  }
  return 10;
}

test('a team learning session with presenter, participants, case work, dots, an action and the report', async () => {
  const fac = await L.sessionPage(browser, 'af.po');
  await fac.goto(`${L.BASE_URL}/team-sessions`);
  await L.submit(fac, fac.getByRole('button', { name: 'Nieuw teamleergesprek voorbereiden' }).first(), /\/team-sessions\/\d+$/);
  const session = fac.url().match(/\/team-sessions\/(\d+)/)[1];
  const code = (await fac.locator('.team-code').innerText()).trim();
  assert.match(code, /^[A-Z0-9]{6}$/);
  await L.visited(fac, 'team-prepare', { shot: false });
  await control(fac, 'Teamleergesprek starten');

  const presenter = await fac.context().newPage();
  await presenter.goto(`${L.BASE_URL}/team-sessions/${session}/presenter`);
  await L.assertVisibleText(presenter, 'body', code);
  await L.assertVisibleText(presenter, '.team-participants', 'Deelnemers: 0');

  // Three phones join with the code typed in.
  const phones = [];
  for (let n = 0; n < 3; n++) {
    const phone = await L.newPage(browser, L.PHONE);
    await phone.goto(`${L.BASE_URL}/t`);
    await phone.getByLabel('Code van het scherm').fill(code.toLowerCase());
    await L.submit(phone, phone.getByRole('button', { name: 'Verder' }), /\/t\/[A-Z0-9]{6}$/);
    await L.submit(phone, phone.getByRole('button', { name: 'Meedoen' }), /\/t\/[A-Z0-9]{6}/);
    await waitFor(phone, 'main', 'Er staat nu geen vraag open');
    phones.push(phone);
  }
  await L.visited(phones[0], 'team-participant-waiting', { shot: false });
  await L.assertVisibleText(presenter, '.team-participants', 'Deelnemers: 3', { timeout: 10_000 });

  // The opening poll: every question opened, the open answers shown on the projector.
  for (let q = 0; q < 5; q++) await control(fac, 'Vraag openen');
  await control(fac, 'Uitslag tonen', { nth: 2 });
  await control(fac, 'Uitslag tonen', { nth: 0 });
  const openTexts = [
    ['Tijd om samen te oefenen', 'Ervaring met oudergesprekken'],
    ['Een vaste bespreking', 'Kennis van signalen'],
    ['Korte lijnen met de IB-er', 'Luisteren'],
  ];
  for (const [n, phone] of phones.entries()) {
    await waitFor(phone, 'form.team-answer', '1.');
    if (n === 0) await L.visited(phone, 'team-participant-poll');
    const answered = await answerAll(phone, openTexts[n]);
    assert.equal(answered, 5, `participant ${n} answered ${answered} questions`);
    await waitFor(phone, 'main', 'beantwoord');
  }
  // Live on the projector: the open answers of question 3 and the counts of question 1.
  await L.assertVisibleText(presenter, '#team-live', 'Tijd om samen te oefenen', { timeout: 10_000 });
  await L.assertVisibleText(presenter, '#team-live', 'Korte lijnen met de IB-er', { timeout: 10_000 });
  await L.assertVisibleText(presenter, '#team-live', 'Antwoorden: 3', { timeout: 10_000 });
  await L.visited(presenter, 'team-presenter');

  // Case work: on to "De meldcode in onze school".
  for (let n = 0; n < 5; n++) await control(fac, 'Volgend onderdeel');
  await L.assertVisibleText(fac, '.team-live-region', 'De meldcode in onze school');
  const [one, two, three] = phones;
  await waitFor(one, 'main', 'Casuswerk in groepjes');
  await one.getByLabel('Naam van de groep').fill('Groep Noord');
  await one.getByLabel('Casus', { exact: true }).selectOption({ index: 0 });
  await L.submit(one, one.getByRole('button', { name: 'Groep maken' }), /\/t\/[A-Z0-9]{6}/);
  await waitFor(one, 'main', 'Jouw groep: Groep Noord');
  await waitFor(two, 'main', 'Groep Noord');
  await L.submit(two, two.getByRole('button', { name: 'Bij deze groep: Groep Noord' }), /\/t\/[A-Z0-9]{6}/);
  await waitFor(two, 'main', 'Jouw groep: Groep Noord');
  const step = one.locator('form.team-worksheet-step').first();
  await step.getByLabel('Wat gaat goed', { exact: true }).fill('Signalen worden meteen genoteerd');
  await step.getByLabel('Sleutelpersonen (één per regel)').fill('Jeugdarts');
  await L.submit(one, step.getByRole('button', { name: 'Stap opslaan' }), /\/t\/[A-Z0-9]{6}/);
  await L.visited(one, 'team-participant-casework');
  // The second member sees it after a reload, and the plenary sees the draft route map live.
  await two.reload();
  assert.equal(await two.locator('form.team-worksheet-step').first().getByLabel('Wat gaat goed', { exact: true }).inputValue(), 'Signalen worden meteen genoteerd');
  await L.assertVisibleText(fac, '#team-live', 'Signalen worden meteen genoteerd', { timeout: 10_000 });
  await L.assertVisibleText(presenter, '#team-live', 'Concept-routekaart', { timeout: 10_000 });

  // Keeping the theme on the agenda: action points and dots.
  for (let n = 0; n < 2; n++) await control(fac, 'Volgend onderdeel');
  const points = [
    [one, 'Signalen vast bespreken in het teamoverleg', 'Team en organisatie'],
    [two, 'Scholing in gesprekken met ouders', 'Individuele professional'],
    [three, 'Vaste contactpersoon bij Veilig Thuis', 'Partners'],
  ];
  for (const [phone, text, level] of points) {
    await waitFor(phone, 'main', 'Actiepunt plaatsen');
    await phone.getByLabel('Actiepunt', { exact: true }).fill(text);
    await phone.getByLabel(level, { exact: true }).check();
    await L.submit(phone, phone.getByRole('button', { name: 'Actiepunt plaatsen' }), /\/t\/[A-Z0-9]{6}/);
  }
  for (const phone of phones) {
    await phone.reload();
    await waitFor(phone, '.team-vote', 'Scholing in gesprekken met ouders');
    const item = phone.locator('.team-vote li').filter({ hasText: 'Scholing in gesprekken met ouders' });
    await L.submit(phone, item.getByRole('button', { name: 'Stip geven' }), /\/t\/[A-Z0-9]{6}/);
  }
  await waitFor(one, '.team-dots-left', 'Stippen over: 2');
  await L.visited(one, 'team-participant-dots');
  await L.assertVisibleText(presenter, '#team-live .team-points li', 'Stippen: 3', { timeout: 10_000 });
  const top = presenter.locator('#team-live .team-points li').first();
  assert.match(await top.innerText(), /Scholing in gesprekken met ouders/, 'most dots on top');

  // The facilitator turns the top point into an action for the teacher.
  await fac.reload();
  const form = fac.locator('form.team-action-form').filter({ has: fac.locator('input[placeholder="Scholing in gesprekken met ouders"]') });
  await form.getByLabel('Eigenaar').selectOption({ label: 'Lieke Leerkracht (demo)' });
  await form.getByLabel('Gepland op').fill(L.isoToday(30));
  await L.submit(fac, form.getByRole('button', { name: 'Actie maken' }), /\/team-sessions\/\d+/);
  await L.assertVisibleText(fac, 'table.team-actions', 'Lieke Leerkracht (demo)');
  await L.visited(fac, 'team-control');

  // The report as PDF.
  await control(fac, 'Teamleergesprek afsluiten');
  const report = await fac.request.get(`${L.BASE_URL}/team-sessions/${session}/report.pdf`);
  assert.equal(report.status(), 200);
  assert.equal(report.headers()['content-type'], 'application/pdf');
  const body = await report.body();
  assert.equal(body.subarray(0, 5).toString(), '%PDF-');
  await L.assertVisibleText(three, 'main', 'afgesloten', { timeout: 15_000 });

  for (const phone of phones) await phone.context().close();
  await fac.context().close();
});
