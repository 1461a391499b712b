// Shared pieces of the end-to-end tests: a static server for dist/ (the
// built app, as any static host would serve it), Debian's Chromium driven
// by playwright-core, and a guard that no request leaves localhost.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
// PALIMPSEST_DIST: another build of the site (by default the checkout's dist/)
export const dist = process.env.PALIMPSEST_DIST ?? join(root, 'dist');
export const shots = join(root, 'target', 'e2e');
export const fixtures = join(here, '..', 'fixtures');

const types = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.md': 'text/markdown', '.json': 'application/json', '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

/// Serves `site` (by default the built app, dist/) on 127.0.0.1, on `port`
/// (by default a free one).
export async function serve(site = dist, port = 0) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = normalize(join(site, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(site)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/// Debian's Chromium with a fresh profile; `options` go to Playwright's
/// launchPersistentContext (e.g. a viewport, or `bypassCSP`).
export async function launch(extraArgs = [], options = {}) {
  const dataDir = join(root, 'target', 'e2e', `profile-${process.pid}-${Date.now()}`);
  await mkdir(dataDir, { recursive: true });
  await mkdir(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs,
    ],
    ...options,
  });
  // Every request the page or its worker makes; anything not on localhost fails the test.
  const requests = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    requests.push(u);
    if (/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u)) return route.continue();
    return route.abort();
  });
  await context.addInitScript(() => {
    // what the page's Content-Security-Policy refused
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push({ directive: e.effectiveDirective, uri: e.blockedURI }));
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return { context, page, requests, logs };
}

/// The server and browser of one test file, started before its tests and
/// closed after them: `srv` ({ server, url }) and `b` (what launch gives).
export function session(extraArgs = []) {
  const s = {};
  before(async () => {
    s.srv = await serve();
    s.b = await launch(extraArgs);
  });
  after(async () => {
    await s.b?.context.close();
    s.srv?.server.close();
  });
  return s;
}

/// Deletes what the page keeps in the browser (IndexedDB) for the test
/// server's origin, so that the next visit starts afresh.
export async function clearSaved(s) {
  await s.b.page.goto('about:blank');
  const cdp = await s.b.context.newCDPSession(s.b.page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(s.srv.url).origin, storageTypes: 'indexeddb' });
  await cdp.detach();
}

/// The six captioned kiwi images of tests/fixtures (image and .txt paths).
export const kiwiFiles = ['kiwi1', 'kiwi2', 'kiwi3', 'kiwi4', 'kiwi5', 'kiwi6']
  .flatMap((k) => [join(fixtures, 'kiwi', `${k}.png`), join(fixtures, 'kiwi', `${k}.txt`)]);

/// Uploads the kiwi pairs and adds them as the class "kiwi".
export async function addKiwi(page) {
  await page.setInputFiles('[data-testid=upload]', kiwiFiles);
  await page.waitForFunction(() => document.querySelectorAll('.thumb.pending').length === 6, null, { timeout: 30_000 });
  await page.fill('[data-testid=class-name]', 'kiwi');
  await page.click('[data-testid=add-class]');
}

export function outside(requests) {
  return requests.filter((u) => !/^(https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:|blob:)/.test(u));
}

export const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/// Values of the filled-in cells of the results panel's accuracy matrix
/// (race lanes and presenter mode have matrices of their own).
export const cells = (page) =>
  page.$$eval('.results [data-testid=acc-matrix] [data-value]', (els) => els.map((e) => Number(e.dataset.value)));

export const metrics = (page) =>
  page.$$eval('[data-testid=metrics] [data-metric]', (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.metric, Number(e.dataset.value)])));

/// Waits until the matrix has n×n filled cells and the shown run is finished.
export async function waitFull(page, n, timeout) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]').length === n * n
      && /finished/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''),
    n, { timeout, polling: 250 });
}
