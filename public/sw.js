// The page's service worker: after one visit the page loads and trains with
// the network off. It keeps, in one cache per version of the built site:
// the page, its wasm, script and style, the CPU worker (whose wasm holds the
// model, the pretrained weights and the bundled image pack), the manifest
// and icons — fetched when it installs — and whatever else of the site the
// visitor used (the sketch and speech packs, the WebGPU worker, a licence),
// kept as it is first fetched. Everything is answered from the cache first;
// a new version (this file changes whenever any built file does) fills a
// cache of its own, takes over at once, deletes the old one and tells the
// open pages, which say so in one line. Registered by app/boot.js.

// Replaced at build time (scripts/sw-version.sh, a Trunk post_build hook)
// by a hash of every other built file: a new build is a new version.
const VERSION = 'unversioned';
const PREFIX = 'palimpsest-';
const CACHE = PREFIX + VERSION;

// What every visit needs, relative to this file (the site's root).
const CORE = [
  './', 'boot.js', 'style.css', 'palimpsest-app.js', 'palimpsest-app_bg.wasm',
  'palimpsest-worker_loader.js', 'palimpsest-worker.js', 'palimpsest-worker_bg.wasm',
  'manifest.webmanifest', 'icon-192.png', 'icon-512.png',
];

const scope = () => self.registration.scope;
const page = () => new URL('./', scope()).href;

// Fetched past the browser's HTTP cache (revalidated with the server), so
// that a file of an older version never enters this version's cache.
const fresh = (url) => fetch(new Request(url, { cache: 'no-cache' }));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(CORE.map((u) => new Request(new URL(u, scope()).href, { cache: 'no-cache' })));
    // what the visitor used under an older version comes along, fetched anew
    // (a file the new version no longer has is left behind)
    const used = new Set();
    for (const name of await caches.keys()) {
      if (!name.startsWith(PREFIX) || name === CACHE) continue;
      for (const req of await (await caches.open(name)).keys()) used.add(req.url);
    }
    await Promise.all([...used].map(async (url) => {
      if (await cache.match(url)) return;
      try {
        const res = await fresh(url);
        if (res.ok) await cache.put(url, res);
      } catch {
        // fetched again when it is next used
      }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const old = (await caches.keys()).filter((n) => n.startsWith(PREFIX) && n !== CACHE);
    await Promise.all(old.map((n) => caches.delete(n)));
    await self.clients.claim();
    const replaced = old.map((n) => n.slice(PREFIX.length));
    for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      client.postMessage({ type: 'activated', version: VERSION, replaced });
    }
  })());
});

// The page asks which version it is kept under.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'status') return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const files = (await cache.keys()).length;
    event.source?.postMessage({ type: 'status', version: VERSION, files });
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || req.headers.has('range')) return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.href === self.location.href) return;
  // the page itself, whatever settings its address carries (?lesson, ?device=…)
  const isPage = req.mode === 'navigate'
    && (url.href.split(/[?#]/)[0] === page() || url.pathname === new URL('index.html', scope()).pathname);
  const key = isPage ? page() : url.href.split('#')[0];
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(key, { ignoreSearch: isPage });
    if (hit) return hit;
    const res = await fetch(req);
    // a file of the site, whole: kept for the next visit, offline or not
    if (res.ok && res.status === 200 && res.type === 'basic') {
      event.waitUntil(cache.put(key, res.clone()));
    }
    return res;
  })());
});
