//! The training loop: one runner step at a time, yielding to the worker's
//! message queue often enough that pause, stop and questions are answered
//! while training, and posting events in small batches.

use palimpsest_core::metrics::Expert;
use palimpsest_core::run::experts::{expert_key, expert_of, expert_runner, with_gains};
use palimpsest_core::run::{Backend, Checkpoint, Event, RunConfig, RunRecord, Runner};
use palimpsest_core::strategy::fault::Faulty;
use web_time::Instant;

use super::{Control, Shared, error, post, scope, send_attention, send_probe, sleep};
use palimpsest_app::protocol::{Reply, RunState, checkpoint_message};

/// Longest stretch of training before the worker looks at its messages.
const SLICE_MS: f64 = 30.0;
/// Longest time events wait before they are posted.
const FLUSH_MS: f64 = 120.0;

pub async fn start(st: Shared, run: usize, mut config: RunConfig) {
    let (runner, model) = {
        let mut s = st.borrow_mut();
        if s.looping {
            return error("a run is in progress: stop it first");
        }
        let diverge_at = std::mem::take(&mut s.diverge_at);
        let (Some(scenario), Some(device)) = (&s.scenario, &s.device) else {
            return error("the worker is not ready yet");
        };
        // as the runner completes it: an encoder for every modality of the
        // stream (the batches for attention maps and questions match it)
        let model = config.model.clone().covering(&scenario.modalities());
        config.backend = if device.gpu {
            palimpsest_core::run::Backend::Wgpu
        } else {
            palimpsest_core::run::Backend::Cpu
        };
        config.seed = s.seed;
        config.scenario = scenario.name.clone();
        let mut strategy = palimpsest_core::strategy::build(&config.strategy);
        if !diverge_at.is_empty() {
            strategy = Box::new(Faulty::new(strategy, &diverge_at, &[]));
        }
        match Runner::with_strategy(
            config,
            scenario.clone(),
            device.device.clone(),
            &device.label,
            strategy,
        ) {
            Ok(r) => (r, model),
            Err(e) => return error(e.to_string()),
        }
    };
    {
        let mut s = st.borrow_mut();
        s.model_config = model;
        s.run = run;
        s.before = None;
        s.after = None;
        s.pending.clear();
        s.idle_runner = Some(runner);
    }
    resume(st, Control::Run).await;
}

/// Goes on with run `run` from the checkpoint the page sent before (after
/// the worker that trained it failed), or — with `fork` — starts the
/// what-if run `run` from it with another strategy.
pub async fn continue_from(
    st: Shared,
    run: usize,
    fork: Option<palimpsest_core::strategy::StrategyConfig>,
) {
    let (checkpoint, scenario, device, label) = {
        let mut s = st.borrow_mut();
        if s.looping {
            return error("a run is in progress: stop it first");
        }
        let bytes = match s.checkpoint.take() {
            Some((r, bytes)) if r == run => bytes,
            _ => return error("there is no checkpoint of this run to go on from"),
        };
        let mut checkpoint = match Checkpoint::from_bytes(&bytes) {
            Ok(c) => c,
            Err(e) => return error(format!("the run's checkpoint cannot be read: {e}")),
        };
        let (Some(scenario), Some(device)) = (&s.scenario, &s.device) else {
            return error("the worker is not ready yet");
        };
        checkpoint.header.config.backend = if device.gpu {
            Backend::Wgpu
        } else {
            Backend::Cpu
        };
        let out = (
            scenario.clone(),
            device.device.clone(),
            device.label.clone(),
        );
        s.model_config = checkpoint
            .header
            .config
            .model
            .clone()
            .covering(&scenario.modalities());
        (checkpoint, out.0, out.1, out.2)
    };
    let resumed = match fork {
        Some(strategy) => Runner::fork(checkpoint, strategy, scenario, device, &label).await,
        None => Runner::resume(checkpoint, scenario, device, &label).await,
    };
    let runner = match resumed {
        Ok(r) => r,
        Err(e) => return error(format!("the run cannot go on: {e}")),
    };
    {
        let mut s = st.borrow_mut();
        s.run = run;
        s.before = None;
        s.after = Some((runner.task(), runner.model()));
        s.pending.clear();
        s.idle_runner = Some(runner);
    }
    resume(st, Control::Run).await;
}

