//! Relative gains of a run whose tasks bring modalities (MERA's RG, FwRG,
//! BwRG): each task's accuracy over that of an expert trained on it alone,
//! after every task, as a table and a chart.

use leptos::prelude::*;
use palimpsest_core::metrics::ModalityGains;

use super::charts::{LineChart, PALETTE, Series};
use super::state::AppState;

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1}"))
}

/// The name of task `j`'s modalities ("image+text").
fn what(g: &ModalityGains, j: usize) -> String {
    g.experts
        .get(j)
        .map(|e| e.modalities.join("+"))
        .unwrap_or_default()
}

fn table(g: ModalityGains) -> impl IntoView {
    let tasks = g.experts.len();
    let head = (0..tasks)
        .map(|j| view! { <th title=format!("task {}: {}", j + 1, what(&g, j))>{format!("T{} {}", j + 1, what(&g, j))}</th> })
        .collect_view();
    let experts = g
        .experts
        .iter()
        .map(|e| view! { <td data-expert=format!("{:.4}", e.accuracy)>{format!("{:.1}%", e.accuracy * 100.0)}</td> })
        .collect_view();
    let rows = g
        .rg
        .iter()
        .enumerate()
        .map(|(k, row)| {
            // a row holds the tasks learnt so far: the later ones are blank
            let cells = (0..tasks)
                .map(|j| (j, row.get(j).copied().flatten()))
                .map(|(j, v)| {
                    let shown = if j <= k { pct(v) } else { String::new() };
                    view! { <td data-value=v.filter(|_| j <= k).map(|v| format!("{v:.2}"))>{shown}</td> }
                })
                .collect_view();
            let fw = g.fwrg.get(k).copied().flatten();
            let bw = g.bwrg.get(k).copied().flatten();
            view! {
                <tr>
                    <th>{format!("after {}", k + 1)}</th>
                    {cells}
                    <td data-metric="fwrg" data-value=fw.map(|v| format!("{v:.2}"))>{pct(fw)}</td>
                    <td data-metric="bwrg" data-value=bw.map(|v| format!("{v:.2}"))>{pct(bw)}</td>
                </tr>
            }
        })
        .collect_view();
    let forgetting = format!(
        "Forgetting (pp): within a modality {}, across modalities {}.",
        g.intra_forgetting.map_or("–".into(), |v| format!("{v:.1}")),
        g.inter_forgetting.map_or("–".into(), |v| format!("{v:.1}")),
    );
    view! {
        <table class="gains">
            <thead><tr><th></th>{head}<th title="forward relative gain: the task just learnt">"FwRG"</th><th title="backward relative gain: mean over the tasks before">"BwRG"</th></tr></thead>
            <tbody>
                <tr class="experts"><th title="accuracy of a model trained on that task alone">"expert"</th>{experts}<td></td><td></td></tr>
                {rows}
            </tbody>
        </table>
        <p class="muted" data-testid="modality-forgetting">{forgetting}</p>
    }
}

#[component]
pub fn Gains() -> impl IntoView {
    let st = expect_context::<AppState>();
    let gains = Signal::derive(move || st.shown_run()?.record?.modality_gains);
    let curves = Signal::derive(move || {
        let Some(g) = gains.get() else {
            return Vec::new();
        };
        (0..g.experts.len())
            .map(|j| Series {
                name: format!("T{} {}", j + 1, what(&g, j)),
                color: PALETTE[j % PALETTE.len()],
                points: g
                    .rg
                    .iter()
                    .enumerate()
                    .skip(j)
                    .filter_map(|(k, row)| row[j].map(|v| ((k + 1) as f64, v)))
                    .collect(),
                dashed: false,
            })
            .collect()
    });
    let progress = move || {
        let (run, task, tasks) = st.experts.get()?;
        (st.shown.get().is_none() || st.shown.get() == Some(run)).then(|| {
            view! {
                <p class="notice" data-testid="experts-progress">
                    {format!("Measuring the relative gains: training an expert on task {task} alone ({task} of {tasks})…")}
                </p>
            }
        })
    };
    let shown = move || gains.get().is_some() || st.experts.get().is_some();
    view! {
        <Show when=shown>
            <section class="panel" data-testid="gains">
                <h2>"Relative gains per modality (%)"</h2>
                <p class="muted">"Each task's accuracy after every task, as a share of what a model trained on that task alone reaches (100 = as good as the expert). BwRG near 100: the earlier modalities are kept."</p>
                {progress}
                {move || gains.get().map(table)}
                <Show when=move || gains.get().is_some()>
                    <LineChart series=curves x_label="after task k" y_label="RG (%)"
                        x_integer=true testid="gains-chart" />
                </Show>
            </section>
        </Show>
    }
}
