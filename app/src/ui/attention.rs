//! Where the model looks: the top interaction layer's [CLS] attention over
//! image patches and caption words, for the model before and after the
//! latest task, side by side.

use leptos::prelude::*;

use super::state::AppState;
use crate::protocol::MapView;

/// Weights stretched to [0, 1] between the smallest and the largest, so
/// that nearly uniform attention still shows where it leans (all equal → 0).
pub fn normalised(w: &[f32]) -> Vec<f32> {
    let max = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let min = w.iter().copied().fold(f32::INFINITY, f32::min);
    if max.is_nan() || min.is_nan() || max - min <= 1e-9 {
        return vec![0.0; w.len()];
    }
    w.iter()
        .map(|v| ((v - min) / (max - min)).clamp(0.0, 1.0))
        .collect()
}

/// The strongest word's shade of blue: dark enough to read, light enough
/// that the page's ink on it keeps a contrast of 6:1 (WCAG asks 4.5:1).
const WORD_SHADE: f32 = 0.6;

#[component]
fn Map(map: MapView, png: String, title: String) -> impl IntoView {
    let side = map.side.max(1);
    let cells = normalised(&map.image)
        .into_iter()
        .map(|w| {
            view! {
                <div class="patch" style=format!("background: rgba(213, 94, 0, {:.3})", w * 0.75)
                    title=format!("{:.0}% of the way from the weakest to the strongest patch", w * 100.0)></div>
            }
        })
        .collect_view();
    let words = map
        .words
        .iter()
        .zip(normalised(&map.text))
        .map(|(word, w)| {
            view! {
                <span class="word" style=format!("background: rgba(0, 114, 178, {:.3})", w * WORD_SHADE)
                    title=format!("{:.0}% of the way from the weakest to the strongest word", w * 100.0)>{word.clone()}</span>
                " "
            }
        })
        .collect_view();
    view! {
        <div class="attn">
            <h3>{title}</h3>
            <div class="attn-image">
                <img src=png alt="" width="160" height="160" />
                <div class="overlay" style=format!("grid-template-columns: repeat({side}, 1fr)")>{cells}</div>
            </div>
            <p class="words">{words}</p>
            <p>
                "predicts " <b>{map.predicted.clone()}</b>
                {format!(" ({:.0}%)", map.probability * 100.0)}
            </p>
        </div>
    }
}

/// The maps the page shows now: the probe's at the boundary the charts
/// are rewound to, else the selected sample's for the latest model.
fn shown(st: AppState) -> Option<crate::protocol::AttentionView> {
    match st.scrub.get() {
        Some(k) => st
            .shown_run()
            .and_then(|r| r.probes.get(k.wrapping_sub(1)).cloned()),
        None => st.attention.get(),
    }
}

/// The maps before and after the latest task (or the rewound boundary).
#[component]
pub fn AttentionMaps() -> impl IntoView {
    let st = expect_context::<AppState>();
    move || {
        let Some(a) = shown(st) else {
            return view! {
                <p class="muted">"After the first task, this shows where the model looks for the selected sample (click one in the dataset)."</p>
            }
            .into_any();
        };
        let before = match a.before.clone() {
            Some(m) => {
                let title = format!("before: after task {}", m.after_task);
                view! { <Map map=m png=a.sample.png.clone() title=title /> }.into_any()
            }
            None => view! {
                <div class="attn muted">"The map before the latest task appears once two tasks are trained."</div>
            }
            .into_any(),
        };
        let title = format!("now: after task {}", a.after.after_task);
        view! {
            <p>
                "Sample from task " {a.sample.at.task} ", true class " <b>{a.truth.clone()}</b>
                ": “" {a.sample.caption.clone()} "”"
            </p>
            <div class="attn-pair" data-after-task=a.after.after_task>
                {before}
                <Map map=a.after.clone() png=a.sample.png.clone() title=title />
            </div>
        }
        .into_any()
    }
}

#[component]
pub fn Attention() -> impl IntoView {
    view! {
        <section class="panel" data-testid="attention-map" aria-label="attention maps">
            <h2>"Where the model looks"</h2>
            <p class="muted">"Orange: attention of the [CLS] query over image patches; blue: over caption words (top interaction layer, mean over heads; shades run from the weakest to the strongest). Rewound, the maps are those of task 1's first test pair at that boundary."</p>
            <AttentionMaps />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_scales_to_the_largest() {
        assert_eq!(normalised(&[1.0, 2.0, 5.0]), [0.0, 0.25, 1.0]);
        assert_eq!(normalised(&[0.3, 0.3]), [0.0, 0.0]);
        assert!(normalised(&[]).is_empty());
    }
}
