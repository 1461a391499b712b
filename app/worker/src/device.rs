//! Picks the device the worker trains on: WebGPU when the browser has a
//! hardware adapter (or the page asks for it), else burn's CPU backend. Only
//! the worker's WebGPU build (feature `webgpu`, the crate
//! `palimpsest-worker-webgpu`) asks the browser; the CPU-only build, which
//! the page starts otherwise, trains on the CPU.

use burn::tensor::Device;
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
use palimpsest_app::adapter::{ADAPTER_TIMEOUT_MS, probe, sleep};
use palimpsest_app::protocol::DeviceChoice;
use palimpsest_core::run::{Backend, device_for};

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

/// The device for `choice`; every fallback to the CPU comes with a notice.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
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

/// Resolves to `None` when `fut` takes longer than `ms`.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub async fn with_timeout<F: std::future::Future>(fut: F, ms: i32) -> Option<F::Output> {
    use futures::future::{Either, select};
    let fut = std::pin::pin!(fut);
    let timer = std::pin::pin!(sleep(ms));
    match select(fut, timer).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
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

/// The CPU-only build (`palimpsest-worker` without its `webgpu` feature):
/// the page starts it when WebGPU is not wanted or not there, so it does not
/// ask the browser again.
#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
pub async fn choose(choice: DeviceChoice) -> Chosen {
    let notice = (choice == DeviceChoice::Webgpu)
        .then(|| "This build of the worker has no WebGPU backend: training on the CPU.".into());
    cpu(notice)
}
