// A run that diverges in the app. No setting within its range makes the
// small models diverge on the CPU, so the `?diverge=TASK:STEP` hook makes
// the loss of those steps NaN (as the CLI's PALIMPSEST_DIVERGE_AT does):
// once, and the task starts again at half the learning rate and the run
// ends; twice at the same step, and the run stops with the tasks before
// kept, its record exportable and readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, shot, cells, waitFull, outside } from './harness.mjs';

const s = session();

async function startAt(page, points) {
  await page.goto(`${s.srv.url}?device=cpu&diverge=${points}`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.click('[data-testid=start]');
}

const notices = (page) => page.locator('[data-testid=notice]').allTextContents();

test('a diverged task starts again at half the learning rate, says so, and the run ends with every number finite', async () => {
  const { page } = s.b;
  await startAt(page, '2:3');
  await waitFull(page, 5, 240_000);
  const n = await notices(page);
  assert.equal(n.length, 1, n.join(' | '));
  assert.match(n[0], /^Training diverged at task 2, step 3 \(learning rate [\d.e-]+\): training goes back to the start of task 2 with the learning rate halved/);
  const values = await cells(page);
  assert.equal(values.length, 25);
  assert.ok(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `${values}`);
  // the loss chart has no gap: NaN never reached the page
  const d = await page.$eval('[data-testid=loss-chart] path', (e) => e.getAttribute('d'));
  assert.doesNotMatch(d, /NaN/);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  await shot(page, '40-diverged-once');
});

test('diverging again stops the run with the finished tasks kept; its record exports and reads back', async () => {
  const { page } = s.b;
  await startAt(page, '3:2,3:2');
  await page.waitForFunction(() => /stopped · task 3\/5/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''), null, { timeout: 240_000 });
  const n = (await notices(page)).join(' | ');
  assert.match(n, /diverged at task 3, step 2 .*training goes back to the start of task 3/);
  assert.match(n, /diverged at task 3, step 2 .*after the learning rate was halved once: the run stopped; the record holds tasks 1–2/);
  // the record's matrix: tasks 1 and 2, nothing of task 3
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=acc-matrix] [data-value]').length === 4, null, { timeout: 30_000 });
  assert.match(await page.textContent('.run-card.shown'), /stopped/);
  const download = page.waitForEvent('download');
  await page.click('[data-testid=export]');
  const path = await (await download).path();
  const rec = JSON.parse(await readFile(path, 'utf8'));
  assert.equal(rec.acc_matrix.length, 2);
  assert.equal(rec.divergences.length, 2);
  assert.ok(rec.acc_matrix.flat().every((v) => Number.isFinite(v)));
  // the app's own import (core's record validator) reads it back
  const cards = await page.locator('.run-card').count();
  await page.setInputFiles('[data-testid=import]', path);
  await page.waitForFunction((n) => document.querySelectorAll('.run-card').length === n + 1, cards, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  await shot(page, '41-diverged-twice');
  assert.deepEqual(outside(s.b.requests), []);
});
