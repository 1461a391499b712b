// Starts the page's wasm. A file of its own rather than Trunk's inline
// script, so that the page's Content-Security-Policy (index.html) allows no
// inline script at all.
import init from './palimpsest-app.js';

await init({ module_or_path: './palimpsest-app_bg.wasm' });

// Offline after one visit: the service worker (public/sw.js) keeps the site.
// Registered once the page runs, so that the page hears what it says
// (app/src/ui/offline.rs); a refusal (no service workers in a private
// window, or on an address that is not https or localhost) is said in
// the page's one line about it.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((e) => {
    window.dispatchEvent(new CustomEvent('palimpsest-offline', { detail: String(e?.message ?? e) }));
  });
}
