//! The training loop: one runner step at a time, yielding to the worker's
//! message queue often enough that pause, stop and questions are answered
//! while training, and posting events in small batches.

use palimpsest_core::run::{Event, RunConfig, Runner};
use web_time::Instant;

use super::{Control, Shared, error, post, send_attention, sleep};
use palimpsest_app::protocol::{Reply, RunState};

/// Longest stretch of training before the worker looks at its messages.
const SLICE_MS: f64 = 30.0;
/// Longest time events wait before they are posted.
const FLUSH_MS: f64 = 120.0;

pub async fn start(st: Shared, run: usize, mut config: RunConfig) {
    let runner = {
        let mut s = st.borrow_mut();
        if s.looping {
            return error("a run is in progress: stop it first");
        }
        s.model_config = config.model.clone();
        let (Some(scenario), Some(device)) = (&s.scenario, &s.device) else {
            return error("the worker is not ready yet");
        };
        config.backend = if device.gpu {
            palimpsest_core::run::Backend::Wgpu
        } else {
            palimpsest_core::run::Backend::Cpu
        };
        config.seed = s.seed;
        config.scenario = scenario.name.clone();
        match Runner::new(
            config,
            scenario.clone(),
            device.device.clone(),
            &device.label,
        ) {
            Ok(r) => r,
            Err(e) => return error(e.to_string()),
        }
    };
    {
        let mut s = st.borrow_mut();
        s.run = run;
        s.before = None;
        s.after = None;
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
                continue;
            }
            Control::Run | Control::StepTask => {}
        }
        let Some(events) = runner.next().await else {
            break RunState::Finished;
        };
        let evaluated = events
            .iter()
            .any(|e| matches!(e, Event::TaskEvaluated { .. }));
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
        } else if flushed.elapsed().as_secs_f64() * 1000.0 > FLUSH_MS {
            flush(run, &mut batch, &mut flushed);
        }
        if slice.elapsed().as_secs_f64() * 1000.0 > SLICE_MS {
            sleep(0).await;
            slice = Instant::now();
        }
    };
    flush(run, &mut batch, &mut flushed);
    {
        let mut s = st.borrow_mut();
        s.looping = false;
        s.control = Control::Run;
        // a finished run stays, so a class added later extends it
        s.idle_runner = (end == RunState::Finished).then_some(runner);
    }
    post(&Reply::State { run, state: end });
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
