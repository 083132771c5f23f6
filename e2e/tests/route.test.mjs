// The meldcode route of one dossier, start to finish, at every viewport (the viewports run concurrently, each
// with its own pupil and dossier), all without JavaScript: a teacher records a first signal; the IB-er gets
// the alert, records a consultation, a conversation with the parents and a weighing, answers the
// afwegingskader question by question to a report, records the report and sees the Veilig Thuis deadline;
// then the help plan with its term, the follow-up, closing with a conclusion and reopening.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import {
  teacherOpensDossier,
  openForm,
  fillForm,
  save,
  saveRefused,
  addEntry,
  assertPanel,
  chronology,
} from '../journey.mjs';

const PUPILS = { desktop: 'Lina Voorbeeld', phone: 'Yara Verzonnen' };
const NO_JS = { javaScriptEnabled: false };

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

// A required field refused by the domain is named by its label, at that field.
test('a refused required field is named by its label', async () => {
  const page = await L.sessionPage(browser, 'leerkracht.po');
  await page.getByRole('link', { name: 'Leerlingen' }).first().click();
  await page.getByRole('link', { name: 'Fleur Fictief' }).click();
  await page.getByRole('link', { name: 'Zorg vastleggen' }).click();
  await L.submit(page, page.getByRole('button', { name: 'Dossier openen' }), /\/dossiers$/);
  await L.assertVisibleText(page, '#f-facts-error', 'Dit veld is verplicht (Wat is gezien of gehoord).');
  await page.context().close();
});

// A help plan with a term in weeks but no number names the problem at the "Aantal" field.
test('a help plan without the number of weeks names the problem at that field', async () => {
  const page = await L.sessionPage(browser, 'zorg.vo');
  await page.goto(`${L.BASE_URL}/pupils`);
  await page.getByRole('link', { name: 'Noor Nepnaam' }).click();
  await page.locator('.dossier-list a').first().click();
  await openForm(page, 'Hulpplan');
  await fillForm(page, { goals: 'x', starts_on: L.isoToday(), 'term.unit': 'weeks', case_manager: 'Zara' });
  await saveRefused(page, 'term.count', 'Dit veld is verplicht');
  await page.context().close();
});

