// The same demo on the GPU code path: Debian's Chromium with
// --enable-unsafe-webgpu exposes a software (SwiftShader) WebGPU adapter,
// which ?device=webgpu forces (left to itself the app prefers the CPU over
// a software adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, shot, cells, metrics, waitFull, outside, addKiwi } from './harness.mjs';

const s = session(['--enable-unsafe-webgpu']);

test('without ?device the app prefers the CPU over a software WebGPU adapter', async () => {
  const { page } = s.b;
  await page.goto(s.srv.url);
  await page.waitForFunction(() => /CPU|WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
  // and it loads the worker's CPU-only build, not the larger WebGPU one
  const loaded = s.b.requests.map((u) => new URL(u).pathname);
  assert.ok(loaded.includes('/palimpsest-worker_loader.js'), loaded.join(' '));
  assert.ok(!loaded.some((p) => p.includes('worker-webgpu')), loaded.join(' '));
});

// SwiftShader emulates the GPU on the CPU: 5–8 s per training step here and
// a minute of set-up, against ~19 s for the whole default demo (MSPT, 2
// epochs per task) on the wasm CPU. So CI trains what proves the GPU path:
// the first task of the demo stream on WebGPU (plain fine-tuning, one epoch:
// training, evaluation, the attention map and the checkpoint all run on the
// GPU), then `?fault=2` makes the GPU worker fail as task 2 starts and the
// CPU goes on from the checkpoint WebGPU handed over at the end of task 1.
// The whole stream on WebGPU (five tasks, then a class added, the fault at
// task 6) is `scripts/test-webgpu-full.sh` (WEBGPU_FULL=1), for a release
// check or a machine with a real GPU.
const full = process.env.WEBGPU_FULL === '1';

/// Opens the page on WebGPU with the fault at `fault`, picks fine-tuning
/// with one epoch per task, presses Start; returns the start time.
async function startOnGpu(page, fault) {
  await page.goto(`${s.srv.url}?device=webgpu&fault=${fault}`);
  await page.waitForFunction(() => /CPU|WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 60_000 });
  const badge = await page.textContent('[data-testid=backend]');
  assert.match(badge, /WebGPU/, `badge: ${badge}; notices: ${await page.locator('[data-testid=notice]').allTextContents()}`);
  assert.ok(s.b.requests.some((u) => u.endsWith('/palimpsest-worker-webgpu_loader.js')), 'the WebGPU build was loaded');
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.selectOption('[data-testid=strategy]', 'finetune');
  await page.getByLabel('Epochs per task').fill('1');
  await page.getByLabel('Epochs per task').dispatchEvent('change');
  const t0 = Date.now();
  await page.click('[data-testid=start]');
  return t0;
}

const filled = (page, n, timeout) => page.waitForFunction(
  (n) => document.querySelectorAll('[data-testid=acc-matrix] [data-value]').length >= n, n, { timeout, polling: 500 });

test('task 1 trains on WebGPU; when WebGPU fails as task 2 starts, the CPU goes on from the end of task 1', { skip: full && 'WEBGPU_FULL=1 runs the whole stream instead' }, async () => {
  const { page } = s.b;
  const t0 = await startOnGpu(page, 2);
  // row 1 (five cells: task 1 and the tasks still to come) comes from the GPU
  await filled(page, 5, 900_000);
  const row1 = (await cells(page)).slice(0, 5);
  console.log(`# WebGPU (SwiftShader): task 1 trained and evaluated after ${((Date.now() - t0) / 1000).toFixed(0)} s; row 1 ${row1.map((v) => v.toFixed(2)).join(' ')}`);
  assert.equal(row1.length, 5);
  // task 1 is learnt on the GPU (4 classes: chance is 0.25)
  assert.ok(row1[0] > 0.35, `task 1 after task 1: ${row1[0]}`);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=notice]')].some((n) => /WebGPU failed/.test(n.textContent)), null, { timeout: 300_000 });
  const notices = await page.locator('[data-testid=notice]').allTextContents();
  assert.ok(notices.some((n) => /injected fault.*from the end of task 1/.test(n)), notices.join(' | '));
  await waitFull(page, 5, 300_000);
  console.log(`# the CPU finished tasks 2–5 after ${((Date.now() - t0) / 1000).toFixed(0)} s in all; ${await page.textContent('[data-testid=progress]')}`);
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
  const after = await cells(page);
  assert.equal(after.length, 25);
  // row 1 is WebGPU's, kept exactly; rows 2–5 are the CPU's
  assert.deepEqual(after.slice(0, 5), row1, 'row 1');
  assert.ok(after.every((v) => v >= 0 && v <= 1), `matrix ${after}`);
  const m = await metrics(page);
  for (const k of ['A', 'U', 'ACC', 'BWT', 'FWT', 'forgetting']) assert.ok(Number.isFinite(m[k]), `metric ${k}: ${m[k]}`);
  await page.waitForSelector('[data-testid=attention-map] .attn-image', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=progress]'), /finished · task 5\/5/);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  await shot(page, '10-webgpu-task1-cpu-went-on');
  assert.deepEqual(outside(s.b.requests), []);
});

