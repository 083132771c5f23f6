// The dossier journey at a phone viewport (390×844): a teacher on her phone, the aandachtsfunctionaris on his.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../lib.mjs';
import { teacherOpensDossier, colleagueWeighs } from '../journey.mjs';

const pupil = 'Daan Denkbeeld';
let browser;
let id;
before(async () => {
  browser = await L.launch();
});
after(async () => {
  await browser?.close();
});

test('a teacher opens a dossier from a signal (phone)', async () => {
  id = await teacherOpensDossier(browser, { teacher: 'leerkracht.po', pupil, viewport: L.PHONE, tag: 'phone' });
});

test('the aandachtsfunctionaris answers the afwegingskader to meldnorm 1 (phone)', async () => {
  assert.ok(id, 'no dossier from the previous test');
  await colleagueWeighs(browser, { colleague: 'af.po', pupil, id, viewport: L.PHONE, tag: 'phone' });
});
