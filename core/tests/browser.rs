//! Training in the browser: a few steps of the same run on burn's CPU
//! backend (wasm) and on WebGPU, which must agree within floating-point
//! noise. Runs under `wasm-bindgen-test-runner` in headless Chromium
//! (see scripts/test.sh and core/webdriver.json).
#![cfg(all(target_arch = "wasm32", feature = "webgpu"))]

use burn::tensor::Device;
use palimpsest_core::run::{Event, RunConfig, Runner, build_scenario, init_webgpu};
use palimpsest_core::strategy::StrategyConfig;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Losses of the first `steps` training steps of a small MSPT run (shared
/// keys, GM and the unimodal heads all exercised).
async fn losses(device: Device, name: &str, steps: usize) -> Vec<f64> {
    let mut config = RunConfig {
        strategy: StrategyConfig::by_name("mspt").unwrap(),
        epochs: 1,
        seed: 3,
        batch_size: 16,
        ..RunConfig::default()
    };
    config.entity.train_copies = 1;
    config.entity.test_copies = 1;
    let scenario = build_scenario(&config, None).unwrap();
    let mut runner = Runner::new(config, scenario, device, name).unwrap();
    let mut out = Vec::new();
    while out.len() < steps {
        let events = runner.next().await.expect("the run has steps left");
        for e in events {
            if let Event::Step { loss, .. } = e {
                out.push(loss);
            }
        }
    }
    out
}

#[wasm_bindgen_test]
async fn cpu_and_webgpu_train_alike() {
    let cpu = losses(Device::flex(), "cpu", 6).await;
    let (gpu_device, label) = init_webgpu()
        .await
        .expect("headless Chromium with --enable-unsafe-webgpu has an adapter");
    assert!(label.starts_with("WebGPU"), "{label}");
    let gpu = losses(gpu_device, &label, 6).await;
    web_sys_log(&format!("cpu {cpu:?}\ngpu {gpu:?} on {label}"));
    assert!(cpu.iter().all(|l| l.is_finite()) && gpu.iter().all(|l| l.is_finite()));
    // the loss moves: training happens on both devices
    assert!((cpu[0] - cpu[5]).abs() > 1e-3, "{cpu:?}");
    for (i, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        assert!(
            (c - g).abs() <= 1e-3 * c.abs().max(1.0),
            "step {i}: cpu {c} vs webgpu {g}"
        );
    }
}

fn web_sys_log(s: &str) {
    wasm_bindgen_test::console_log!("{s}");
}