test('the demo stream trains on WebGPU; when WebGPU fails at an added task, the CPU goes on from the end of task 5', { skip: !full && 'the whole stream on WebGPU: scripts/test-webgpu-full.sh' }, async () => {
  const { page } = s.b;
  const t0 = await startOnGpu(page, 6);
  const times = [];
  for (let k = 1; k <= 5; k++) {
    await filled(page, 5 * k, 1_800_000);
    times.push(((Date.now() - t0) / 1000).toFixed(0));
  }
  console.log(`# WebGPU: row k of the matrix after (s): ${times.join(', ')}`);
  await waitFull(page, 5, 600_000);
  const seconds = (Date.now() - t0) / 1000;
  console.log(`# demo stream on WebGPU (SwiftShader), finetune, 1 epoch per task: ${seconds.toFixed(0)} s; ${await page.textContent('[data-testid=progress]')}`);
  assert.match(await page.textContent('[data-testid=backend]'), /WebGPU/, 'it stayed on the GPU');
  assert.equal(await page.locator('[data-testid=notice]').count(), 0);
  const gpu = await cells(page);
  assert.equal(gpu.length, 25);
  const diagonal = [0, 6, 12, 18, 24].map((i) => gpu[i]);
  console.log(`# diagonal on WebGPU: ${diagonal.map((v) => v.toFixed(2)).join(' ')}`);
  // each task is learnt when it is trained (4 classes a task: chance is 0.25)
  assert.ok(diagonal.reduce((a, v) => a + v, 0) / 5 > 0.35, `diagonal ${diagonal}`);
  const m = await metrics(page);
  for (const k of ['A', 'U', 'ACC', 'BWT', 'FWT', 'forgetting']) assert.ok(Number.isFinite(m[k]), `metric ${k}: ${m[k]}`);
  await page.waitForSelector('[data-testid=attention-map] .attn-image', { timeout: 60_000 });
  await shot(page, '10-webgpu-demo');

  // the user's class: task 6, where the GPU "fails"
  await addKiwi(page);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=notice]')].some((n) => /WebGPU failed/.test(n.textContent)), null, { timeout: 600_000 });
  const notices = await page.locator('[data-testid=notice]').allTextContents();
  assert.ok(notices.some((n) => /injected fault.*from the end of task 5/.test(n)), notices.join(' | '));
  await waitFull(page, 6, 300_000);
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
  const after = await cells(page);
  assert.equal(after.length, 36);
  // rows 1–5 are WebGPU's, kept exactly; row 6 is the CPU's
  for (let r = 0; r < 5; r++) {
    assert.deepEqual(after.slice(r * 6, r * 6 + 5), gpu.slice(r * 5, r * 5 + 5), `row ${r + 1}`);
  }
  // (one fine-tuning step on six pairs need not learn kiwi; the CPU trained and measured task 6)
  assert.ok(after.slice(30).every((v) => v >= 0 && v <= 1), `row 6: ${after.slice(30)}`);
  assert.match(await page.textContent('[data-testid=progress]'), /finished · task 6\/6/);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  await shot(page, '11-webgpu-failed-cpu-went-on');
  assert.deepEqual(outside(s.b.requests), []);
});
