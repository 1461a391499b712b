// A worker that fails mid-run (as when WebGPU loses its device): the page
// starts a CPU worker that goes on from the last task boundary. The
// `?fault=N` hook makes the first worker fail as task N starts; on the CPU
// training is deterministic, so the resumed run must end with exactly the
// matrix of an uninterrupted run of the same stream and seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, shot, cells, waitFull, outside } from './harness.mjs';

const s = session();

const progress = (page) => page.textContent('[data-testid=progress]');

test('a worker lost at task 3 is replaced on the CPU, which goes on from the end of task 2', async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu&fault=3`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=notice]', { timeout: 120_000 });
  const notice = await page.textContent('[data-testid=notice]');
  assert.match(notice, /injected fault/);
  assert.match(notice, /goes on on the CPU from the end of task 2/);
  await waitFull(page, 5, 240_000);
  await page.waitForFunction(() => /finished/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 60_000 });
  const resumed = await cells(page);
  assert.equal(resumed.length, 25);
  assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no error: the run went on');
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
  // the loss trace was cut back to the boundary, not doubled
  const points = await page.$eval('[data-testid=loss-chart] path', (e) => (e.getAttribute('d').match(/L/g) ?? []).length + 1);
  await shot(page, '20-resumed-after-fault');

  // the same stream and seed once more, on the new worker, without a fault
  await page.click('[data-testid=start]');
  await page.waitForFunction(() => /task 1\//.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 60_000 });
  await waitFull(page, 5, 240_000);
  await page.waitForFunction(() => /finished/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 60_000 });
  const whole = await cells(page);
  const pointsWhole = await page.$eval('[data-testid=loss-chart] path', (e) => (e.getAttribute('d').match(/L/g) ?? []).length + 1);
  console.log(`# resumed run: ${await progress(page)}; loss points ${points} (uninterrupted ${pointsWhole})`);
  assert.deepEqual(resumed, whole, 'the resumed run ends exactly as an uninterrupted one');
  assert.equal(points, pointsWhole);
  assert.deepEqual(outside(s.b.requests), []);
});
