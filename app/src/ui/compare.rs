//! Every run of this page side by side: matrices, final figures, and the
//! A_k curves of all runs in one chart.

use leptos::prelude::*;

use super::charts::{Heatmap, LineChart};
use super::controls::CompareControls;
use super::records::Records;
use super::state::AppState;
use crate::protocol::RunState;

#[component]
pub fn Compare() -> impl IntoView {
    let st = expect_context::<AppState>();
    let curves = Signal::derive(move || {
        super::results::ak_series(
            &st.runs.get(),
            |r| format!("#{} {}", r.id, r.label),
            |r| r.imported,
        )
    });
    let cards = move || {
        st.runs
            .get()
            .into_iter()
            .map(|r| {
                let id = r.id;
                let rows = r.acc.clone();
                let tasks = r.tasks;
                let state = match r.state {
                    Some(RunState::Finished) => "finished",
                    Some(RunState::Stopped) => "stopped",
                    Some(RunState::Paused) => "paused",
                    _ => "training",
                };
                let last_a = r
                    .a
                    .last()
                    .map(|a| format!("A_k {:.1}%", a * 100.0))
                    .unwrap_or_default();
                view! {
                    <div class="run-card" class:shown=move || st.shown.get() == Some(id) data-run=id>
                        <h4>{format!("#{} {}", r.id, r.label)}</h4>
                        <p class="muted">{format!("{state} · {last_a}")}</p>
                        <Heatmap rows=Signal::derive(move || rows.clone()) tasks=Signal::derive(move || tasks) small=true />
                        <button class="small" on:click=move |_| st.shown.set(Some(id))>"show above"</button>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel" data-testid="compare-panel">
            <h2>"Compare runs"</h2>
            <CompareControls />
            <Records />
            <div class="compare">
                <div class="run-cards">{cards}</div>
                <div>
                    <h3>"A_k of every run"</h3>
                    <LineChart series=curves x_label="after task k" y_label="A_k"
                        y_range=(0.0, 1.0) x_integer=true testid="compare-chart" />
                </div>
            </div>
        </section>
    }
}
