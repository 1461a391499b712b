//! The one place that owns the page's training worker and its runs: it
//! starts the worker ([`super::worker`]), sends it the page's commands, and
//! folds its replies into [`AppState`]. Views read the state and call the
//! commands here; nothing here calls into a view.
//!
//! It keeps the active run's latest checkpoint (sent by the worker at every
//! task boundary): if the worker fails — WebGPU lost mid-run — a new one on
//! the CPU goes on from the last task boundary.

use std::cell::RefCell;

use leptos::prelude::*;
use palimpsest_core::model::EncoderInit;
use palimpsest_core::run::{Event, RunConfig};
use palimpsest_core::strategy::StrategyConfig;

use super::state::{AppState, Interrupted, RunView};
use super::worker::{Incoming, WorkerLink};
use crate::protocol::{Command, DeviceChoice, Reply, RunState, SampleRef, checkpoint_message};

thread_local! {
    /// The page's worker (replaced when it fails or the device changes).
    static LINK: RefCell<WorkerLink> = RefCell::new(WorkerLink::new());
    /// Commands that rebuild the worker's stream after a restart, and how
    /// often they changed.
    static HISTORY: RefCell<(usize, Vec<Command>)> = const { RefCell::new((0, Vec::new())) };
    /// The active run's latest checkpoint: (run, tasks done, bytes).
    static CHECKPOINT: RefCell<Option<(usize, usize, js_sys::Uint8Array)>> = const { RefCell::new(None) };
    /// A run to go on from its checkpoint as soon as the worker has a device.
    static GO_ON: RefCell<Option<(usize, usize, js_sys::Uint8Array)>> = const { RefCell::new(None) };
    /// Runs that already went on after a failure of the CPU worker.
    static RECOVERED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// Every task boundary's checkpoint of the runs trained in this visit,
    /// oldest first, for the what-if (in memory only: a model is megabytes).
    static BOUNDARIES: RefCell<Vec<(usize, usize, js_sys::Uint8Array)>> = const { RefCell::new(Vec::new()) };
}

/// Most boundary checkpoints kept for the what-if (the oldest go first).
const MAX_BOUNDARIES: usize = 40;

/// Whether run `run`'s checkpoint at the end of task `k` is at hand.
pub fn has_boundary(run: usize, k: usize) -> bool {
    BOUNDARIES.with(|b| b.borrow().iter().any(|(r, t, _)| *r == run && *t == k))
}

fn keep_boundary(run: usize, k: usize, bytes: &js_sys::Uint8Array) {
    BOUNDARIES.with(|b| {
        let mut b = b.borrow_mut();
        b.retain(|(r, t, _)| !(*r == run && *t == k));
        b.push((run, k, bytes.clone()));
        let over = b.len().saturating_sub(MAX_BOUNDARIES);
        b.drain(..over);
    });
}

fn link() -> WorkerLink {
    LINK.with(|l| l.borrow().clone())
}

/// The commands that build the worker's stream, with their version.
pub fn history() -> (usize, Vec<Command>) {
    HISTORY.with(|h| h.borrow().clone())
}

/// The active run's latest checkpoint: (run, tasks done, bytes).
pub fn checkpoint() -> Option<(usize, usize, js_sys::Uint8Array)> {
    CHECKPOINT.with(|c| c.borrow().clone())
}

pub fn send(cmd: &Command) {
    match cmd {
        Command::Load { .. } => HISTORY.with(|h| {
            let mut h = h.borrow_mut();
            h.0 += 1;
            h.1.clear();
            h.1.push(cmd.clone());
        }),
        Command::AddClasses { .. } | Command::AddModality { .. } | Command::AddExample { .. } => {
            HISTORY.with(|h| {
                let mut h = h.borrow_mut();
                h.0 += 1;
                h.1.push(cmd.clone());
            })
        }
        _ => {}
    }
    link().send(cmd);
}

/// Test hooks passed to the first worker only: `?fault=N` and `?diverge=…`.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    pub fault_at_task: Option<usize>,
    pub diverge_at: Option<String>,
}

