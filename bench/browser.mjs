// The browser's figures for BENCHMARKS.md, in headless Chromium (Debian's,
// driven by playwright-core from tests/): the worker's training step and
// one prediction on the wasm CPU and on WebGPU (the same `bench` the CLI
// runs, on the model of the native bench's config), and the default demo
// from Start to its full matrix on the wasm CPU.
//
//   node bench/browser.mjs NATIVE.json OUT.json    (bench/run.sh runs it)
//   BROWSER_ONLY=cpu node bench/browser.mjs …      the wasm CPU's step alone
//                                                  (run.sh alternates it with
//                                                  the native step, round by round)
//
// Needs dist/ (trunk build) and tests/node_modules (npm ci in tests/).
import { readFile, writeFile } from 'node:fs/promises';
import { serve, launch, waitFull } from '../tests/e2e/harness.mjs';

const [nativeFile, outFile] = process.argv.slice(2);
if (!nativeFile || !outFile) {
  console.error('usage: node bench/browser.mjs NATIVE.json OUT.json');
  process.exit(2);
}
const native = JSON.parse(await readFile(nativeFile, 'utf8'));
const steps = Number(process.env.BROWSER_STEPS ?? 60);
// SwiftShader's WebGPU (the adapter without a GPU) takes seconds a step
const gpuSteps = Number(process.env.BROWSER_GPU_STEPS ?? 3);
const only = process.env.BROWSER_ONLY ?? '';
if (!['', 'cpu'].includes(only)) {
  console.error(`BROWSER_ONLY: 'cpu' or unset, not '${only}'`);
  process.exit(2);
}

/// Runs the worker's bench on `device` in a worker of the script's own
/// (the page's worker stays out of the way: the page is not the app): the
/// CPU-only build for the CPU, the WebGPU build for WebGPU, as the app does.
async function workerBench(page, device, plan) {
  return page.evaluate(async ({ device, config, plan }) => {
    const w = new Worker(device === 'webgpu'
      ? './palimpsest-worker-webgpu_loader.js' : './palimpsest-worker_loader.js');
    const replies = [];
    let wake = () => {};
    w.onmessage = (e) => {
      if (typeof e.data === 'string') { replies.push(JSON.parse(e.data)); wake(); }
    };
    const next = async (kind, ms) => {
      const t0 = Date.now();
      for (;;) {
        const i = replies.findIndex((r) => [kind, 'error', 'crashed'].includes(r.reply));
        if (i >= 0) {
          const r = replies.splice(i, 1)[0];
          if (r.reply !== kind) throw new Error(`the worker said ${JSON.stringify(r)}`);
          return r;
        }
        if (Date.now() - t0 > ms) throw new Error(`no '${kind}' from the worker in ${ms} ms`);
        await new Promise((ok) => { wake = ok; setTimeout(ok, 250); });
      }
    };
    try {
      await next('alive', 120_000);
      w.postMessage(JSON.stringify({ cmd: 'init', device }));
      const ready = await next('ready', 120_000);
      w.postMessage(JSON.stringify({ cmd: 'bench', config, plan }));
      const bench = await next('bench', 900_000);
      return { backend: ready.backend, gpu: ready.gpu, notice: ready.notice, report: bench.report };
    } finally {
      w.terminate();
    }
  }, { device, config: native.config, plan });
}

const srv = await serve();
const b = await launch(['--enable-unsafe-webgpu']);
const out = { chromium: b.context.browser()?.version() ?? null };
try {
  const { page } = b;
  // a same-origin page that is not the app (no worker of its own)
  await page.goto(`${srv.url}bench-page`);
  const plan = { warmup: 10, steps, tasks: 1 };
  console.log(`wasm CPU: ${steps} training steps …`);
  out.cpu = await workerBench(page, 'cpu', plan);
  console.log(`  ${out.cpu.report.median_step_ms.toFixed(2)} ms a step on ${out.cpu.backend}`);
  if (only !== 'cpu') {
    console.log(`WebGPU: ${gpuSteps} training steps …`);
    try {
      out.webgpu = await workerBench(page, 'webgpu', { warmup: 1, steps: gpuSteps, tasks: 1 });
      console.log(`  ${out.webgpu.report.median_step_ms.toFixed(2)} ms a step on ${out.webgpu.backend}`);
    } catch (e) {
      out.webgpu = { error: String(e.message ?? e) };
      console.log(`  no WebGPU figure: ${out.webgpu.error}`);
    }
    console.log('the default demo on the wasm CPU …');
    await page.goto(`${srv.url}?device=cpu`);
    await page.waitForFunction(() => /CPU/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''), null, { timeout: 120_000 });
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
    const t0 = Date.now();
    await page.click('[data-testid=start]');
    await waitFull(page, 5, 900_000);
    out.demo_s = (Date.now() - t0) / 1000;
    console.log(`  ${out.demo_s.toFixed(1)} s`);
  }
} finally {
  await b.context.close();
  srv.server.close();
}
await writeFile(outFile, JSON.stringify(out, null, 1));
