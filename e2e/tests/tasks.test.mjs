// "Mijn taken" for the zorgcoördinator of the secondary school (zorg.vo), who has dossiers in the demo data:
// what is due, sorted by date, the overdue highlighted, and the urgent reports on top.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { addEntry } from '../journey.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

// Each viewport first records a conversation whose agreed follow-up lies in the past (so something is
// overdue), in its own dossier of the demo data.
const PUPILS = { desktop: 'Noor Nepnaam', phone: 'Sanne Bedacht' };

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`"Mijn taken" lists what is due by date, overdue highlighted (${vp})`, async () => {
    const page = await L.sessionPage(browser, 'zorg.vo', { viewport });
    const pupil = PUPILS[vp];
    const past = L.isoToday(-10);
    await page.goto(`${L.BASE_URL}/pupils`);
    await page.getByRole('link', { name: pupil }).click();
    await page.locator('.dossier-list a').first().click();
    await page.waitForURL(/\/dossiers\/\d+$/);
    await addEntry(page, 'Gesprek', {
      with: 'pupil',
      summary: `Kort gesprek met ${pupil.split(' ')[0]}; een vervolggesprek afgesproken.`,
      follow_up_on: past,
    });

    await page.locator('header').getByRole('link', { name: 'Mijn taken' }).click();
    await page.waitForURL(/\/tasks$/);
    await L.assertVisibleText(page, 'h1', 'Mijn taken');
    // Sanne told about violence at home: the report is due and not made, on top.
    await L.assertVisibleText(page, 'section.panel', 'Melden is nodig en nog niet gebeurd');
    await L.assertVisibleText(page, 'section.panel a', 'Sanne Bedacht');

    const rows = page.locator('table.list tbody tr');
    const texts = await rows.allInnerTexts();
    assert.ok(texts.length >= 2, `too few tasks:\n${texts.join('\n')}`);
    const dates = texts.map((t) => L.iso(t.match(/^(\d{2}-\d{2}-\d{4})/)[1]));
    assert.deepEqual(dates, [...dates].sort(), `tasks not sorted by date:\n${texts.join('\n')}`);
    // Noor's help plan (8 weeks from 30 days ago) is in the list.
    assert.ok(texts.some((t) => t.includes('Noor Nepnaam') && t.includes('De termijn van de hulp loopt af')));

    // The overdue follow-up: marked in words and in colour, and the rows that are not overdue are not.
    const overdue = rows.filter({ hasText: `Het afgesproken vervolggesprek staat gepland op ${L.nl(past)}.` });
    await overdue.first().waitFor({ state: 'visible' });
    assert.match(await overdue.first().innerText(), new RegExp(`^${L.nl(past)} \\(verlopen\\)`));
    assert.equal(await overdue.first().getAttribute('class'), 'overdue');
    const colour = (row) => row.evaluate((el) => getComputedStyle(el).color);
    const later = rows.filter({ hasNotText: 'verlopen' }).first();
    assert.notEqual(await colour(overdue.first()), await colour(later), 'overdue rows are not highlighted');
    for (const [i, t] of texts.entries()) {
      assert.equal(t.includes('(verlopen)'), dates[i] < L.isoToday(), `overdue marking wrong on "${t}"`);
    }
    await L.visited(page, `tasks-${vp}`);
    // A row leads to its dossier.
    await overdue.first().getByRole('link', { name: pupil }).click();
    await page.waitForURL(/\/dossiers\/\d+$/);
    await L.assertVisibleText(page, 'h1', `Dossier: ${pupil}`);
    await page.context().close();
  });
}
