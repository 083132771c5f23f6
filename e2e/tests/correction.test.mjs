// Correcting an entry: nothing is overwritten; the original stays in the chronology, struck through, with a
// link to the correction, and the correction links back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { fillForm, chronology } from '../journey.mjs';

let browser;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

const PUPILS = { desktop: 'Milan Modelmans', phone: 'Bram Bedacht' };

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`a teacher corrects her signal: the original struck through, linked to the correction (${vp})`, async () => {
    const pupil = PUPILS[vp];
    const page = await L.sessionPage(browser, 'leerkracht.po', { viewport });
    await page.goto(`${L.BASE_URL}/pupils`);
    await page.getByRole('link', { name: pupil }).click();
    await page.getByRole('link', { name: 'Zorg vastleggen' }).click();
    const wrong = `${pupil} had dinsdag een blauw oog (e2e ${Date.now()}).`;
    await page.getByLabel('Wat is gezien of gehoord').fill(wrong);
    await L.submit(page, page.getByRole('button', { name: 'Dossier openen' }), /\/dossiers\/\d+$/);
    const dossier = page.url();

    await page.locator('#entry-1').getByRole('link', { name: 'Corrigeren' }).click();
    await page.waitForURL(/\/entries\/1\/correct$/);
    await L.assertVisibleText(page, 'h1', 'Corrigeren: 1. Signaal');
    await L.assertVisibleText(page, 'main', 'de oorspronkelijke tekst blijft zichtbaar, doorgestreept');
    assert.equal(await page.getByLabel('Wat is gezien of gehoord').inputValue(), wrong, 'the form is not pre-filled');
    await L.visited(page, `correction-${vp}-form`);
    // Without a reason the correction is refused, at the reason.
    const right = wrong.replace('dinsdag een blauw oog', 'woensdag een schram op de wang');
    await page.getByLabel('Wat is gezien of gehoord').fill(right);
    await L.submit(page, page.getByRole('button', { name: 'Correctie opslaan' }), /\/correct$/);
    await L.assertVisibleText(page, '#f-reason-error', 'Geef aan waarom de aantekening gecorrigeerd wordt.');
    await L.visited(page, `correction-${vp}-refused`, { shot: false });
    await fillForm(page, { reason: 'Verkeerde dag en verkeerd letsel genoteerd; navraag bij de gymleraar.' });
    await L.submit(page, page.getByRole('button', { name: 'Correctie opslaan' }), dossier);

    const entries = await chronology(page);
    assert.equal(entries.length, 2, `expected the original and the correction:\n${entries.join('\n---\n')}`);
    const original = page.locator('#entry-1');
    assert.match(await original.getAttribute('class'), /\bcorrected\b/);
    // The original's text is still there, struck through.
    const struck = original.locator('dl.struck dd').filter({ hasText: wrong });
    await struck.waitFor({ state: 'visible' });
    assert.match(await struck.evaluate((el) => getComputedStyle(el).textDecorationLine), /line-through/);
    // ... with a link to the correction, which links back.
    await L.assertVisibleText(page, '#entry-1 .notice', 'Gecorrigeerd in stap 2');
    const correction = page.locator('#entry-2');
    await L.assertVisibleText(page, '#entry-2 h3', '2. Correctie');
    await L.assertVisibleText(page, '#entry-2 .notice', 'Correctie van stap 1');
    const text = await correction.innerText();
    assert.ok(text.includes(right), 'the correction lacks the corrected text');
    assert.ok(text.includes('Verkeerde dag en verkeerd letsel'), 'the correction lacks its reason');
    assert.equal(await correction.locator('dl.struck').count(), 0, 'the correction itself is struck through');
    assert.equal(await correction.getByRole('link', { name: 'Corrigeren' }).count(), 0, 'a correction offers a correction');
    await L.visited(page, `correction-${vp}-dossier`);
    await original.locator('.notice a').click();
    await page.waitForURL(`${dossier}#entry-2`);
    await correction.locator('.notice a').click();
    await page.waitForURL(`${dossier}#entry-1`);
    await page.context().close();
  });
}
