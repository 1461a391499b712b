// Firefox too: Debian's firefox-esr, headless, driven over WebDriver
// through geckodriver (crates.io; scripts/test.sh installs both), loads
// the built app with the device left to the page, says in one line that it
// trains on the CPU for want of WebGPU (and of a microphone, where there is
// none), and trains the default demo to a full 5×5 matrix; then, with the
// site's server stopped, reloads from its offline copy and trains again. The WebDriver
// protocol is spoken with plain fetch() (W3C WebDriver, HTTP + JSON).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, shots } from './harness.mjs';

const firefox = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const which = (cmd) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};
const geckodriver = process.env.GECKODRIVER ?? which('geckodriver');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

let srv;
let driver;
let base;
let session;

/// One WebDriver command; its `value`, or an error naming what failed.
async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}
const run = (script, ...args) => wd('POST', `/session/${session}/execute/sync`, { script, args });
/// Polls `script` (a function body returning a value) until it is truthy.
async function until(script, timeout, what) {
  const t0 = Date.now();
  for (;;) {
    const v = await run(script);
    if (v) return v;
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}
const click = async (css) => {
  const el = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
  await wd('POST', `/session/${session}/element/${el[ELEMENT]}/click`, {});
};
const screenshot = async (name) => writeFile(join(shots, `${name}.png`),
  Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64'));

before(async () => {
  assert.ok(geckodriver, 'geckodriver is not on PATH (cargo install --locked geckodriver --version 0.37.1)');
  assert.ok(which(firefox), `${firefox} is missing (apt-get install firefox-esr)`);
  srv = await serve();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await mkdir(shots, { recursive: true });
  const log = createWriteStream(join(shots, 'geckodriver.log'));
  driver = spawn(geckodriver, ['--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  driver.stdout.pipe(log);
  driver.stderr.pipe(log);
  for (let i = 0; ; i += 1) {
    try {
      if ((await wd('GET', '/status')).ready !== undefined) break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  const created = await wd('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'firefox',
        'moz:firefoxOptions': {
          binary: firefox,
          args: ['-headless'],
          // no update checks, telemetry or other traffic of its own
          prefs: {
            'app.update.enabled': false,
            'browser.shell.checkDefaultBrowser': false,
            'datareporting.policy.dataSubmissionEnabled': false,
            'toolkit.telemetry.enabled': false,
            'network.captive-portal-service.enabled': false,
            'network.connectivity-service.enabled': false,
          },
        },
      },
    },
  });
  session = created.sessionId;
  console.log(`# ${created.capabilities.browserName} ${created.capabilities.browserVersion} through geckodriver`);
  await wd('POST', `/session/${session}/window/rect`, { width: 1400, height: 1000 });
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill();
  srv?.server.close();
});

test('Firefox ESR trains the default demo on the CPU to a full 5×5 matrix', async () => {
  const t0 = Date.now();
  // the device left to the page: where Firefox offers no hardware WebGPU
  // adapter (here: none at all), one line says so and the CPU trains
  await wd('POST', `/session/${session}/url`, { url: srv.url });
  await until("return !!document.querySelector('[data-testid=start]:not([disabled])')", 120_000, 'the page to be ready');
  const loaded = (Date.now() - t0) / 1000;
  const adapter = await run(`return navigator.gpu ? navigator.gpu.requestAdapter().then((a) => a ? (a.info?.architecture || 'an adapter') : 'none') : 'no navigator.gpu'`);
  const badge = await run("return document.querySelector('[data-testid=backend]').textContent");
  const note = await run("const n = document.querySelectorAll('[data-testid=device-note]'); return [...n].map((e) => e.textContent)");
  console.log(`# the page in Firefox (WebGPU: ${adapter}): "${badge}"; ${note.join(' | ') || 'no device note'}`);
  if (/CPU/.test(badge)) {
    assert.equal(note.length, 1, 'one line says why the CPU trains');
    assert.match(note[0], /WebGPU.*the model trains on the CPU/);
  } else {
    // a Firefox with a hardware adapter: the demo on the CPU all the same
    await wd('POST', `/session/${session}/url`, { url: `${srv.url}?device=cpu` });
    await until("return !!document.querySelector('[data-testid=start]:not([disabled])') && /CPU/.test(document.querySelector('[data-testid=backend]').textContent)", 120_000, 'the page on the CPU');
  }
  // the microphone: one line where there is none, in the speech panel
  await run(`const s = document.querySelector('[data-testid=modality-kind]'); s.value = 'speech';
    s.dispatchEvent(new Event('change', { bubbles: true }));`);
  const mic = await run("return [...document.querySelectorAll('[data-testid=mic-note]')].map((e) => e.textContent)");
  const inputs = await run('return navigator.mediaDevices.enumerateDevices().then((d) => d.filter((x) => x.kind === "audioinput").length)');
  console.log(`# microphones Firefox lists: ${inputs}; the page says: ${mic.join(' | ') || 'nothing'}`);
  assert.equal(mic.length, inputs === 0 ? 1 : 0);
  const t1 = Date.now();
  await click('[data-testid=start]');
  await until(`return document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]').length === 25
    && /finished/.test(document.querySelector('[data-testid=progress]').textContent)`, 420_000, 'a full 5×5 matrix');
  const trained = (Date.now() - t1) / 1000;
  const values = await run("return [...document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]')].map((e) => Number(e.dataset.value))");
  assert.equal(values.length, 25);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  const diag = [0, 6, 12, 18, 24].map((i) => values[i]);
  console.log(`# Firefox: page ready in ${loaded.toFixed(1)} s, the default demo trained in ${trained.toFixed(1)} s; diagonal ${diag.map((u) => u.toFixed(2)).join(' ')}`);
  assert.ok(diag.reduce((a, b) => a + b) / 5 >= 0.85, `mean U_k of ${diag}`);
  const metrics = await run("return Object.fromEntries([...document.querySelectorAll('[data-testid=metrics] [data-metric]')].map((e) => [e.dataset.metric, Number(e.dataset.value)]))");
  for (const k of ['A', 'U', 'ACC', 'BWT']) assert.ok(Number.isFinite(metrics[k]), `metric ${k}: ${metrics[k]}`);
  assert.deepEqual(await run("return [...document.querySelectorAll('[data-testid=error]')].map((e) => e.textContent)"), []);
  await screenshot('90-firefox-trained');
  // offline in Firefox as well: once the copy is kept, the site's server
  // stops, and the page reloads from Firefox's cache and trains again
  const offline = await until("return document.querySelector('[data-testid=offline]')?.dataset.version", 60_000, 'the offline copy');
  await new Promise((ok) => { srv.server.close(ok); srv.server.closeAllConnections(); });
  await assert.rejects(fetch(srv.url), 'nothing answers at the site\'s address');
  const t2 = Date.now();
  await wd('POST', `/session/${session}/url`, { url: srv.url });
  await until("return !!document.querySelector('[data-testid=start]:not([disabled])')", 120_000, 'the page, offline');
  assert.equal(await run("return document.querySelector('[data-testid=offline]')?.dataset.version"), offline);
  await click('[data-testid=start]');
  await until(`return document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]').length === 25
    && /finished/.test(document.querySelector('[data-testid=progress]').textContent)`, 420_000, 'a full 5×5 matrix, offline');
  const again = await run("return [...document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]')].map((e) => Number(e.dataset.value))");
  assert.deepEqual(again, values, 'offline, the same run gives the same matrix');
  assert.deepEqual(await run("return [...document.querySelectorAll('[data-testid=error]')].map((e) => e.textContent)"), []);
  console.log(`# Firefox, offline: version ${offline} reloaded and trained the demo again in ${((Date.now() - t2) / 1000).toFixed(1)} s, the same matrix`);
  await screenshot('91-firefox-offline');
});
