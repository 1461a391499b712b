//! Live results of the shown run: the accuracy matrix, the metrics, and the
//! loss, A_k/U_k and γ curves.

use leptos::prelude::*;

use super::charts::{ChartSpec, Heatmap, LineChart, PALETTE, Series};
use super::export;
use super::state::{AppState, RunView};

/// What each metric means, for its tooltip.
fn meaning(name: &str) -> &'static str {
    match name {
        "A" => "A_k: accuracy on all test sets seen so far (forgetting shows here)",
        "U" => "U_k: accuracy on the newest task right after it (plasticity)",
        "ACC" => "average accuracy over the tasks seen so far",
        "BWT" => "backward transfer: how much old tasks changed (negative = forgotten)",
        "FWT" => "forward transfer: accuracy on a task before training it, over chance",
        _ => "average drop from each task's best accuracy",
    }
}

fn shown_label(name: &str) -> &'static str {
    match name {
        "A" => "A_k",
        "U" => "U_k",
        "ACC" => "ACC",
        "BWT" => "BWT",
        "FWT" => "FWT",
        _ => "Forgetting",
    }
}

/// The run as it was after task `k` (`None`: as it is): what was
/// measured later is left out, the rewind's view of it.
pub fn rewound(r: &RunView, k: Option<usize>) -> RunView {
    match k {
        Some(k) if k < r.acc.len() => {
            let mut v = r.clone();
            let steps = v
                .steps_at_task_end
                .get(k.wrapping_sub(1))
                .copied()
                .unwrap_or(0);
            v.acc.truncate(k);
            v.a.truncate(k);
            v.u.truncate(k);
            v.loss.truncate(steps);
            v.gamma.truncate(steps);
            v.steps_at_task_end.truncate(k);
            v.probes.truncate(k);
            v.task = k;
            v.record = None;
            v
        }
        _ => r.clone(),
    }
}

fn pts(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(i, &y)| ((i + 1) as f64, y))
        .collect()
}

/// A_k and U_k of a run.
pub fn curves_of(r: &RunView) -> Vec<Series> {
    vec![
        Series {
            name: "A_k (all tasks so far)".into(),
            color: PALETTE[0],
            points: pts(&r.a),
            dashed: false,
        },
        Series {
            name: "U_k (newest task)".into(),
            color: PALETTE[1],
            points: pts(&r.u),
            dashed: true,
        },
    ]
}

/// γ and g of a run, per step.
pub fn gamma_of(r: &RunView) -> Vec<Series> {
    let step = |i: usize| i as f64 + 1.0;
    vec![
        Series {
            name: "γ = Σ s_text / Σ s_image".into(),
            color: PALETTE[3],
            points: r
                .gamma
                .iter()
                .enumerate()
                .map(|(i, p)| (step(i), p.0))
                .collect(),
            dashed: false,
        },
        Series {
            name: "g (update scale of the dominant stream)".into(),
            color: PALETTE[4],
            points: r
                .gamma
                .iter()
                .enumerate()
                .map(|(i, p)| (step(i), p.1))
                .collect(),
            dashed: true,
        },
    ]
}

/// The training loss of a run, per step.
fn loss_of(r: &RunView) -> Vec<Series> {
    vec![Series {
        name: "training loss".into(),
        color: PALETTE[2],
        points: r
            .loss
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as f64 + 1.0, l))
            .collect(),
        dashed: false,
    }]
}

/// A_k of each of `runs`, one series a run, named by `name`; `dashed`
/// marks a run drawn dashed (an imported one).
pub fn ak_series(
    runs: &[RunView],
    name: impl Fn(&RunView) -> String,
    dashed: impl Fn(&RunView) -> bool,
) -> Vec<Series> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| Series {
            name: name(r),
            color: PALETTE[i % PALETTE.len()],
            points: pts(&r.a),
            dashed: dashed(r),
        })
        .collect()
}

/// What the main views draw: the shown run as the scrubber has it, its
/// matrix's rows, and its task count (the stream's before a run).
#[derive(Clone, Copy)]
pub struct Shown {
    pub run: Memo<Option<RunView>>,
    pub rows: Signal<Vec<Vec<f64>>>,
    pub tasks: Signal<usize>,
}

