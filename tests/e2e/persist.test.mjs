// What the page keeps in this browser (IndexedDB): a reload while a run
// trains asks first (beforeunload), then offers to go on from the last task
// boundary, and the resumed run ends exactly as an uninterrupted one (on
// the CPU training is deterministic); the added class and the runs survive
// reloads; "Clear saved data" starts afresh; a full storage is one clear
// error, training goes on, and what was stored before stays whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, shot, cells, waitFull, outside, clearSaved, addKiwi, kiwiFiles } from './harness.mjs';

const s = session();

const ready = (page) => page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
const finished = (page) => page.waitForFunction(
  () => /finished/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''), null, { timeout: 240_000 });

const kept = (page) => page.waitForSelector('[data-testid=saved][data-saved=kept]', { timeout: 30_000 });

/// Reloads the page; `expect` is whether the browser must ask first.
async function reload(page, expect) {
  let asked = null;
  const onDialog = (d) => { asked = d.type(); d.accept(); };
  page.on('dialog', onDialog);
  await page.reload();
  page.off('dialog', onDialog);
  assert.equal(asked, expect ? 'beforeunload' : null, 'the browser asks before leaving a training run, and only then');
}

test('a reload mid-run offers to resume from the last task boundary; the resumed run ends as an uninterrupted one', async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu`);
  await ready(page);
  // the user's own class, so that the stream itself must come back too
  await addKiwi(page);
  await page.waitForFunction(() => document.querySelectorAll('.chip.custom').length === 1, null, { timeout: 30_000 });

  await page.click('[data-testid=start]');
  // three of six tasks evaluated (six cells a row), then the page goes away mid-task
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=acc-matrix] [data-value]').length >= 18, null, { timeout: 120_000 });
  await page.waitForTimeout(1000);
  await reload(page, true);

  await page.waitForSelector('[data-testid=resume-offer]', { timeout: 60_000 });
  const offer = await page.textContent('[data-testid=resume-offer]');
  const k = Number(offer.match(/from the end of task (\d+)/)?.[1]);
  assert.ok(k >= 3 && k < 6, `offer: ${offer}`);
  assert.match(offer, new RegExp(`was training task ${k + 1} when the page was closed or reloaded`));
  // the added class came back with the stream
  await page.waitForFunction(() => document.querySelectorAll('.chip.custom').length === 1, null, { timeout: 60_000 });
  assert.equal(await page.locator('.run-card').count(), 1);
  assert.match(await page.textContent('.run-card'), /stopped/);
  await shot(page, '30-reloaded-resume-offer');

  await ready(page);
  await page.click('[data-testid=resume-interrupted]');
  assert.equal(await page.locator('[data-testid=resume-offer]').count(), 0);
  await waitFull(page, 6, 240_000);
  const resumed = await cells(page);
  assert.equal(resumed.length, 36);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);

  // the same stream and seed, uninterrupted
  await page.click('[data-testid=start]');
  await page.waitForFunction(() => /task 1\//.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 60_000 });
  await waitFull(page, 6, 240_000);
  assert.deepEqual(resumed, await cells(page), 'the resumed run ends exactly as an uninterrupted one');

  // nothing trains: no question before leaving, no offer after; both runs back
  await kept(page);
  await reload(page, false);
  await page.waitForFunction(() => document.querySelectorAll('.run-card').length === 2
    && document.querySelectorAll('.chip.custom').length === 1, null, { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=resume-offer]').count(), 0);
  assert.deepEqual(await cells(page), resumed, 'the shown run and its matrix are back');
  // and its model: the playground answers
  await finished(page);
  await page.locator('.classes .thumb').first().click();
  await page.click('[data-testid=predict-selected]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction] li').length === 5, null, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  await shot(page, '31-reloaded-after-runs');

  // uploads not yet added as a class come back too
  await page.setInputFiles('[data-testid=upload]', kiwiFiles);
  await page.waitForFunction(() => document.querySelectorAll('.thumb.pending').length === 6, null, { timeout: 30_000 });
  await kept(page);
  await reload(page, false);
  await page.waitForFunction(() => document.querySelectorAll('.thumb.pending').length === 6, null, { timeout: 60_000 });
  assert.match(await page.textContent('.thumb.pending figcaption'), /kiwi/);

  // "Clear saved data" (after a confirmation) starts afresh
  page.once('dialog', (d) => d.accept());
  await page.click('[data-testid=clear-data]');
  await page.waitForFunction(() => document.querySelectorAll('.run-card').length === 0
    && document.querySelectorAll('.thumb.pending').length === 0
    && document.querySelectorAll('.chip').length > 0, null, { timeout: 60_000 });
  await ready(page);
  assert.equal(await page.locator('.chip.custom').count(), 0);
  await kept(page);
  await reload(page, false);
  await ready(page);
  assert.equal(await page.locator('.run-card').count(), 0, 'cleared data stays cleared');
  assert.deepEqual(outside(s.b.requests), []);
});

test('a full storage is one clear error; training goes on and what was stored before stays whole', async () => {
  const { page } = s.b;
  await clearSaved(s);
  const cdp = await s.b.context.newCDPSession(page);
  const origin = new URL(s.srv.url).origin;
  // room for the page's settings, not for a model checkpoint (over 1 MB),
  // beside what the origin already holds: the service worker's offline
  // copy of the site (about 11 MB, kept from the earlier tests)
  const { usage } = await cdp.send('Storage.getUsageAndQuota', { origin });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 300_000 });
  try {
    await page.goto(`${s.srv.url}?device=cpu`);
    await ready(page);
    await page.click('[data-testid=start]');
    await waitFull(page, 5, 240_000);
    await finished(page);
    const errors = await page.locator('[data-testid=error]').allTextContents();
    assert.equal(errors.length, 1, errors.join(' | '));
    assert.match(errors[0], /storage for the page is full \(QuotaExceededError\)/);
    assert.match(errors[0], /what was saved before is kept whole/);
    assert.equal(await page.getAttribute('[data-testid=saved]', 'data-saved'), 'not saved');
    await shot(page, '32-storage-full');
    // the last write that fitted: the run had started, no task had ended
    await reload(page, false);
    await page.waitForSelector('[data-testid=resume-offer]', { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid=resume-offer]'), /before any task had ended/);
    assert.match(await page.textContent('[data-testid=resume-interrupted]'), /Start it again/);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});
