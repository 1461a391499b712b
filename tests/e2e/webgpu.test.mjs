// The same demo on the GPU code path: Debian's Chromium with
// --enable-unsafe-webgpu exposes a software (SwiftShader) WebGPU adapter,
// which ?device=webgpu forces (left to itself the app prefers the CPU over
// a software adapter).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, shot, cells, metrics, outside } from './harness.mjs';

let srv, b;
before(async () => {
  srv = await serve();
  b = await launch(['--enable-unsafe-webgpu']);
});
after(async () => {
  await b?.context.close();
  srv?.server.close();
});

test('without ?device the app prefers the CPU over a software WebGPU adapter', async () => {
  const { page } = b;
  await page.goto(srv.url);
  await page.waitForFunction(() => /CPU|WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
});

// SwiftShader emulates the GPU on the CPU: about 7 s per training step here
// and a minute of set-up, so the full demo (~270 steps) would take half an
// hour, and its first task alone (one epoch) 9 minutes. CI trains the demo on
// it for a few steps and stops; E2E_GPU_FULL=1 waits for the first task's
// row of the matrix instead.
const full = !!process.env.E2E_GPU_FULL;
test(`the demo trains on WebGPU: ${full ? 'its first task, evaluated' : 'a few steps'}, then stopped`, async () => {
  const { page } = b;
  await page.goto(`${srv.url}?device=webgpu`);
  await page.waitForFunction(() => /CPU|WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 60_000 });
  const badge = await page.textContent('[data-testid=backend]');
  assert.match(badge, /WebGPU/, `badge: ${badge}; notices: ${await page.locator('[data-testid=notice]').allTextContents()}`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.getByLabel('Epochs per task').fill('1');
  await page.getByLabel('Epochs per task').dispatchEvent('change');
  const t0 = Date.now();
  await page.click('[data-testid=start]');
  if (!full) {
    await page.waitForFunction(() => /step ([3-9]|\d\d+)\//.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 600_000, polling: 1000 });
    console.log(`# first steps of the demo on WebGPU (SwiftShader): ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.textContent('[data-testid=progress]')}`);
    await page.click('[data-testid=stop]');
    await page.waitForFunction(() => /stopped/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 120_000 });
    const d = await page.$eval('[data-testid=loss-chart] path', (e) => e.getAttribute('d'));
    assert.ok((d.match(/L/g) ?? []).length >= 2, `the loss curve has the steps: ${d}`);
    assert.match(await page.textContent('[data-testid=backend]'), /WebGPU/, 'it stayed on the GPU');
    await shot(page, '10-webgpu-steps');
    assert.deepEqual(outside(b.requests), []);
    return;
  }
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=acc-matrix] [data-value]').length >= 5, null, { timeout: 900_000, polling: 1000 });
  console.log(`# first task of the demo on WebGPU (SwiftShader): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.click('[data-testid=stop]');
  await page.waitForFunction(() => /stopped/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 120_000 });
  const row = (await cells(page)).slice(0, 5);
  assert.equal(row.length, 5);
  assert.ok(row[0] > 0.3, `task 1 learnt on the GPU: ${row}`);
  const m = await metrics(page);
  assert.ok(m.A > 0.3 && m.U > 0.3, JSON.stringify(m));
  assert.match(await page.textContent('[data-testid=backend]'), /WebGPU/, 'it stayed on the GPU');
  await page.waitForSelector('[data-testid=attention-map] .attn-image', { timeout: 60_000 });
  await shot(page, '10-webgpu-first-task');
  assert.deepEqual(outside(b.requests), []);
});
