//! What the browser says about its WebGPU adapter, asked the same way by the
//! page (which worker to start: the WebGPU build is the larger download) and
//! by the worker (which device to train on). Works in a window and in a
//! worker alike: everything is read off the global object.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long to wait for the browser's adapter before giving up on WebGPU.
pub const ADAPTER_TIMEOUT_MS: i32 = 8000;

/// The adapter the browser offers, without a device created on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// A software adapter (SwiftShader): it emulates the GPU on the CPU and
    /// trains slower than the wasm CPU backend.
    pub software: bool,
    /// Vendor, architecture and description, as far as the browser says.
    pub name: String,
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A promise that resolves to `value` after `ms` milliseconds.
fn timer(ms: i32, value: JsValue) -> Promise {
    Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = get(&global, "setTimeout").dyn_into::<Function>() {
            // setTimeout(resolve, ms, value): the timer hands `value` on
            let _ = set_timeout.call3(&global, &resolve, &JsValue::from(ms), &value);
        }
    })
}

/// Resolves after `ms` milliseconds (0: after pending messages are handled).
pub async fn sleep(ms: i32) {
    let _ = JsFuture::from(timer(ms, JsValue::UNDEFINED)).await;
}

/// The browser's WebGPU adapter; `None` when it has none, refuses, or does
/// not answer within [`ADAPTER_TIMEOUT_MS`].
pub async fn probe() -> Option<Adapter> {
    let navigator = get(&js_sys::global(), "navigator");
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request: Function = get(&gpu, "requestAdapter").dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    // a timeout answers with a value no adapter request gives
    let timed_out = JsValue::from_str("timed out");
    let race = Promise::race(&js_sys::Array::of2(
        &promise,
        &timer(ADAPTER_TIMEOUT_MS, timed_out.clone()),
    ));
    let adapter = JsFuture::from(race).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() || adapter == timed_out {
        return None;
    }
    let info = get(&adapter, "info");
    let text = |k: &str| get(&info, k).as_string().unwrap_or_default();
    let software = get(&adapter, "isFallbackAdapter").is_truthy()
        || get(&info, "isFallbackAdapter").is_truthy()
        || text("architecture") == "swiftshader";
    let name = [text("vendor"), text("architecture"), text("description")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Adapter { software, name })
}