/// Starts a worker on `device` in place of the current one; its replies
/// update `st`. Commands sent meanwhile wait in its queue until it is alive.
pub fn spawn(st: AppState, device: DeviceChoice, hooks: Hooks) {
    let fresh = WorkerLink::new();
    let old = LINK.with(|l| std::mem::replace(&mut *l.borrow_mut(), fresh.clone()));
    old.terminate();
    fresh.send(&Command::Init {
        device,
        fault_at_task: hooks.fault_at_task,
        diverge_at: hooks.diverge_at,
    });
    leptos::task::spawn_local(async move {
        let url = WorkerLink::url_for(device).await;
        // replaced meanwhile: the newer one starts instead
        if !LINK.with(|l| l.borrow().is(&fresh)) {
            return;
        }
        let started = fresh.start(url, move |incoming| match incoming {
            Incoming::Reply(reply) => receive(st, reply),
            Incoming::Checkpoint(run, done, bytes) => {
                keep_boundary(run, done, &bytes);
                if st.active.get_untracked() == Some(run) {
                    CHECKPOINT.with(|c| *c.borrow_mut() = Some((run, done, bytes)));
                    st.checkpoint_at.set(Some((run, done)));
                }
            }
            Incoming::Failed(message) => crashed(st, message),
            Incoming::Unreadable(e) => st.error(format!("unreadable message from the worker: {e}")),
        });
        if let Err(e) = started {
            st.error(e);
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
        if link().is_alive() {
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
                start(st, config);
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
        Reply::Alive => {}
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
                next_in_queue(st);
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
        Reply::Memory { run, samples } => st.update_run(run, |v| v.memory = samples),
        Reply::Probe { run, view } => st.update_run(run, |v| v.add_probe(*view)),
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
    st.checkpoint_at.set(Some((id, k)));
    // not transferred: the page keeps its copy
    let (msg, _) = checkpoint_message(id, k, &bytes);
    link().post(msg.into());
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
fn new_run(st: AppState, config: &RunConfig) -> usize {
    CHECKPOINT.with(|c| *c.borrow_mut() = None);
    st.checkpoint_at.set(None);
    let id = st.id();
    st.runs.update(|r| r.push(RunView::new(id, config)));
    st.shown.set(Some(id));
    st.active.set(Some(id));
    st.run_state.set(Some(RunState::Running));
    st.attention.set(None);
    st.prediction.set(None);
    id
}

/// The run the page would start now.
pub fn configured(st: AppState) -> RunConfig {
    let mut c = RunConfig {
        scenario: st.scenario.get_untracked(),
        strategy: st.strategy.get_untracked(),
        seed: st.seed.get_untracked(),
        epochs: st.epochs.get_untracked(),
        lr: st.lr.get_untracked(),
        ..RunConfig::default()
    };
    let init = if st.pretrained.get_untracked() {
        EncoderInit::Pretrained
    } else {
        EncoderInit::Scratch
    };
    c.model = c.model.with_init(init);
    c.model.fusion = st.fusion.get_untracked();
    super::demo_sizes(&mut c);
    c
}

/// Starts a run of `config` on the page's worker.
pub fn start(st: AppState, config: RunConfig) {
    let run = new_run(st, &config);
    send(&Command::Start {
        run,
        config: Box::new(config),
    });
}

/// Runs `strategies` one after the other on the same stream and seed, each
/// as configured on the page otherwise.
pub fn compare(st: AppState, strategies: Vec<StrategyConfig>) {
    st.queue.set(strategies);
    next_in_queue(st);
}

/// Starts the next strategy of a comparison, if any is queued.
fn next_in_queue(st: AppState) {
    let mut queue = st.queue.get_untracked();
    if queue.is_empty() {
        return;
    }
    let strategy = queue.remove(0);
    st.queue.set(queue);
    let config = RunConfig {
        strategy,
        ..configured(st)
    };
    start(st, config);
}

pub fn pause() {
    send(&Command::Pause);
}

pub fn resume() {
    send(&Command::Resume);
}

/// Trains until the current task is evaluated, then pauses.
pub fn step_task() {
    send(&Command::StepTask);
}

/// Stops the run, and the comparison it belongs to.
pub fn stop(st: AppState) {
    st.queue.set(Vec::new());
    send(&Command::Stop);
}

/// Loads a bundled stream with its demo settings ([`super::demo_settings`]):
/// what the page showed of the old stream goes (the runs stay in the
/// comparison below).
pub fn load(st: AppState, scenario: String, seed: u64) {
    // the same stream again (a field's change event fires twice: typed,
    // then left): nothing to reload, nothing shown to forget
    let loaded = st
        .dataset
        .with_untracked(|d| d.as_ref().is_some_and(|d| d.scenario == scenario));
    if loaded && seed == st.seed.get_untracked() && scenario == st.scenario.get_untracked() {
        return;
    }
    if scenario != st.scenario.get_untracked() {
        let (epochs, lr) = super::demo_settings(&scenario);
        st.epochs.set(epochs);
        st.lr.set(lr);
    }
    st.scenario.set(scenario.clone());
    st.seed.set(seed);
    st.dataset.set(None);
    st.pending.set(Vec::new());
    st.attention.set(None);
    st.prediction.set(None);
    st.selected.set(SampleRef { task: 1, index: 0 });
    st.shown.set(None);
    send(&Command::Load { scenario, seed });
}

/// The sample whose attention maps the page shows.
pub fn select(st: AppState, at: SampleRef) {
    st.selected.set(at);
    send(&Command::Select { sample: at });
}

/// A run the last visit left training goes on from its last task boundary,
/// or starts again when no task had ended.
pub fn resume_interrupted(st: AppState, i: Interrupted) {
    st.interrupted.set(None);
    match i.checkpoint {
        Some((k, bytes)) => go_on(st, i.run, k, bytes),
        None => {
            let config = st.run_config(i.run);
            st.runs.update(|r| r.retain(|v| v.id != i.run));
            if let Some(config) = config {
                start(st, config);
            }
        }
    }
}

/// Whether a run trains or is paused (settings and the stream wait).
pub fn busy(st: AppState) -> bool {
    matches!(
        st.run_state.get(),
        Some(RunState::Running) | Some(RunState::Paused)
    )
}

/// What if run `run` had gone on with `strategy` after task `k`: a new run
/// from that boundary's checkpoint (same seed, same data order), shown
/// beside the original. Its rows up to `k` are the original's.
pub fn what_if(st: AppState, run: usize, k: usize, strategy: StrategyConfig) {
    let Some(bytes) = BOUNDARIES.with(|b| {
        b.borrow()
            .iter()
            .find(|(r, t, _)| *r == run && *t == k)
            .map(|(_, _, bytes)| bytes.clone())
    }) else {
        return st.error(format!(
            "the checkpoint after task {k} of run #{run} is not kept any more"
        ));
    };
    let Some(original) = st
        .runs
        .with_untracked(|r| r.iter().find(|v| v.id == run).cloned())
    else {
        return;
    };
    let Some(mut config) = original.config.clone() else {
        return st.error("an imported run has no checkpoints to go on from");
    };
    config.strategy = strategy;
    let id = st.id();
    let mut view = super::results::rewound(&original, Some(k));
    let fresh = RunView::new(id, &config);
    view.id = id;
    view.label = format!("{} · what-if after task {k} of #{run}", fresh.label);
    view.config = Some(config);
    view.imported = false;
    view.memory = Vec::new();
    view.state = Some(RunState::Running);
    st.runs.update(|r| r.push(view));
    CHECKPOINT.with(|c| *c.borrow_mut() = Some((id, k, bytes.clone())));
    st.checkpoint_at.set(Some((id, k)));
    st.active.set(Some(id));
    st.shown.set(Some(id));
    st.scrub.set(None);
    st.run_state.set(Some(RunState::Running));
    st.whatif.set(Some((run, id)));
    let (msg, _) = checkpoint_message(id, k, &bytes);
    link().post(msg.into());
    send(&Command::Fork {
        run: id,
        strategy: st.run_config(id).map(|c| c.strategy).expect("just added"),
    });
}
