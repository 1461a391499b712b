//! The page's end of the worker: starts it, sends commands, folds replies
//! into the state. It keeps the active run's latest checkpoint (sent by the
//! worker at every task boundary): if the worker fails — WebGPU lost
//! mid-run — a new one on the CPU goes on from the last task boundary.

use std::cell::RefCell;

use leptos::prelude::*;
use palimpsest_core::run::Event;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use super::state::{AppState, RunView};
use crate::adapter::probe;
use crate::protocol::{
    Command, DeviceChoice, Reply, RunState, checkpoint_message, read_checkpoint_message,
};

/// The loaders Trunk writes for the two builds of the worker (relative: any
/// static host): CPU only, and CPU plus WebGPU. The WebGPU build is more than
/// twice the download, so the page starts it only where it can be used.
const WORKER_URL: &str = "./palimpsest-worker_loader.js";
const WEBGPU_WORKER_URL: &str = "./palimpsest-worker-webgpu_loader.js";

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// Messages sent before the worker said it is alive.
    static QUEUE: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
    static ALIVE: RefCell<bool> = const { RefCell::new(false) };
    /// Commands that rebuild the worker's stream after a restart, and how
    /// often they changed.
    static HISTORY: RefCell<(usize, Vec<Command>)> = const { RefCell::new((0, Vec::new())) };
    /// Which worker is current; replies of replaced workers are ignored.
    static GENERATION: RefCell<usize> = const { RefCell::new(0) };
    /// The active run's latest checkpoint: (run, tasks done, bytes).
    static CHECKPOINT: RefCell<Option<(usize, usize, js_sys::Uint8Array)>> = const { RefCell::new(None) };
    /// A run to go on from its checkpoint as soon as the worker has a device.
    static GO_ON: RefCell<Option<(usize, usize, js_sys::Uint8Array)>> = const { RefCell::new(None) };
    /// Runs that already went on after a failure of the CPU worker.
    static RECOVERED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// The commands that build the worker's stream, with their version.
pub fn history() -> (usize, Vec<Command>) {
    HISTORY.with(|h| h.borrow().clone())
}

/// The active run's latest checkpoint: (run, tasks done, bytes).
pub fn checkpoint() -> Option<(usize, usize, js_sys::Uint8Array)> {
    CHECKPOINT.with(|c| c.borrow().clone())
}

fn generation() -> usize {
    GENERATION.with(|g| *g.borrow())
}

pub fn send(cmd: &Command) {
    let text = cmd.to_json();
    match cmd {
        Command::Load { .. } => HISTORY.with(|h| {
            let mut h = h.borrow_mut();
            h.0 += 1;
            h.1.clear();
            h.1.push(cmd.clone());
        }),
        Command::AddClasses { .. } | Command::AddModality { .. } => HISTORY.with(|h| {
            let mut h = h.borrow_mut();
            h.0 += 1;
            h.1.push(cmd.clone());
        }),
        _ => {}
    }
    post(JsValue::from_str(&text));
}

/// Posts a message to the worker, or queues it until the worker is alive.
fn post(msg: JsValue) {
    if ALIVE.with(|a| *a.borrow()) {
        WORKER.with(|w| {
            if let Some(w) = w.borrow().as_ref() {
                let _ = w.post_message(&msg);
            }
        });
    } else {
        QUEUE.with(|q| q.borrow_mut().push(msg));
    }
}

/// Test hooks passed to the first worker only: `?fault=N` and `?diverge=…`.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    pub fault_at_task: Option<usize>,
    pub diverge_at: Option<String>,
}

/// Starts a worker on `device`; its replies update `st`. Commands sent
/// meanwhile wait in the queue until it is alive.
pub fn spawn(st: AppState, device: DeviceChoice, hooks: Hooks) {
    ALIVE.with(|a| *a.borrow_mut() = false);
    let gen_ = GENERATION.with(|g| {
        *g.borrow_mut() += 1;
        *g.borrow()
    });
    WORKER.with(|w| {
        if let Some(old) = w.borrow_mut().take() {
            old.terminate();
        }
    });
    let init = Command::Init {
        device,
        fault_at_task: hooks.fault_at_task,
        diverge_at: hooks.diverge_at,
    };
    QUEUE.with(|q| q.borrow_mut().insert(0, JsValue::from_str(&init.to_json())));
    match device {
        DeviceChoice::Cpu => start(st, gen_, WORKER_URL),
        DeviceChoice::Webgpu => start(st, gen_, WEBGPU_WORKER_URL),
        // the WebGPU build only where it will train on a hardware adapter
        DeviceChoice::Auto => leptos::task::spawn_local(async move {
            let hardware = probe().await.is_some_and(|a| !a.software);
            if gen_ == generation() {
                start(
                    st,
                    gen_,
                    if hardware {
                        WEBGPU_WORKER_URL
                    } else {
                        WORKER_URL
                    },
                );
            }
        }),
    }
}

