// The same demo on the GPU code path: Debian's Chromium with
// --enable-unsafe-webgpu exposes a software (SwiftShader) WebGPU adapter,
// which ?device=webgpu forces (left to itself the app prefers the CPU over
// a software adapter).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, shot, cells, metrics, waitFull, outside } from './harness.mjs';

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

test('the default demo trains to a full matrix on WebGPU', async () => {
  const { page } = b;
  await page.goto(`${srv.url}?device=webgpu`);
  await page.waitForFunction(() => /CPU|WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 60_000 });
  const badge = await page.textContent('[data-testid=backend]');
  assert.match(badge, /WebGPU/, `badge: ${badge}; notices: ${await page.locator('[data-testid=notice]').allTextContents()}`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  const t0 = Date.now();
  await page.click('[data-testid=start]');
  await waitFull(page, 5, 900_000);
  console.log(`# demo on WebGPU (SwiftShader): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const values = await cells(page);
  assert.equal(values.length, 25);
  const m = await metrics(page);
  assert.ok(m.U > 0.3, `U_k ${m.U}`);
  assert.match(await page.textContent('[data-testid=backend]'), /WebGPU/, 'it stayed on the GPU');
  await shot(page, '10-webgpu-finished');
  assert.deepEqual(outside(b.requests), []);
});