/// Sets what the loop does next, and starts the loop when the run rests idle.
pub async fn resume(st: Shared, control: Control) {
    let runner = {
        let mut s = st.borrow_mut();
        s.control = control;
        if s.looping {
            return;
        }
        match s.idle_runner.take() {
            Some(r) => {
                s.looping = true;
                r
            }
            None => return error("there is no run to continue: press start"),
        }
    };
    run_loop(st, runner).await;
}

async fn run_loop(st: Shared, mut runner: Runner) {
    let run = st.borrow().run;
    post(&Reply::State {
        run,
        state: RunState::Running,
    });
    let mut batch: Vec<Event> = Vec::new();
    let mut flushed = Instant::now();
    let mut slice = Instant::now();
    let mut diverged = false;
    let mut record: Option<RunRecord> = None;
    let end = loop {
        // tasks the user added while this loop held the runner
        let pending: Vec<_> = std::mem::take(&mut st.borrow_mut().pending);
        for task in pending {
            let names = st
                .borrow()
                .scenario
                .as_ref()
                .map(|s| s.class_names.clone())
                .unwrap_or_default();
            if let Err(e) = runner.extend(task, names).await {
                error(e.to_string());
            }
        }
        let control = st.borrow().control;
        match control {
            Control::Stop => break RunState::Stopped,
            Control::Pause => {
                flush(run, &mut batch, &mut flushed);
                paused(&st, run).await;
                continue;
            }
            Control::Run | Control::StepTask => {}
        }
        let Some(events) = runner.next().await else {
            break if diverged {
                RunState::Stopped
            } else {
                RunState::Finished
            };
        };
        inject_fault(&st, &events);
        // diverged a second time: the run stops (its record follows)
        diverged |= events.iter().any(|e| {
            matches!(
                e,
                Event::Diverged {
                    retrying: false,
                    ..
                }
            )
        });
        let evaluated = events
            .iter()
            .any(|e| matches!(e, Event::TaskEvaluated { .. }));
        if let Some(Event::Finished(rec)) = events.iter().find(|e| matches!(e, Event::Finished(_)))
        {
            record = Some((**rec).clone());
        }
        batch.extend(events);
        if evaluated {
            {
                let mut s = st.borrow_mut();
                let after = (runner.task(), runner.model());
                s.before = s.after.replace(after);
                if s.control == Control::StepTask {
                    s.control = Control::Pause;
                }
            }
            flush(run, &mut batch, &mut flushed);
            send_attention(&st).await;
            send_probe(&st, run).await;
            send_memory(run, &runner);
            send_checkpoint(run, &runner).await;
        } else if flushed.elapsed().as_secs_f64() * 1000.0 > FLUSH_MS {
            flush(run, &mut batch, &mut flushed);
        }
        yield_after_slice(&mut slice).await;
    };
    flush(run, &mut batch, &mut flushed);
    if end == RunState::Finished
        && runner.scenario().brings_modalities()
        && let Some(record) = record
    {
        measure_gains(&st, run, &runner, record).await;
    }
    {
        let mut s = st.borrow_mut();
        s.looping = false;
        s.control = Control::Run;
        // a finished run stays, so a class added later extends it
        s.idle_runner = (end == RunState::Finished).then_some(runner);
    }
    post(&Reply::State { run, state: end });
}

/// Says the run is paused and waits until the page resumes or stops it
/// (a stop is the loop's to report).
async fn paused(st: &Shared, run: usize) {
    post(&Reply::State {
        run,
        state: RunState::Paused,
    });
    while st.borrow().control == Control::Pause {
        sleep(50).await;
    }
    if st.borrow().control != Control::Stop {
        post(&Reply::State {
            run,
            state: RunState::Running,
        });
    }
}

/// Lets the worker read its messages once a slice of training has passed.
async fn yield_after_slice(slice: &mut Instant) {
    if slice.elapsed().as_secs_f64() * 1000.0 > SLICE_MS {
        sleep(0).await;
        *slice = Instant::now();
    }
}

