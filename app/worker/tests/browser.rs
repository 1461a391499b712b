//! The core in the browser: a few steps of the same run on burn's CPU
//! backend (wasm) and on WebGPU, which must agree within floating-point
//! noise. Runs under `wasm-bindgen-test-runner` in headless Chromium (see
//! scripts/test.sh and webdriver.json beside this crate's Cargo.toml). It
//! sits in the worker crate to share the worker's build (core with `webgpu`
//! and `simd`), and runs in a dedicated worker, as the app trains: the
//! page's main thread stays free to answer chromedriver, which gives up on a
//! page that does not answer within 30 s (it did, on a loaded machine, while
//! a test trained on the main thread).
#![cfg(target_arch = "wasm32")]

use burn::tensor::Device;
use palimpsest_core::run::{
    Checkpoint, Event, RunConfig, Runner, build_scenario, init_webgpu, read_floats,
};
use palimpsest_core::strategy::StrategyConfig;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_time::Instant;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

thread_local! {
    static GPU: std::cell::RefCell<Option<(Device, String)>> = const { std::cell::RefCell::new(None) };
}

/// The WebGPU device and its label; set up once (burn registers one runtime
/// per device, so a second set-up in the same page fails).
async fn gpu() -> (Device, String) {
    if let Some(g) = GPU.with(|g| g.borrow().clone()) {
        return g;
    }
    let g = init_webgpu()
        .await
        .expect("headless Chromium with --enable-unsafe-webgpu has an adapter");
    GPU.with(|slot| *slot.borrow_mut() = Some(g.clone()));
    g
}

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
    losses_of(config, device, name, steps).await
}

async fn losses_of(config: RunConfig, device: Device, name: &str, steps: usize) -> Vec<f64> {
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
    let (gpu_device, label) = gpu().await;
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

/// The shipped pretrained encoders (bundled into the wasm) give in the
/// browser what they give natively: the first training steps of an MSPT run
/// match the loss trace of the committed native record made with the same
/// settings (`core/tests/records/mspt.json`, see `core/tests/records.rs`).
/// Within 10⁻³: the CPU kernels differ (wasm SIMD against x86's).
#[wasm_bindgen_test]
async fn the_shipped_weights_train_in_wasm_as_natively() {
    let record: serde_json::Value =
        serde_json::from_str(include_str!("../../../core/tests/records/mspt.json")).unwrap();
    let native: Vec<f64> = record["loss"]
        .as_array()
        .expect("the record has a loss trace")
        .iter()
        .take(8)
        .map(|p| p["loss"].as_f64().unwrap())
        .collect();
    assert_eq!(native.len(), 8);
    let mut config = RunConfig {
        strategy: StrategyConfig::by_name("mspt").unwrap(),
        epochs: 1,
        seed: 5,
        ..RunConfig::default()
    };
    config.entity.train_copies = 1;
    config.entity.test_copies = 1;
    assert!(config.model.starts_pretrained());
    let wasm = losses_of(config, Device::flex(), "cpu", 8).await;
    web_sys_log(&format!(
        "native {native:?}
wasm   {wasm:?}"
    ));
    for (i, (w, n)) in wasm.iter().zip(&native).enumerate() {
        assert!(
            (w - n).abs() <= 1e-3 * n.abs().max(1.0),
            "step {i}: wasm {w} vs native {n}"
        );
    }
}

/// The shared trunk with every modality present gives in wasm the logits
/// kept natively (`core/tests/records/trunk-logits.json`, see
/// `core/tests/trunk.rs`), within 10⁻⁴.
#[wasm_bindgen_test]
fn the_trunk_gives_the_native_logits_in_wasm() {
    let native: Vec<f32> = serde_json::from_str(include_str!(
        "../../../core/tests/records/trunk-logits.json"
    ))
    .unwrap();
    let wasm = palimpsest_core::model::check::trunk_logits(&Device::flex());
    assert_eq!(wasm.len(), native.len());
    for (i, (w, n)) in wasm.iter().zip(&native).enumerate() {
        assert!(
            (w - n).abs() <= 1e-4 * n.abs().max(1.0),
            "logit {i}: wasm {w} vs native {n}"
        );
    }
}

/// What the browser does when WebGPU fails mid-run: an EWC run (its Fisher
/// information read back from the GPU) is checkpointed on WebGPU at its
/// first task boundary, goes on on the CPU and finishes there; the model it
/// goes on with gives the GPU model's scores.
#[wasm_bindgen_test]
async fn a_webgpu_checkpoint_goes_on_on_the_cpu() {
    let mut config = RunConfig {
        strategy: StrategyConfig::by_name("ewc").unwrap(),
        epochs: 1,
        seed: 4,
        batch_size: 16,
        ..RunConfig::default()
    };
    config.entity.train_copies = 1;
    config.entity.test_copies = 1;
    let mut scenario = build_scenario(&config, None).unwrap();
    // a short stream: SwiftShader is slow
    scenario.tasks.truncate(2);
    for t in &mut scenario.tasks {
        t.train.truncate(16);
        t.test.truncate(8);
    }
    let (device, label) = gpu().await;
    let mut runner = Runner::new(config, scenario.clone(), device, &label).unwrap();
    // where a task's time goes on WebGPU, by phase (printed; nothing asserted)
    let mut phases = Phases::default();
    let checkpoint = loop {
        let t = Instant::now();
        let events = runner
            .next()
            .await
            .expect("the run reaches its first boundary");
        phases.add(phase_of(&events), t);
        let t = Instant::now();
        if let Some(c) = runner.checkpoint().await {
            phases.add("checkpoint (model and Fisher read back, packed)", t);
            break c;
        }
    };
    web_sys_log(&format!(
        "WebGPU, task 1 of a short EWC stream ({label}):\n{phases}"
    ));
    assert_eq!(checkpoint.header.tasks_done, 1);
    assert!(!checkpoint.tensors.is_empty(), "EWC's Fisher information");
    let probe = scenario.tasks[0].test.clone();
    let logits = |runner: &Runner| {
        let refs: Vec<_> = probe.iter().collect();
        let out = runner.model().forward(&runner.env().plain_batch(&refs));
        let n = out.logits.fused.shape().num_elements();
        out.logits.fused.reshape([n])
    };
    let on_gpu = read_floats(logits(&runner)).await;
    let bytes = checkpoint.to_bytes();
    let mut resumed = Runner::resume(
        Checkpoint::from_bytes(&bytes).unwrap(),
        scenario,
        Device::flex(),
        "cpu",
    )
    .await
    .unwrap();
    let on_cpu = read_floats(logits(&resumed)).await;
    assert_eq!(on_gpu.len(), on_cpu.len());
    for (g, c) in on_gpu.iter().zip(&on_cpu) {
        assert!(
            (g - c).abs() <= 1e-3 * g.abs().max(1.0),
            "gpu {g} vs cpu {c}"
        );
    }
    let mut record = None;
    while let Some(events) = resumed.next().await {
        for e in events {
            match e {
                Event::TaskStarted { task, .. } => assert_eq!(task, 2),
                Event::Finished(r) => record = Some(r),
                _ => {}
            }
        }
    }
    let record = record.expect("the resumed run finishes");
    assert_eq!(record.measured.acc_matrix.len(), 2);
    assert_eq!(
        record.measured.acc_matrix[0],
        checkpoint.header.measured.acc_matrix[0]
    );
}

/// What a unit of the runner's work was, by the events it gave.
fn phase_of(events: &[Event]) -> &'static str {
    match events.first() {
        None => "set-up: the untrained model on every test set",
        Some(Event::TaskStarted { .. }) => "task start",
        Some(Event::Step { .. }) => "training steps",
        Some(Event::TaskEvaluated { .. }) => {
            "after the task (Fisher), every test set, attention snapshot"
        }
        Some(_) => "other",
    }
}

