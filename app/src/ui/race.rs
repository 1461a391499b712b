//! A race: two to four strategies train the same stream and seed at the
//! same time, a CPU worker each, on one shared task timeline; their
//! matrices and A_k curves fill in side by side, with the difference of
//! any two. Each lane is an ordinary run of the page (kept, exported and
//! compared like the others), so a lane's numbers are those of the same
//! run made alone.

use std::cell::RefCell;

use leptos::prelude::*;
use palimpsest_core::run::RunConfig;
use palimpsest_core::strategy::StrategyConfig;

use super::charts::{Heatmap, LineChart};
use super::session;
use super::state::{AppState, RunView};
use super::worker::{Incoming, WORKER_URL, WorkerLink};
use crate::protocol::{Command, DeviceChoice, Reply, RunState};

/// Most strategies in one race (each lane is a worker of its own).
pub const MAX_LANES: usize = 4;

thread_local! {
    /// The workers of the current race's lanes, by run id.
    static LANES: RefCell<Vec<(usize, WorkerLink)>> = const { RefCell::new(Vec::new()) };
}

/// Whether a race's lanes are still training.
pub fn racing(st: AppState) -> bool {
    let lanes = st.race.get();
    st.runs.with(|runs| {
        runs.iter()
            .any(|r| lanes.contains(&r.id) && matches!(r.state, Some(RunState::Running) | None))
    })
}

/// Ends the lanes' workers (their runs keep what they measured).
pub fn stop(st: AppState) {
    for (run, link) in LANES.with(|l| std::mem::take(&mut *l.borrow_mut())) {
        link.terminate();
        st.update_run(run, |v| {
            if v.state != Some(RunState::Finished) {
                v.state = Some(RunState::Stopped);
            }
        });
    }
}

/// Starts a race of `strategies` (names; each as the page configures it
/// when it is the page's strategy, with its defaults otherwise) on the
/// page's stream, seed and settings.
pub fn start(st: AppState, strategies: &[String]) {
    if !(2..=MAX_LANES).contains(&strategies.len()) {
        return st.error(format!(
            "a race needs 2 to {MAX_LANES} strategies; {} are chosen",
            strategies.len()
        ));
    }
    stop(st);
    let mine = st.strategy.get_untracked();
    let base = session::configured(st);
    let (_, stream) = session::history();
    let mut ids = Vec::new();
    for name in strategies {
        let Ok(mut strategy) = StrategyConfig::by_name(name) else {
            return st.error(format!("a race cannot run the unknown strategy {name}"));
        };
        if strategy.name() == mine.name() {
            strategy = mine.clone();
        }
        let mut config = RunConfig {
            strategy,
            ..base.clone()
        };
        config.turn_on_needed_stages();
        let id = st.id();
        let mut view = RunView::new(id, &config);
        view.label = format!("{} · race", view.label);
        st.runs.update(|r| r.push(view));
        let link = WorkerLink::new();
        link.send(&Command::Init {
            device: DeviceChoice::Cpu,
            fault_at_task: None,
            diverge_at: None,
        });
        for cmd in &stream {
            link.send(cmd);
        }
        link.send(&Command::Start {
            run: id,
            config: Box::new(config),
        });
        if let Err(e) = link.start(WORKER_URL, move |incoming| receive(st, id, incoming)) {
            st.error(e);
            st.update_run(id, |v| v.state = Some(RunState::Stopped));
            continue;
        }
        LANES.with(|l| l.borrow_mut().push((id, link)));
        ids.push(id);
    }
    st.race.set(ids);
}

/// What a lane's worker sends: its run's events and states; the rest of
/// what a worker says (its stream, attention maps) the lane does not show.
fn receive(st: AppState, lane: usize, incoming: Incoming) {
    match incoming {
        Incoming::Reply(Reply::Events { run, events }) if run == lane => st.update_run(run, |v| {
            for ev in events {
                v.apply(ev);
            }
        }),
        Incoming::Reply(Reply::State { run, state }) if run == lane => {
            st.update_run(run, |v| v.state = Some(state));
            if matches!(state, RunState::Finished | RunState::Stopped) {
                // the lane's worker is done: let its memory go
                LANES.with(|l| {
                    l.borrow_mut().retain(|(r, link)| {
                        if *r == run {
                            link.terminate();
                        }
                        *r != run
                    })
                });
            }
        }
        Incoming::Reply(Reply::Error { message }) => {
            st.error(format!("race lane #{lane}: {message}"))
        }
        Incoming::Reply(Reply::Notice { message }) => {
            st.notice(format!("race lane #{lane}: {message}"))
        }
        Incoming::Failed(message) | Incoming::Reply(Reply::Crashed { message }) => {
            st.error(format!("race lane #{lane} failed: {message}"));
            st.update_run(lane, |v| v.state = Some(RunState::Stopped));
        }
        Incoming::Unreadable(e) => st.error(format!("race lane #{lane}: unreadable message: {e}")),
        _ => {}
    }
}

/// Cell by cell, `a − b` of two matrices (rows both measured).
pub fn difference(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .zip(b)
        .map(|(ra, rb)| ra.iter().zip(rb).map(|(x, y)| x - y).collect())
        .collect()
}

