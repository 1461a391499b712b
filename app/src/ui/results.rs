//! Live results of the shown run: the accuracy matrix, the metrics, and the
//! loss, A_k/U_k and γ curves.

use leptos::prelude::*;

use super::charts::{Heatmap, LineChart, PALETTE, Series};
use super::state::AppState;

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

#[component]
pub fn Results() -> impl IntoView {
    let st = expect_context::<AppState>();
    let rows = Signal::derive(move || st.shown_run().map(|r| r.acc).unwrap_or_default());
    let tasks = Signal::derive(move || {
        st.shown_run()
            .map(|r| r.tasks)
            .or_else(|| st.dataset.get().map(|d| d.tasks.len()))
            .unwrap_or(0)
    });
    let metrics = move || {
        let Some(run) = st.shown_run() else {
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
    let curves = Signal::derive(move || {
        let Some(r) = st.shown_run() else {
            return Vec::new();
        };
        let pts = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter()
                .enumerate()
                .map(|(i, &y)| ((i + 1) as f64, y))
                .collect()
        };
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
    });
    let loss = Signal::derive(move || {
        let Some(r) = st.shown_run() else {
            return Vec::new();
        };
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
    });
    let gamma = Signal::derive(move || {
        let Some(r) = st.shown_run() else {
            return Vec::new();
        };
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
    });
    view! {
        <section class="panel results">
            <h2>"Forgetting, live"</h2>
            <div class="results-grid">
                <div>
                    <h3>"Accuracy matrix (%)"</h3>
                    <p class="muted">"Row i: the model after task i, tested on every task. Old tasks fading down a column is forgetting."</p>
                    <Heatmap rows=rows tasks=tasks testid="acc-matrix" />
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
