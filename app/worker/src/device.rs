//! Picks the device the worker trains on: WebGPU when the browser has a
//! hardware adapter (or the page asks for it), else burn's CPU backend.

use burn::tensor::Device;
use js_sys::{Function, Promise, Reflect};
use palimpsest_core::run::{Backend, device_for};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::sleep;
use palimpsest_app::protocol::DeviceChoice;

/// How long to wait for the browser's adapter before giving up on WebGPU.
const ADAPTER_TIMEOUT_MS: i32 = 8000;

pub struct Chosen {
    pub device: Device,
    pub label: String,
    pub gpu: bool,
    pub notice: Option<String>,
}

pub fn cpu(notice: Option<String>) -> Chosen {
    Chosen {
        device: device_for(Backend::Cpu).expect("the CPU backend is always built"),
        label: "CPU (wasm)".into(),
        gpu: false,
        notice,
    }
}

/// What the browser says about its WebGPU adapter, without creating a device.
struct Adapter {
    software: bool,
    name: String,
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

async fn probe() -> Option<Adapter> {
    let navigator = get(&js_sys::global(), "navigator");
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request: Function = get(&gpu, "requestAdapter").dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = with_timeout(JsFuture::from(promise), ADAPTER_TIMEOUT_MS)
        .await?
        .ok()?;
    if adapter.is_null() || adapter.is_undefined() {
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

/// Resolves to `None` when `fut` takes longer than `ms`.
pub async fn with_timeout<F: std::future::Future>(fut: F, ms: i32) -> Option<F::Output> {
    use futures::future::{Either, select};
    let fut = std::pin::pin!(fut);
    let timer = std::pin::pin!(sleep(ms));
    match select(fut, timer).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// The device for `choice`; every fallback to the CPU comes with a notice.
pub async fn choose(choice: DeviceChoice) -> Chosen {
    if choice == DeviceChoice::Cpu {
        return cpu(None);
    }
    let Some(adapter) = probe().await else {
        let notice = (choice == DeviceChoice::Webgpu)
            .then(|| "This browser offers no WebGPU adapter: training on the CPU.".to_string());
        return cpu(notice);
    };
    if choice == DeviceChoice::Auto && adapter.software {
        // A software adapter (SwiftShader) emulates the GPU on the CPU and is
        // slower than the wasm CPU backend; `?device=webgpu` still forces it.
        return cpu(None);
    }
    gpu(&adapter.name).await
}

#[cfg(target_arch = "wasm32")]
async fn gpu(name: &str) -> Chosen {
    match with_timeout(palimpsest_core::run::init_webgpu(), ADAPTER_TIMEOUT_MS).await {
        Some(Ok((device, label))) => Chosen {
            device,
            label: if label == "WebGPU" && !name.is_empty() {
                format!("WebGPU ({name})")
            } else {
                label
            },
            gpu: true,
            notice: None,
        },
        Some(Err(e)) => cpu(Some(format!("{e}: training on the CPU instead."))),
        None => cpu(Some(
            "WebGPU did not answer in time: training on the CPU instead.".into(),
        )),
    }
}

#[cfg(not(target_arch = "wasm32"))]
async fn gpu(_name: &str) -> Chosen {
    cpu(Some("this build has no WebGPU backend".into()))
}
