// Starts the page's wasm. A file of its own rather than Trunk's inline
// script, so that the page's Content-Security-Policy (index.html) allows no
// inline script at all.
import init from './palimpsest-app.js';

await init({ module_or_path: './palimpsest-app_bg.wasm' });