pub fn shown(st: AppState) -> Shown {
    let run = Memo::new(move |_| st.shown_run().map(|r| rewound(&r, st.scrub.get())));
    let rows = Signal::derive(move || run.get().map(|r| r.acc).unwrap_or_default());
    let tasks = Signal::derive(move || {
        run.get()
            .map(|r| r.tasks)
            .or_else(|| st.dataset.get().map(|d| d.tasks.len()))
            .unwrap_or(0)
    });
    Shown { run, rows, tasks }
}

#[component]
pub fn Results() -> impl IntoView {
    let st = expect_context::<AppState>();
    let Shown { run, rows, tasks } = shown(st);
    let metrics = move || {
        let Some(run) = run.get() else {
            return view! { <p class="muted">"Metrics appear after the first task."</p> }
                .into_any();
        };
        let list = run.metrics();
        if list.is_empty() {
            return view! { <p class="muted">"Metrics appear after the first task."</p> }
                .into_any();
        }
        list.into_iter()
            .map(|(name, v)| {
                let pct = if name == "A" || name == "U" || name == "ACC" {
                    format!("{:.1}%", v * 100.0)
                } else {
                    format!("{:+.1} pp", v * 100.0)
                };
                view! {
                    <div class="metric" data-metric=name data-value=format!("{v:.4}") title=meaning(name)>
                        <span class="name">{shown_label(name)}</span>
                        <span class="value">{pct}</span>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let curves = Signal::derive(move || run.get().map(|r| curves_of(&r)).unwrap_or_default());
    let loss = Signal::derive(move || run.get().map(|r| loss_of(&r)).unwrap_or_default());
    let gamma = Signal::derive(move || run.get().map(|r| gamma_of(&r)).unwrap_or_default());
    view! {
        <section class="panel results" aria-label="results">
            <h2>"Forgetting, live"</h2>
            <Scrubber />
            <div class="results-grid">
                <div>
                    <h3>"Accuracy matrix (%)"</h3>
                    <p class="muted">"Row i: the model after task i, tested on every task. Old tasks fading down a column is forgetting."</p>
                    <Heatmap rows=rows tasks=tasks testid="acc-matrix" highlight=st.highlight />
                    <MatrixExports />
                    <super::share::Share />
                </div>
                <div>
                    <h3>"Metrics"</h3>
                    <div data-testid="metrics" class="metrics">{metrics}</div>
                    <h3>"A_k and U_k"</h3>
                    <LineChart series=curves x_label="after task k" y_label="accuracy"
                        y_range=(0.0, 1.0) x_integer=true testid="ak-uk" />
                </div>
                <div>
                    <h3>"Loss"</h3>
                    <LineChart series=loss x_label="training step" y_label="loss" testid="loss-chart" />
                    <h3>"Modality balance (GM)"</h3>
                    <LineChart series=gamma x_label="training step" y_label="γ, g" testid="gamma-chart" />
                </div>
            </div>
        </section>
    }
}

/// The task-boundary scrubber: the charts, the matrix and the probe's
/// attention maps as they were after task k (keys ← and →).
#[component]
fn Scrubber() -> impl IntoView {
    let st = expect_context::<AppState>();
    let done = move || st.shown_run().map_or(0, |r| r.acc.len());
    let at = move || st.scrub.get().unwrap_or(done());
    view! {
        <div class="row scrubber" data-testid="timeline" data-task=move || at().to_string()>
            <label>
                "After task "
                <input type="range" min="1" max=move || done().max(1).to_string() step="1"
                    aria-label="the task boundary the charts show"
                    prop:value=move || at().to_string()
                    prop:disabled=move || done() < 2
                    on:input=move |ev| {
                        let k: usize = event_target_value(&ev).parse().unwrap_or(0);
                        st.scrub.set((k >= 1 && k < done()).then_some(k));
                    } />
                " " <b>{at}</b> {move || format!(" of {}", done())}
            </label>
            {move || st.scrub.get().map(|k| view! {
                <span class="muted">{format!("rewound: the run as it was after task {k}")}</span>
                <button class="small" on:click=move |_| st.scrub.set(None)>"back to now"</button>
                <super::whatif::WhatIf k=k />
            })}
        </div>
    }
}

/// The matrix as CSV, SVG and PNG, and the shown boundary as a slide.
#[component]
fn MatrixExports() -> impl IntoView {
    let st = expect_context::<AppState>();
    let view_now = move || st.shown_run().map(|r| rewound(&r, st.scrub.get()));
    let name = move |what: &str| {
        let r = view_now();
        let scenario = r
            .as_ref()
            .and_then(|r| r.config.as_ref().map(|c| c.scenario.clone()))
            .unwrap_or_else(|| "run".into());
        let k = r.as_ref().map_or(0, |r| r.acc.len());
        format!("palimpsest-{scenario}-{what}-after-task-{k}")
    };
    let svg = move || {
        let r = view_now().unwrap_or_else(|| RunView::new(0, &Default::default()));
        export::matrix_svg(&r.acc, r.tasks, &st.highlight.get_untracked())
    };
    let csv = move |_| {
        let r = view_now().unwrap_or_else(|| RunView::new(0, &Default::default()));
        if let Err(e) = export::download_text(
            &format!("{}.csv", name("matrix")),
            "text/csv",
            &export::matrix_csv(&r.acc, r.tasks),
        ) {
            st.error(format!("the matrix could not be saved: {e}"));
        }
    };
    let slide = move |_| {
        let Some(r) = view_now().filter(|r| !r.acc.is_empty()) else {
            return st.error("train a task first: a slide shows a task boundary");
        };
        let k = r.acc.len();
        let chart = ChartSpec {
            series: curves_of(&r),
            x_label: "after task k",
            y_label: "accuracy",
            y_range: Some((0.0, 1.0)),
            x_integer: true,
        };
        let title = format!("{} · after task {k} of {}", r.label, r.tasks);
        let caption = slide_caption(&r);
        let svg = export::slide_svg(
            &title,
            &export::matrix_svg(&r.acc, r.tasks, &[]),
            &chart,
            &caption,
        );
        export::download_png(st, name("slide"), svg);
    };
    let empty = move || view_now().is_none_or(|r| r.acc.is_empty());
    view! {
        <div class="exports matrix-exports row">
            <span class="muted">"Save the matrix:"</span>
            <button class="small" data-testid="export-csv" on:click=csv prop:disabled=empty>"CSV"</button>
            <button class="small" data-testid="export-svg" prop:disabled=empty
                on:click=move |_| export::download_svg(st, &name("matrix"), &svg())>"SVG"</button>
            <button class="small" data-testid="export-png" prop:disabled=empty
                on:click=move |_| export::download_png(st, name("matrix"), svg())>"PNG"</button>
            <button class="small" data-testid="export-slide" prop:disabled=empty
                title="this task boundary as one 1280×720 slide with its caption"
                on:click=slide>"Slide"</button>
        </div>
    }
}

/// A slide's caption: what the boundary shows, in the run's own numbers.
pub fn slide_caption(r: &RunView) -> String {
    let k = r.acc.len();
    let first = r.acc.first().and_then(|row| row.first()).copied();
    let now = r.acc.last().and_then(|row| row.first()).copied();
    match (k, first, now, r.a.last()) {
        (1, Some(u), _, _) => format!("Task 1 learnt: {:.0} % of its test pairs right.", u * 100.0),
        (k, Some(u), Some(n), Some(a)) => format!(
            "After task {k}: task 1 went from {:.0} % to {:.0} %; accuracy on all tasks so far (A_{k}) {:.0} %.",
            u * 100.0,
            n * 100.0,
            a * 100.0
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palimpsest_core::run::{Event, RunConfig};

    fn run_of(rows: usize) -> RunView {
        let mut v = RunView::new(1, &RunConfig::default());
        for t in 1..=rows {
            for _ in 0..3 {
                v.apply(Event::Step {
                    task: t,
                    step: 1,
                    steps: 3,
                    loss: t as f64,
                    gamma: 1.0,
                    g: 1.0,
                    samples_per_s: 1.0,
                });
            }
            let mut row = vec![0.0; rows];
            row[0] = 1.0 / t as f64;
            v.apply(Event::TaskEvaluated {
                task: t,
                acc_row: row.clone(),
                f1_row: row,
                a: 0.5,
                u: 0.9,
            });
        }
        v
    }

    #[test]
    fn a_rewound_run_holds_what_it_had_after_task_k() {
        let r = run_of(3);
        let two = rewound(&r, Some(2));
        assert_eq!(two.acc, r.acc[..2].to_vec());
        assert_eq!((two.a.len(), two.u.len()), (2, 2));
        assert_eq!(two.loss, vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(two.gamma.len(), 6);
        assert_eq!(rewound(&r, None), r);
        assert_eq!(rewound(&r, Some(3)), r, "the last boundary is now");
        assert_eq!(
            slide_caption(&two),
            "After task 2: task 1 went from 100 % to 50 %; accuracy on all tasks so far (A_2) 50 %."
        );
    }
}