/// The finished run's relative gains, against one expert per task trained
/// on that task alone (kept for the next runs of the same stream and
/// config), posted as [`Reply::Gains`]. Stop leaves them unmeasured; pause
/// waits.
async fn measure_gains(st: &Shared, run: usize, runner: &Runner, record: RunRecord) {
    let scenario = runner.scenario().clone();
    let tasks = scenario.tasks.len();
    if record.measured.acc_matrix.len() != tasks {
        return;
    }
    let (device, label) = match &st.borrow().device {
        Some(d) => (d.device.clone(), d.label.clone()),
        None => return,
    };
    let mut experts: Vec<Expert> = Vec::new();
    for task in 1..=tasks {
        let key = expert_key(&record.config, task);
        if let Some(e) = st.borrow().experts.get(&key) {
            experts.push(e.clone());
            continue;
        }
        post(&Reply::Experts { run, task, tasks });
        let weights = palimpsest_core::model::pretrained::bundled_weights();
        let mut expert = match expert_runner(
            &record.config,
            &scenario,
            task,
            device.clone(),
            &label,
            weights,
        ) {
            Ok(r) => r,
            Err(e) => return error(format!("the expert of task {task}: {e}")),
        };
        let mut slice = Instant::now();
        let finished = loop {
            let control = st.borrow().control;
            match control {
                Control::Stop => {
                    post(&Reply::Notice {
                        message: "Stopped before the relative gains were measured.".into(),
                    });
                    return;
                }
                Control::Pause => {
                    paused(st, run).await;
                    slice = Instant::now();
                    continue;
                }
                Control::Run | Control::StepTask => {}
            }
            let Some(events) = expert.next().await else {
                break None;
            };
            if let Some(Event::Finished(rec)) =
                events.into_iter().find(|e| matches!(e, Event::Finished(_)))
            {
                break Some(rec);
            }
            yield_after_slice(&mut slice).await;
        };
        let scored = finished
            .ok_or_else(|| "its run stopped".to_string())
            .and_then(|rec| expert_of(&scenario, task, &rec));
        match scored {
            Ok(e) => {
                st.borrow_mut().experts.insert(key, e.clone());
                experts.push(e);
            }
            Err(e) => return error(format!("the expert of task {task}: {e}")),
        }
    }
    match with_gains(record, experts) {
        Ok(rec) => {
            if let Some(gains) = rec.modality_gains {
                post(&Reply::Gains {
                    run,
                    gains: Box::new(gains),
                });
            }
        }
        Err(e) => error(format!("the relative gains: {e}")),
    }
}

/// What the strategy's rehearsal memory holds, to the page (for the
/// lesson's replay step); nothing when it keeps none.
fn send_memory(run: usize, runner: &Runner) {
    let kept = runner.memory();
    if kept.is_empty() {
        return;
    }
    let samples = kept
        .iter()
        .enumerate()
        .map(|(i, s)| {
            super::views::sample_view(s, palimpsest_app::protocol::SampleRef { task: 0, index: i })
        })
        .collect();
    post(&Reply::Memory { run, samples });
}

/// The run at the task boundary it just reached, to the page: if this
/// worker fails later, a new one goes on from here.
async fn send_checkpoint(run: usize, runner: &Runner) {
    if let Some(cp) = runner.checkpoint().await {
        let bytes = js_sys::Uint8Array::from(&cp.to_bytes()[..]);
        let (msg, transfer) = checkpoint_message(run, cp.header.tasks_done, &bytes);
        let _ = scope().post_message_with_transfer(&msg, &transfer);
    }
}

/// The `?fault=N` test hook: fails as a lost GPU device does (a panic inside
/// the backend), once, when task N starts.
fn inject_fault(st: &Shared, events: &[Event]) {
    let Some(n) = st.borrow().fault_at_task else {
        return;
    };
    if events
        .iter()
        .any(|e| matches!(e, Event::TaskStarted { task, .. } if *task == n))
    {
        st.borrow_mut().fault_at_task = None;
        panic!("injected fault (?fault={n}): the device was lost as task {n} started");
    }
}

fn flush(run: usize, batch: &mut Vec<Event>, flushed: &mut Instant) {
    if !batch.is_empty() {
        post(&Reply::Events {
            run,
            events: std::mem::take(batch),
        });
    }
    *flushed = Instant::now();
}