/// The race: its lanes side by side, their A_k curves together, and the
/// difference of two lanes' matrices.
#[component]
pub fn Race() -> impl IntoView {
    let st = expect_context::<AppState>();
    let lanes = Memo::new(move |_| {
        let ids = st.race.get();
        st.runs.with(|runs| {
            ids.iter()
                .filter_map(|id| runs.iter().find(|r| r.id == *id).cloned())
                .collect::<Vec<RunView>>()
        })
    });
    let curves = Signal::derive(move || {
        super::results::ak_series(&lanes.get(), |r| r.label.clone(), |_| false)
    });
    let pick_a = RwSignal::new(0usize);
    let pick_b = RwSignal::new(1usize);
    let diff = move || {
        let l = lanes.get();
        let (a, b) = (l.get(pick_a.get()), l.get(pick_b.get()));
        match (a, b) {
            (Some(a), Some(b)) => {
                let rows = difference(&a.acc, &b.acc);
                let tasks = a.tasks.max(b.tasks);
                view! { <DiffHeatmap rows=rows tasks=tasks /> }.into_any()
            }
            _ => view! { <p class="muted">"Choose two lanes."</p> }.into_any(),
        }
    };
    let chooser = move |pick: RwSignal<usize>, testid: &'static str| {
        view! {
            <select data-testid=testid aria-label="a lane to compare"
                on:change=move |ev| pick.set(event_target_value(&ev).parse().unwrap_or(0))>
                {move || lanes.get().iter().enumerate().map(|(i, r)| view! {
                    <option value=i.to_string() selected=move || pick.get() == i>{r.label.clone()}</option>
                }).collect_view()}
            </select>
        }
    };
    view! {
        <Show when=move || !st.race.get().is_empty()>
            <section class="panel race" data-testid="race-panel" aria-label="race">
                <div class="lesson-head">
                    <h2>"Race: the same stream, at the same time"</h2>
                    <button class="small" data-testid="race-close" title="close the race (its lanes stop; their runs stay below)"
                        on:click=move |_| { stop(st); st.race.set(Vec::new()); }>"×"</button>
                </div>
                <div class="lanes">
                    {move || lanes.get().into_iter().map(|r| {
                        let id = r.id;
                        let rows = Signal::derive(move || st.runs.with(|v| v.iter().find(|x| x.id == id).map(|x| x.acc.clone()).unwrap_or_default()));
                        let tasks = Signal::derive(move || st.runs.with(|v| v.iter().find(|x| x.id == id).map(|x| x.tasks).unwrap_or(0)));
                        let state = match r.state {
                            Some(RunState::Finished) => "finished".to_string(),
                            Some(RunState::Stopped) => "stopped".to_string(),
                            _ if r.tasks == 0 => "starting…".to_string(),
                            _ => format!("task {}/{} · step {}/{}", r.task, r.tasks, r.step, r.steps),
                        };
                        let a = r.a.last().map(|a| format!(" · A_k {:.0}%", a * 100.0)).unwrap_or_default();
                        view! {
                            <div class="race-lane" data-testid="race-lane" data-run=id data-rows=r.acc.len()>
                                <h3>{r.label.clone()}</h3>
                                <p class="muted lane-state">{state}{a}</p>
                                <Heatmap rows=rows tasks=tasks testid="acc-matrix" small=true />
                            </div>
                        }
                    }).collect_view()}
                </div>
                <div class="race-bottom">
                    <div>
                        <h3>"A_k of every lane"</h3>
                        <LineChart series=curves x_label="after task k" y_label="A_k"
                            y_range=(0.0, 1.0) x_integer=true testid="race-chart" />
                    </div>
                    <div>
                        <h3>"Difference of two lanes (percentage points)"</h3>
                        <div class="row">{chooser(pick_a, "race-a")}" − "{chooser(pick_b, "race-b")}</div>
                        <div data-testid="race-diff">{diff}</div>
                    </div>
                </div>
            </section>
        </Show>
    }
}

/// A matrix of differences in percentage points: orange where the first
/// lane is ahead, blue where the second is (a colour-blind-safe pair).
#[component]
fn DiffHeatmap(rows: Vec<Vec<f64>>, tasks: usize) -> impl IntoView {
    let n = tasks.max(rows.len());
    let mut cells = vec![view! { <div class="corner">"after ↓ / on →"</div> }.into_any()];
    for j in 0..n {
        cells.push(view! { <div class="head">{format!("T{}", j + 1)}</div> }.into_any());
    }
    for i in 0..n {
        cells.push(view! { <div class="head">{format!("T{}", i + 1)}</div> }.into_any());
        for j in 0..n {
            cells.push(match rows.get(i).and_then(|r| r.get(j)) {
                Some(&d) => {
                    let alpha = d.abs().min(1.0);
                    let (r, g, b) = if d >= 0.0 { (230, 159, 0) } else { (0, 114, 178) };
                    let style = format!("background:rgba({r},{g},{b},{alpha:.2})");
                    view! {
                        <div class="cell" data-diff=format!("{d:.4}") style=style
                            title=format!("after task {}, on task {}: {:+.1} pp", i + 1, j + 1, d * 100.0)>
                            {format!("{:+.0}", d * 100.0)}
                        </div>
                    }
                    .into_any()
                }
                None => view! { <div class="cell empty"></div> }.into_any(),
            });
        }
    }
    let style = format!("grid-template-columns: 6.5em repeat({n}, 1fr)");
    view! { <div class="heatmap diff" style=style>{cells}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_is_cell_by_cell_over_rows_both_measured() {
        let a = vec![vec![0.9, 0.0], vec![0.5, 0.8]];
        let b = vec![vec![0.8, 0.1]];
        let d = difference(&a, &b);
        assert_eq!(d.len(), 1);
        assert!((d[0][0] - 0.1).abs() < 1e-12 && (d[0][1] + 0.1).abs() < 1e-12);
    }
}