describe('the meldcode route of a dossier', { concurrency: true }, () => {
  for (const { name: vp, viewport } of L.VIEWPORTS) {
    describe(vp, { concurrency: 1 }, () => {
      const pupil = PUPILS[vp];
      const first = pupil.split(' ')[0];
      const tag = `route-${vp}`;
      let id;
      let page; // the IB-er's page, kept across the steps of this viewport
      const dossierUrl = () => `${L.BASE_URL}/dossiers/${id}`;
      const onDossier = async () => {
        if (page.url() !== dossierUrl()) {
          await page.goto(dossierUrl());
        }
        await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
      };
      after(async () => {
        await page?.context().close();
      });

      test(`a teacher records a first signal, without JavaScript (${vp})`, async () => {
        id = await teacherOpensDossier(browser, { teacher: 'leerkracht.po', pupil, viewport, tag, ...NO_JS });
      });

      test(`the IB-er gets the alert, consults, talks with the parents and weighs (${vp})`, async () => {
        assert.ok(id, 'no dossier from the previous step');
        page = await L.sessionPage(browser, 'ib.po', { viewport, ...NO_JS });
        const badge = page.locator('header a[href="/notifications"] .badge');
        await badge.waitFor({ state: 'visible' });
        assert.match(await badge.innerText(), /^\d+\s+ongelezen$/);
        assert.ok(Number((await badge.innerText()).match(/\d+/)[0]) >= 1, 'no unread count on the badge');
        await page.locator('header a[href="/notifications"]').click();
        await page.waitForURL(/\/notifications$/);
        await L.assertVisibleText(page, 'h1', 'Meldingen in de app');
        const alert = page.locator('.notifications li.unread').filter({ has: page.locator(`a[href="/dossiers/${id}"]`) });
        await alert.waitFor({ state: 'visible' });
        assert.match(await alert.innerText(), /Er is een nieuw dossier geopend op uw locatie\..*nieuw/s);
        await L.visited(page, `${tag}-notifications`);
        await alert.locator('a').click();
        await page.waitForURL(new RegExp(`/dossiers/${id}$`));
        await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
        await assertPanel(page, { step: '1. Signalen in kaart brengen', has: ['Overleg met een collega'] });
        await L.visited(page, `${tag}-dossier-alerted`);

        await addEntry(
          page,
          'Overleg',
          {
            with: 'colleague',
            with_whom: 'leerkracht van vorig jaar',
            summary: 'Vorig jaar zag zij ook plekken op de armen, in de weken na de zomervakantie.',
            advice: 'Ouders uitnodigen voor een gesprek; de signalen concreet benoemen.',
          },
          { tag: `${tag}-consultation` },
        );
        await L.assertVisibleText(page, '.chronology', 'Vorig jaar zag zij ook plekken');
        await assertPanel(page, { step: '2. Collegiale consultatie', has: ['Voer een gesprek met de leerling'] });

        const followUp = L.isoToday(7);
        await addEntry(
          page,
          'Gesprek',
          {
            with: 'parents',
            summary: 'Gesprek met moeder over de plekken: zij zegt dat het van het buitenspelen komt.',
            reactions: 'Moeder schrok en werd stil.',
            agreements: 'Over een week een vervolggesprek, met vader erbij.',
            follow_up_on: followUp,
          },
          { tag: `${tag}-conversation` },
        );
        await L.assertVisibleText(page, '.chronology', 'Gesprek met moeder over de plekken');
        await assertPanel(page, {
          step: '3. Gesprek met leerling en ouders',
          has: ['Weeg samen', `${L.nl(followUp)}: Het afgesproken vervolggesprek staat gepland op ${L.nl(followUp)}.`],
        });

        // The weighing without the protective factors is refused at that field (a named pitfall of step 4).
        await openForm(page, 'Weging');
        await fillForm(page, {
          participants: 'intern begeleider\naandachtsfunctionaris\njeugdarts',
          nature: 'Herhaald lichamelijk letsel zonder passende uitleg.',
          severity: 'Ernstig: twee keer in een maand plekken op de bovenarmen.',
          risk: 'Hoog zolang er geen verklaring en geen hulp is.',
        });
        await saveRefused(page, 'protective_factors', 'Dit veld is verplicht');
        await L.visited(page, `${tag}-weighing-refused`);
        await fillForm(page, { protective_factors: 'Goede band met de leerkracht; oma haalt haar twee keer per week op.' });
        await save(page);
        await L.assertVisibleText(page, '.chronology', 'Goede band met de leerkracht');
        await assertPanel(page, {
          step: '4. Wegen',
          has: ['Volgende vraag van het afwegingskader: Vraag 1, vermoeden'],
        });
      });

      test(`the IB-er answers the afwegingskader in order to a report, without JavaScript (${vp})`, async () => {
        assert.ok(page, 'no page from the previous step');
        await onDossier();
        const before = (await chronology(page)).length;
        const wizard = new RegExp(`/dossiers/${id}/entries/new\\?kind=assessment_answer$`);
        await openForm(page, 'Afwegingskader', { tag: `${tag}-afwegingskader-q1`, shot: true });
        await L.assertVisibleText(page, 'form .panel', 'Volgende vraag van het afwegingskader: Vraag 1, vermoeden');
        assert.equal(await page.locator('select[name=question]').inputValue(), 'q1', 'the next question is not chosen');

        // Skipping a question is refused, with the message at the answer.
        const answer = (question, reasoning) => ({
          question,
          answer: 'ja',
          reasoning,
          answered_by: 'Ilse Intern-Begeleider en Anouk Aandacht',
          board_informed: true,
        });
        await fillForm(page, answer('q2', 'Herhaald letsel: structurele onveiligheid.'));
        await saveRefused(page, 'answer', 'Vraag 2 kan nog niet beantwoord worden: beantwoord eerst vraag 1.');
        await L.visited(page, `${tag}-afwegingskader-out-of-order`);
        // Question 3 neither.
        await fillForm(page, answer('q3', 'De school kan hulp organiseren.'));
        await saveRefused(page, 'answer', 'Vraag 3 kan nog niet beantwoord worden: beantwoord eerst vraag 1.');

        await fillForm(page, answer('q1', 'Blauwe plekken waar een kind niet vanzelf valt, twee keer in een maand.'));
        await save(page, wizard);
        await L.assertVisibleText(page, 'form .panel', 'Handelen is nodig: er is een sterk vermoeden.');
        await L.assertVisibleText(page, 'form .panel', 'Volgende vraag van het afwegingskader: Vraag 2, veiligheid');
        assert.equal(await page.locator('select[name=question]').inputValue(), 'q2');
        await fillForm(page, answer('q2', 'Herhaald letsel: er is sprake van structurele onveiligheid.'));
        await save(page, wizard);
        await L.assertVisibleText(page, 'form .panel', 'Melden is nodig: er is sprake van acute of structurele onveiligheid (meldnorm 1).');
        await L.assertVisibleText(page, 'form .panel', 'Vraag 3, hulp mogelijk');

        // Back on the dossier: the meldnorm, urgently.
        await page.locator('.breadcrumb a').click();
        await page.waitForURL(new RegExp(`/dossiers/${id}$`));
        const entries = await chronology(page);
        assert.equal(entries.length, before + 2, 'the refused answers were saved');
        assert.ok(entries.at(-1).includes('structurele onveiligheid'));
        await assertPanel(page, { step: '5. Beslissen', has: ['(meldnorm 1)'] });
        await L.assertVisibleText(page, 'section.panel .urgent-text', 'Melden is nodig');
        await L.visited(page, `${tag}-dossier-meldnorm`);

        // The report: §8's preconditions are asked before it saves.
        await openForm(page, 'Melding bij Veilig Thuis', { tag: `${tag}-report-form`, shot: true });
        assert.equal(await page.locator('[name=reported_on]').inputValue(), L.isoToday(), 'reported_on is not today');
        await fillForm(page, {
          reporter: 'Ilse Intern-Begeleider, intern begeleider',
          facts: 'Twee keer in een maand blauwe plekken op beide bovenarmen; gesprek met moeder zonder verklaring.',
          by_phone: true,
        });
        await saveRefused(page, 'parents_informed', 'Geef aan of de ouders vooraf over de melding zijn ingelicht.');
        await fillForm(page, { parents_informed: 'yes' });
        await saveRefused(page, 'board_informed', 'Het bevoegd gezag moet van elke melding op de hoogte zijn.');
        await fillForm(page, { board_informed: true });
        await save(page);
        await L.assertVisibleText(page, '.chronology', 'Twee keer in een maand blauwe plekken');
        const due = L.nl(L.addWorkingDays(L.isoToday(), 5));
        await assertPanel(page, {
          step: '6. Volgen',
          has: [
            'Termijnen',
            `${due}: Veilig Thuis laat uiterlijk ${due} weten hoe het verdergaat (binnen 5 werkdagen na de melding).`,
          ],
          hasNot: ['Melden is nodig'],
        });
        assert.equal(await page.locator('section.panel .urgent-text').count(), 0, 'the report is still shown as due');
        await L.visited(page, `${tag}-dossier-reported`);
      });

      test(`help plan with goals, term and case manager; the help-term date shown (${vp})`, async () => {
        assert.ok(page, 'no page from the previous step');
        await onDossier();
        const wizard = new RegExp(`/dossiers/${id}/entries/new\\?kind=assessment_answer$`);
        await openForm(page, 'Afwegingskader');
        await L.assertVisibleText(page, 'form .panel', 'Vraag 3, hulp mogelijk');
        // After the report at question 2, questions 3 to 5 are answered with Veilig Thuis: pre-ticked, required.
        assert.equal(await page.locator('[name=with_veilig_thuis]').isChecked(), true);
        const answer = (question, reasoning, withVt = true) => ({
          question,
          answer: 'ja',
          reasoning,
          answered_by: 'Ilse Intern-Begeleider met Veilig Thuis',
          with_veilig_thuis: withVt,
        });
        await fillForm(page, answer('q3', 'Het wijkteam kan gezinsondersteuning bieden.', false));
        await saveRefused(page, 'with_veilig_thuis', 'samen met Veilig Thuis beantwoord');
        await fillForm(page, answer('q3', 'Het wijkteam kan gezinsondersteuning bieden.'));
        await save(page, wizard);
        await L.assertVisibleText(page, 'form .panel', 'Passende hulp die de veiligheid voorop zet is mogelijk.');
        await fillForm(page, answer('q4', 'Ouders werken mee; de eerste afspraak met het wijkteam staat.'));
        await save(page, wizard);
        await L.assertVisibleText(page, 'form .panel', 'De betrokkenen aanvaarden de hulp.');
        await L.assertVisibleText(page, 'form .panel', 'Vraag 5, resultaat');
        // Question 5 before a help plan is refused.
        await fillForm(page, answer('q5', 'Te vroeg.'));
        await saveRefused(page, 'question', 'Vraag 5 kan pas beantwoord worden als er een hulpplan is');
        await page.locator('.breadcrumb a').click();
        await page.waitForURL(new RegExp(`/dossiers/${id}$`));
        await assertPanel(page, {
          has: ['Leg een hulpplan vast met een termijn en een casemanager', 'Spreek eerst met Veilig Thuis af'],
        });

        await openForm(page, 'Hulpplan', { tag: `${tag}-help-plan-form`, shot: true });
        const start = L.isoToday();
        // A term that ends before the help starts is refused at the end date.
        await fillForm(page, {
          goals: 'Veiligheid thuis.',
          starts_on: start,
          'term.unit': 'until',
          'term.end': L.addDays(start, -1),
          case_manager: 'Ilse Intern-Begeleider',
        });
        await saveRefused(page, 'term.end', 'Deze datum ligt te vroeg');
        await fillForm(page, {
          goals: `${first} heeft geen onverklaarde plekken meer.\nOuders volgen de opvoedondersteuning van het wijkteam.`,
          starts_on: start,
          'term.unit': 'weeks',
          'term.count': '6',
          case_manager: 'Ilse Intern-Begeleider',
          roles: 'wijkteam: opvoedondersteuning\njeugdarts: controle bij het consultatiebureau',
          term_agreed_with_veilig_thuis: true,
        });
        await save(page);
        const end = L.nl(L.addDays(start, 42));
        const plan = (await chronology(page)).at(-1);
        assert.match(plan, /Hulpplan/);
        assert.match(plan, /Casemanager\s+Ilse Intern-Begeleider/);
        assert.match(plan, /Ouders volgen de opvoedondersteuning/);
        await assertPanel(page, {
          has: [`${end}: De termijn van de hulp loopt af op ${end}. Beantwoord dan vraag 5.`],
          hasNot: ['Leg een hulpplan vast', 'Spreek eerst met Veilig Thuis af'],
        });
        await L.visited(page, `${tag}-dossier-help-plan`);
      });

      test(`follow-up: an evaluation and the feedback and outcome of Veilig Thuis (${vp})`, async () => {
        assert.ok(page, 'no page from the previous step');
        await onDossier();
        const next = L.isoToday(14);
        await addEntry(page, 'Evaluatie', {
          summary: 'Eerste evaluatie met ouders en wijkteam: de afspraken lopen.',
          results_reached: '',
          next_evaluation_on: next,
        });
        await assertPanel(page, { has: [`${L.nl(next)}: De volgende evaluatie staat gepland op ${L.nl(next)}.`] });

        await addEntry(
          page,
          'Terugkoppeling Veilig Thuis',
          {
            received_on: L.isoToday(),
            route: 'melding',
            decision: 'veiligheidsvoorwaarden',
            outcome: 'not_confirmed',
            summary: 'Veilig Thuis houdt de regie en legt veiligheidsvoorwaarden op.',
            handelingsadviezen: `Bespreek elke maandag kort met ${first} hoe het weekend was.`,
          },
          { tag: `${tag}-feedback`, shot: true },
        );
        const feedback = (await chronology(page)).at(-1);
        assert.match(feedback, /Uitkomst\s+niet bevestigd/);
        assert.match(feedback, /Besluit\s+veiligheidsvoorwaarden/);
        assert.match(feedback, /Handelingsadviezen\s+Bespreek elke maandag/);
        // Veilig Thuis has answered: its deadline is gone; the evaluation and the help term remain.
        await assertPanel(page, { has: ['De termijn van de hulp loopt af'], hasNot: ['Veilig Thuis laat uiterlijk'] });
      });

      // After a report, a new signal is to be passed on to Veilig Thuis (meldcode.md §6 step 6): the
      // next-step panel says so until a consultation with Veilig Thuis or its feedback is recorded.
      test(`a new signal after the report reminds to tell Veilig Thuis (${vp})`, async () => {
        await onDossier();
        await openForm(page, 'Signaal');
        const guidance = await page.locator('.guidance').innerText();
        await fillForm(page, { facts: `${first} kwam vandaag met een schram op haar wang op school.`, source: 'own_observation' });
        await save(page);
        const panel = await page.locator('section.panel').innerText();
        assert.match(`${guidance}\n${panel}`, /Veilig Thuis/i, 'no reminder to tell Veilig Thuis about the new signal');
        assert.match(panel, /nieuw\w* signa/i, 'the panel does not mention the new signal');
      });

      test(`the help ends well, the dossier is closed with a conclusion and reopened (${vp})`, async () => {
        assert.ok(page, 'no page from the previous step');
        await onDossier();
        await openForm(page, 'Afwegingskader');
        await fillForm(page, {
          question: 'q5',
          answer: 'ja',
          reasoning: 'Geen nieuwe plekken; ouders nemen de opvoedondersteuning serieus.',
          answered_by: 'Ilse Intern-Begeleider met Veilig Thuis',
          with_veilig_thuis: true,
        });
        await save(page, /assessment_answer$/);
        await L.assertVisibleText(page, 'form .panel', 'De hulp heeft binnen de termijn het afgesproken resultaat.');
        await page.locator('.breadcrumb a').click();
        await page.waitForURL(new RegExp(`/dossiers/${id}$`));
        await assertPanel(page, {
          has: ['Leg vast hoe de veiligheid van alle betrokkenen gevolgd blijft'],
          hasNot: ['De termijn van de hulp loopt af'],
        });
        await addEntry(page, 'Evaluatie', {
          summary: 'Afspraak: de leerkracht en de jeugdarts blijven letten op nieuwe signalen; evaluatie over drie maanden.',
          results_reached: 'yes',
        });
        await assertPanel(page, { hasNot: ['Leg vast hoe de veiligheid van alle betrokkenen gevolgd blijft'] });

        await openForm(page, 'Afsluiting', { tag: `${tag}-closing-form` });
        await saveRefused(page, 'conclusion', 'Dit veld is verplicht');
        await fillForm(page, { conclusion: 'De hulp heeft gewerkt; de veiligheid blijft gevolgd volgens de afspraken.' });
        await save(page);
        const closed = await assertPanel(page, { has: ['afgesloten'] });
        assert.ok(!closed.includes('Termijnen'), `a closed dossier still lists deadlines:\n${closed}`);
        await L.assertVisibleText(page, '.chronology', 'De hulp heeft gewerkt');
        await L.visited(page, `${tag}-dossier-closed`);

        // Nothing but a reopening on a closed dossier.
        await openForm(page, 'Signaal');
        await fillForm(page, { facts: 'Nog een signaal.', source: 'own_observation' });
        await saveRefused(page, null, 'Het dossier is afgesloten. Heropen het eerst als er nieuwe zorgen zijn.');
        await page.goto(dossierUrl());
        await addEntry(page, 'Heropening', { reason: `${first} vertelt dat papa weer boos is geweest; nieuwe zorgen.` });
        await assertPanel(page, {
          step: '1. Signalen in kaart brengen',
          has: ['Leg concrete signalen vast'],
          hasNot: ['afgesloten'],
        });
        await L.assertVisibleText(page, '.chronology', 'nieuwe zorgen');
        await L.visited(page, `${tag}-dossier-reopened`);
      });
    });
  }
});
