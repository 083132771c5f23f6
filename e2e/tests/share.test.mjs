// Sharing part of a dossier with the external partner (the youth doctor, jeugdarts) until a date: the partner
// sees a clearly marked, limited view; after the aandachtsfunctionaris stops sharing, the dossier is gone for
// the partner.
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

const PUPILS = { desktop: 'Yara Verzonnen', phone: 'Fleur Fictief' };

for (const { name: vp, viewport } of L.VIEWPORTS) {
  test(`shared with the jeugdarts: a marked, limited view; gone after revoking (${vp})`, async () => {
    const pupil = PUPILS[vp];
    const stamp = Date.now();
    const signal = `${pupil} is vaak moe en heeft geen ontbijt gehad (e2e ${stamp}).`;
    const consultation = `Intern overleg, niet voor de partner (e2e ${stamp}).`;

    // The teacher records a signal; the aandachtsfunctionaris adds an internal consultation.
    const teacher = await L.sessionPage(browser, 'leerkracht.po', { viewport });
    await teacher.goto(`${L.BASE_URL}/pupils`);
    await teacher.getByRole('link', { name: pupil }).click();
    await teacher.getByRole('link', { name: 'Zorg vastleggen' }).click();
    await teacher.getByLabel('Wat is gezien of gehoord').fill(signal);
    await L.submit(teacher, teacher.getByRole('button', { name: 'Dossier openen' }), /\/dossiers\/\d+$/);
    const url = teacher.url();
    const id = Number(url.match(/(\d+)$/)[1]);
    await teacher.context().close();

    const lead = await L.sessionPage(browser, 'af.po', { viewport });
    await lead.goto(url);
    await addEntry(lead, 'Overleg', { with: 'designated_lead', summary: consultation });
    await lead.getByRole('link', { name: 'Delen met een partner' }).click();
    await lead.waitForURL(/\/shares$/);
    await L.assertVisibleText(lead, 'h1', 'Delen met een externe partner');
    await L.visited(lead, `share-${vp}-form`);
    // Without a part chosen nothing is shared.
    await lead.getByLabel('Partner').selectOption({ label: 'Jeroen Jeugdarts (demo)' });
    await lead.getByLabel('Tot en met').fill(L.isoToday(14));
    await L.submit(lead, lead.getByRole('button', { name: 'Delen', exact: true }), /\/shares$/);
    await L.assertVisibleText(lead, '.error-summary', 'Kies minstens één onderdeel.');
    await lead.getByLabel('Partner').selectOption({ label: 'Jeroen Jeugdarts (demo)' });
    await lead.getByLabel('Tot en met').fill(L.isoToday(14));
    await lead.getByLabel('Signaal', { exact: true }).check();
    await L.submit(lead, lead.getByRole('button', { name: 'Delen', exact: true }), /\/shares$/);
    const row = lead.locator('table.list tbody tr').filter({ hasText: 'Jeroen Jeugdarts' });
    assert.match(await row.innerText(), new RegExp(`Signaal\\s+${L.nl(L.isoToday(14))}`));
    await L.visited(lead, `share-${vp}-shared`);

    // The partner: the dossier on the start page, a marked limited view with only the signal.
    const partner = await L.sessionPage(browser, 'jeugdarts', { viewport });
    const listed = partner.locator('main li').filter({ has: partner.locator(`a[href="/dossiers/${id}"]`) });
    await L.assertVisibleText(partner, 'main h2', 'Met u gedeelde dossiers');
    assert.match(await listed.innerText(), new RegExp(`${pupil} · gedeeld tot en met ${L.nl(L.isoToday(14))}`));
    await listed.getByRole('link', { name: pupil }).click();
    await partner.waitForURL(url);
    await L.assertVisibleText(partner, 'h1', `Dossier: ${pupil}`);
    await L.assertVisibleText(partner, '[role=note]', 'U ziet een beperkte weergave');
    const view = await partner.locator('main').innerText();
    assert.ok(view.includes(signal), 'the shared signal is not shown');
    assert.ok(!view.includes(consultation), 'the partner sees the consultation that was not shared');
    assert.equal(await partner.locator('nav.actions').count(), 0, 'the partner may add entries');
    assert.equal(await partner.getByRole('link', { name: 'Corrigeren' }).count(), 0, 'the partner may correct');
    assert.equal(await partner.locator('#kind option').count(), 2, 'the filter offers kinds that are not shared');
    await L.visited(partner, `share-${vp}-partner-view`);

    // Stop sharing: the share stays listed as inactive; the partner's dossier is gone.
    await L.submit(lead, row.getByRole('button', { name: 'Stoppen met delen' }), /\/shares$/);
    await L.assertVisibleText(lead, 'table.list tr', 'niet meer actief');
    assert.equal(await row.getByRole('button', { name: 'Stoppen met delen' }).count(), 0);
    await L.visited(lead, `share-${vp}-revoked`, { shot: false });
    const response = await partner.goto(url);
    assert.equal(response.status(), 404);
    await L.assertVisibleText(partner, 'h1', 'Pagina niet gevonden');
    assert.ok(!(await partner.locator('body').innerText()).includes(signal), 'the revoked dossier still shows');
    await partner.goto(`${L.BASE_URL}/`);
    assert.equal(await partner.locator(`a[href="/dossiers/${id}"]`).count(), 0, 'still listed on the start page');
    await L.visited(partner, `share-${vp}-partner-after-revoke`, { shot: false });
    await lead.context().close();
    await partner.context().close();
  });
}
