//! Palimpsest in the browser: the Leptos page ([`ui`], feature `ui`) and the
//! messages it exchanges with the training worker ([`protocol`]; the worker
//! is the crate in `app/worker`).

pub mod adapter;
pub mod png;
pub mod protocol;
#[cfg(feature = "ui")]
pub mod ui;

/// Mounts the page (runs once when the page's wasm is instantiated).
#[cfg(feature = "ui")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn main() {
    leptos::mount::mount_to_body(ui::App);
}