/// The speech features in the browser are the native build's: the log-mel
/// picture of the reference word matches the committed native one
/// (`core/tests/records/logmel.json`, see `core/tests/logmel.rs`) within
/// one grey level, with every frame's brightest band the same.
#[wasm_bindgen_test]
fn the_log_mel_features_are_the_native_ones() {
    use palimpsest_core::data::logmel::{LogMel, compare_pixels, reference_word};
    let kept: serde_json::Value =
        serde_json::from_str(include_str!("../../../core/tests/records/logmel.json")).unwrap();
    let sr = kept["sample_rate"].as_u64().unwrap() as u32;
    let want: Vec<u8> = serde_json::from_value(kept["pixels"].clone()).unwrap();
    let got = LogMel::new(sr)
        .unwrap()
        .pixels(&reference_word(sr))
        .unwrap();
    let exact = got.iter().zip(&want).filter(|(a, b)| a == b).count();
    web_sys_log(&format!(
        "log-mel: {exact} of {} pixels exactly the native ones",
        want.len()
    ));
    if let Some(d) = compare_pixels(&got, &want) {
        panic!("wasm's log-mel picture differs from the native one: {d}");
    }
}

/// Seconds and calls per phase, in the order phases first came.
#[derive(Default)]
struct Phases(Vec<(&'static str, f64, usize)>);

impl Phases {
    fn add(&mut self, name: &'static str, since: Instant) {
        let s = since.elapsed().as_secs_f64();
        match self.0.iter_mut().find(|p| p.0 == name) {
            Some(p) => {
                p.1 += s;
                p.2 += 1;
            }
            None => self.0.push((name, s, 1)),
        }
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, s, n) in &self.0 {
            writeln!(f, "  {s:7.2} s  {name} ({n}×)")?;
        }
        Ok(())
    }
}

fn web_sys_log(s: &str) {
    wasm_bindgen_test::console_log!("{s}");
}