/// Starts the worker at `url` as generation `gen_`.
fn start(st: AppState, gen_: usize, url: &str) {
    let opts = web_sys::WorkerOptions::new();
    let worker = match Worker::new_with_options(url, &opts) {
        Ok(w) => w,
        Err(e) => {
            st.error(format!("the training worker could not start: {e:?}"));
            return;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if gen_ != generation() {
            return;
        }
        let data = ev.data();
        if let Some((run, done, bytes)) = read_checkpoint_message(&data) {
            if st.active.get_untracked() == Some(run) {
                CHECKPOINT.with(|c| *c.borrow_mut() = Some((run, done, bytes)));
                super::store::changed(st);
            }
            return;
        }
        let Some(text) = data.as_string() else {
            return;
        };
        let t0 = js_sys::Date::now();
        let kind = text.get(..40).unwrap_or(&text).to_string();
        match serde_json::from_str::<Reply>(&text) {
            Ok(reply) => receive(st, reply),
            Err(e) => st.error(format!("unreadable message from the worker: {e}")),
        }
        let ms = js_sys::Date::now() - t0;
        if ms > 50.0 {
            web_sys::console::warn_1(
                &format!("slow reply ({ms:.0} ms, {} bytes): {kind}", text.len()).into(),
            );
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error =
        Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
            ev.prevent_default();
            if gen_ == generation() {
                crashed(st, ev.message());
            }
        });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    WORKER.with(|w| {
        if let Some(old) = w.borrow_mut().replace(worker) {
            old.terminate();
        }
    });
}

fn flush_queue() {
    ALIVE.with(|a| *a.borrow_mut() = true);
    let queued: Vec<JsValue> = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
    WORKER.with(|w| {
        if let Some(w) = w.borrow().as_ref() {
            for msg in queued {
                let _ = w.post_message(&msg);
            }
        }
    });
}

/// The worker died. A new worker on the CPU rebuilds the stream and goes on
/// from the run's last task boundary (or, when no task had ended yet,
/// starts the run again). After WebGPU fails this always happens; after the
/// CPU worker fails, once per run — a second failure, or one outside a run
/// the user has not stopped, is reported, and a fresh worker just rebuilds
/// the stream.
fn crashed(st: AppState, message: String) {
    let was_gpu = st.gpu.get_untracked();
    let run = st.active.get_untracked();
    // the run's view as the failure found it: (stopped by the user, trained
    // here rather than imported, finished)
    let (stopped_by_user, trained_here, finished) = run
        .and_then(|id| {
            st.runs.with_untracked(|r| {
                r.iter().find(|v| v.id == id).map(|v| {
                    (
                        v.state == Some(RunState::Stopped),
                        v.config.is_some(),
                        v.record.is_some(),
                    )
                })
            })
        })
        .unwrap_or((false, false, false));
    if let Some(id) = run {
        st.update_run(id, |v| v.state = Some(RunState::Stopped));
    }
    st.run_state.set(Some(RunState::Stopped));
    // a run trained here (not imported, not stopped); a finished one goes on
    // too, so that its model is back for the playground and added classes
    let live = trained_here && !stopped_by_user;
    let checkpoint = CHECKPOINT
        .with(|c| c.borrow().clone())
        .filter(|c| Some(c.0) == run);
    let retried = run.is_some_and(|id| RECOVERED.with(|r| r.borrow().contains(&id)));
    if !was_gpu && (checkpoint.is_none() || retried || !live) {
        st.error(format!("the training worker failed: {message}"));
        // a fresh worker keeps the page usable, unless this one never started
        if ALIVE.with(|a| *a.borrow()) {
            restart_on_cpu(st);
        }
        return;
    }
    if let Some(id) = run.filter(|_| !was_gpu) {
        RECOVERED.with(|r| r.borrow_mut().push(id));
    }
    let device = if was_gpu {
        "WebGPU"
    } else {
        "The training worker"
    };
    let checkpoint = checkpoint.filter(|_| live);
    let then = match &checkpoint {
        Some((_, k, _)) => format!("the run goes on on the CPU from the end of task {k}"),
        None if live && !finished => {
            "no task had ended yet: the run starts again on the CPU".to_string()
        }
        None => "training goes on on the CPU".to_string(),
    };
    st.notice(format!("{device} failed ({message}); {then}."));
    restart_on_cpu(st);
    let Some(id) = run.filter(|_| live) else {
        return;
    };
    match checkpoint {
        Some((_, k, bytes)) => go_on(st, id, k, bytes),
        None if finished => {}
        None => {
            if let Some(config) = st.run_config(id) {
                super::controls::start_run(st, config);
            }
        }
    }
}

/// A new worker on the CPU, with the stream rebuilt as the page last set it.
fn restart_on_cpu(st: AppState) {
    st.gpu.set(false);
    spawn(st, DeviceChoice::Cpu, Hooks::default());
    let history: Vec<Command> = HISTORY.with(|h| h.borrow().1.clone());
    for cmd in &history {
        send(cmd);
    }
}

fn receive(st: AppState, reply: Reply) {
    match reply {
        Reply::Alive => flush_queue(),
        Reply::Ready {
            backend,
            gpu,
            notice,
        } => {
            st.backend.set(backend);
            st.gpu.set(gpu);
            st.ready.set(true);
            if let Some((id, k, bytes)) = GO_ON.with(|g| g.borrow_mut().take()) {
                go_on(st, id, k, bytes);
            }
            if let Some(n) = notice {
                st.notice(n);
            }
        }
        Reply::Dataset(d) => st.dataset.set(Some(*d)),
        Reply::Events { run, events } => {
            for ev in &events {
                if let Event::Diverged { message, .. } = ev {
                    st.notice(format!("Training {message}."));
                }
            }
            st.update_run(run, |v| {
                for ev in events {
                    v.apply(ev);
                }
            })
        }
        Reply::State { run, state } => {
            st.update_run(run, |v| v.state = Some(state));
            if state != RunState::Running && state != RunState::Paused {
                st.experts.set(None);
            }
            if st.active.get_untracked() == Some(run) {
                st.run_state.set(Some(state));
            }
            // the next strategy of a comparison (Stop empties the queue; a
            // run stopped by divergence lets the comparison go on)
            if matches!(state, RunState::Finished | RunState::Stopped) {
                super::controls::next_in_queue(st);
            }
        }
        Reply::Experts { run, task, tasks } => st.experts.set(Some((run, task, tasks))),
        Reply::Gains { run, gains } => {
            st.experts.set(None);
            // the run's record came with its last events, before the gains
            st.update_run(run, |v| {
                if let Some(rec) = v.record.as_mut() {
                    rec.modality_gains = Some(*gains);
                }
            });
        }
        Reply::Attention(a) => st.attention.set(Some(*a)),
        Reply::Prediction { top } => st.prediction.set(Some(top)),
        // the page never asks for one: bench/browser.mjs talks to a worker
        // of its own
        Reply::Bench { .. } => {}
        Reply::Notice { message } => st.notice(message),
        Reply::Error { message } => st.error(message),
        Reply::Crashed { message } => crashed(st, message),
    }
}

/// Run `id` goes on from its checkpoint at the end of task `k`: what it
/// measured later goes, and the worker trains on from there.
pub fn go_on(st: AppState, id: usize, k: usize, bytes: js_sys::Uint8Array) {
    st.update_run(id, |v| v.rewind(k));
    st.active.set(Some(id));
    st.shown.set(Some(id));
    st.run_state.set(Some(RunState::Running));
    CHECKPOINT.with(|c| *c.borrow_mut() = Some((id, k, bytes.clone())));
    // not transferred: the page keeps its copy
    let (msg, _) = checkpoint_message(id, k, &bytes);
    post(msg.into());
    send(&Command::Continue { run: id });
}

/// [`go_on`] now when the worker has its device, else as soon as it says so
/// (in the same turn, so that nothing can start another run in between).
pub fn go_on_when_ready(st: AppState, id: usize, k: usize, bytes: js_sys::Uint8Array) {
    if st.ready.get_untracked() {
        go_on(st, id, k, bytes);
    } else {
        GO_ON.with(|g| *g.borrow_mut() = Some((id, k, bytes)));
    }
}

/// Registers a run the worker is about to train and makes it the shown one.
pub fn new_run(st: AppState, config: &palimpsest_core::run::RunConfig) -> usize {
    CHECKPOINT.with(|c| *c.borrow_mut() = None);
    let id = st.id();
    st.runs.update(|r| r.push(RunView::new(id, config)));
    st.shown.set(Some(id));
    st.active.set(Some(id));
    st.run_state.set(Some(RunState::Running));
    st.attention.set(None);
    st.prediction.set(None);
    id
}
