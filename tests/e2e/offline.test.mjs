// Offline after one visit (the service worker, public/sw.js): with the
// site's server gone, the page reloads from the browser's cache and trains
// the demo, and a pack used online loads offline; then a new build of the
// site replaces the cached one whole, and the page says so. The site is a
// copy of dist/ of this test's own, so that it can make a new version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, shot, cells, waitFull, dist, root } from './harness.mjs';

let site;
let srv;
let b;
let url;

before(async () => {
  site = await mkdtemp(join(tmpdir(), 'palimpsest-site-'));
  await cp(dist, site, { recursive: true });
  srv = await serve(site);
  url = srv.url;
  b = await launch();
});

after(async () => {
  await b?.context.close();
  srv?.server.close();
  srv?.server.closeAllConnections();
  if (site) await rm(site, { recursive: true, force: true });
});

/// The network goes: the site's server stops and drops every connection.
async function cut() {
  await new Promise((ok) => { srv.server.close(ok); srv.server.closeAllConnections(); });
  await assert.rejects(fetch(url), 'nothing answers at the site\'s address');
}

/// The network comes back: the same address serves the site again.
async function restore() {
  srv = await serve(site, Number(new URL(url).port));
  assert.equal(srv.url, url);
}

const kept = (page) => page.waitForFunction(
  () => document.querySelector('[data-testid=offline]')?.dataset.version, null, { timeout: 120_000 })
  .then((h) => h.jsonValue());
const cacheNames = (page) => page.evaluate(() => caches.keys());
const cached = (page, name) => page.evaluate(async (n) =>
  (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname), name);
const ready = (page) => page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });

test('after one visit the page reloads with the network off, trains the demo, and loads a pack it used', async () => {
  const { page } = b;
  await page.goto(`${url}?device=cpu&epochs=1`);
  await ready(page);
  const version = await kept(page);
  assert.match(version, /^[0-9a-f]{12}$/, 'the version is a hash of the build (scripts/sw-version.sh)');
  assert.match(await page.textContent('[data-testid=offline]'), new RegExp(`Works offline: this version \\(${version}\\)`));
  // installable: Chromium finds nothing missing in the manifest, its icons or the worker
  const cdp = await b.context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], JSON.stringify(installabilityErrors));
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, []);
  await cdp.detach();
  // the sketch pack, used once online, is kept as it is fetched
  await page.selectOption('[data-testid=scenario]', 'modality-sketch');
  await page.waitForSelector('.chip .tag.modality', { timeout: 120_000 });
  await page.selectOption('[data-testid=scenario]', 'teaching');
  await page.waitForFunction(() => !document.querySelector('.chip .tag.modality') && document.querySelectorAll('.chip').length === 5, null, { timeout: 60_000 });
  assert.deepEqual(await cacheNames(page), [`palimpsest-${version}`]);
  const files = await cached(page, `palimpsest-${version}`);
  for (const f of ['/', '/palimpsest-app_bg.wasm', '/palimpsest-worker_bg.wasm', '/palimpsest-worker.js', '/style.css', '/quickdraw-32.pack']) {
    assert.ok(files.includes(f), `${f} is kept: ${files.join(' ')}`);
  }
  assert.ok(!files.includes('/speech-32.pack'), 'a pack never used is not downloaded');

  await cut();
  // what the cache does not hold fails now: the network is really gone
  assert.equal(await page.evaluate(() => fetch(`./not-kept-${Date.now()}`).then((r) => r.status, () => 'failed')), 'failed');
  const t0 = Date.now();
  await page.reload();
  await ready(page);
  assert.match(await page.textContent('[data-testid=backend]'), /CPU/);
  await page.click('[data-testid=start]');
  await waitFull(page, 5, 240_000);
  const values = await cells(page);
  assert.equal(values.length, 25);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  console.log(`# offline: reload and the demo (1 epoch a task) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await shot(page, '70-offline-trained');
  // the pack used online loads offline
  await page.selectOption('[data-testid=scenario]', 'modality-sketch');
  await page.waitForSelector('.chip .tag.modality', { timeout: 120_000 });
  assert.equal(await page.locator('[data-testid=error]').count(), 0, (await page.locator('[data-testid=error]').allTextContents()).join(' | '));
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'the service worker and manifest pass the page\'s policy');
  await page.selectOption('[data-testid=scenario]', 'teaching');
  await page.waitForFunction(() => document.querySelectorAll('.chip').length === 5 && !document.querySelector('.chip .tag.modality'), null, { timeout: 60_000 });
});

test('a new build replaces the cached one whole, and the page says so in one line', async () => {
  const { page } = b;
  const old = await kept(page);
  // a new build: a changed style sheet (and its integrity hash in the
  // page, as trunk writes it), and the service worker's version made again
  // from the files, as trunk's post_build hook makes it
  const css = Buffer.concat([await readFile(join(site, 'style.css')), Buffer.from('\n:root { --build-mark: "new"; }\n')]);
  const integrity = (b) => `sha384-${createHash('sha384').update(b).digest('base64')}`;
  const html = (await readFile(join(site, 'index.html'), 'utf8'))
    .replace(integrity(await readFile(join(site, 'style.css'))), integrity(css));
  assert.ok(html.includes(integrity(css)), 'the page names the new style sheet');
  await writeFile(join(site, 'style.css'), css);
  await writeFile(join(site, 'index.html'), html);
  const out = execFileSync('sh', [join(root, 'scripts', 'sw-version.sh'), site], { encoding: 'utf8' });
  const version = /version ([0-9a-f]{12})/.exec(out)[1];
  assert.notEqual(version, old);
  await restore();
  // the reload is still the old page (its service worker answers); the new
  // version installs beside it, takes over and deletes the old cache
  await page.reload();
  await ready(page);
  await page.waitForFunction((v) => [...document.querySelectorAll('[data-testid=notice]')].some((n) => n.textContent.includes(`(${v})`)),
    version, { timeout: 120_000 });
  const notice = (await page.locator('[data-testid=notice] span').allTextContents()).find((n) => n.includes(version));
  assert.equal(notice.trim(), `A new version of the page (${version}) replaced the copy kept for offline use (${old}): reload the page to use it.`);
  await page.waitForFunction((v) => document.querySelector('[data-testid=offline]').dataset.version === v, version);
  assert.deepEqual(await cacheNames(page), [`palimpsest-${version}`], 'the old version\'s cache is gone');
  // what the visitor had used came along into the new cache
  assert.ok((await cached(page, `palimpsest-${version}`)).includes('/quickdraw-32.pack'));
  await shot(page, '71-new-version');
  // offline again, the reload is the new build
  await cut();
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--build-mark').trim()), '"new"');
  assert.equal(await kept(page), version);
  assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'no notice once the new version runs');
});
