//! Ask the current model: a test sample, or your own image and caption →
//! its five most probable classes.

use leptos::prelude::*;

use super::session::send;
use super::state::AppState;
use crate::png::png_url;
use crate::protocol::Command;

#[component]
pub fn Playground() -> impl IntoView {
    let st = expect_context::<AppState>();
    let image = RwSignal::new(None::<Vec<u8>>);
    let caption = RwSignal::new(String::new());
    let trained = move || st.attention.get().is_some();
    let ask_selected = move |_| {
        st.prediction.set(None);
        send(&Command::Predict {
            sample: Some(st.selected.get_untracked()),
            image: None,
            text: None,
            other: None,
        });
    };
    let ask_own = move |_| {
        let img = image.get_untracked();
        let text = caption.get_untracked();
        if img.is_none() && text.trim().is_empty() {
            return st.error("choose an image or type a caption (or both)");
        }
        st.prediction.set(None);
        send(&Command::Predict {
            sample: None,
            image: img,
            text: Some(text),
            other: None,
        });
    };
    let on_image = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let read = super::upload::read_one(file).await;
            match read {
                Ok(px) => image.set(Some(px)),
                Err(e) => {
                    image.set(None);
                    st.error(e);
                }
            }
        });
    };
    let result = move || {
        st.prediction.get().map(|top| {
            top.into_iter()
                .map(|(name, p)| {
                    view! {
                        <li>
                            <span class="bar" style=format!("width: {:.1}%", p * 100.0)></span>
                            <span class="bar-label">{name} {format!(" {:.1}%", p * 100.0)}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="panel" data-testid="playground">
            <h2>"Ask the model"</h2>
            <div class="row">
                <button data-testid="predict-selected" on:click=ask_selected prop:disabled=move || !trained()>
                    {move || {
                        let s = st.selected.get();
                        format!("Predict the selected sample (task {}, #{})", s.task, s.index + 1)
                    }}
                </button>
            </div>
            <div class="row">
                <label class="file">"Your image " <input data-testid="playground-image" type="file" accept="image/*" on:change=on_image /></label>
                {move || image.get().map(|px| view! { <img src=png_url(Some(&px[..])) width="48" height="48" alt="" /> })}
                <input type="text" data-testid="playground-caption" placeholder="a caption, e.g. a smiling yellow face"
                    prop:value=move || caption.get() on:input=move |ev| caption.set(event_target_value(&ev)) />
                <button data-testid="predict" on:click=ask_own prop:disabled=move || !trained()>"Predict"</button>
            </div>
            <ol class="prediction" data-testid="prediction">{result}</ol>
            <Show when=move || !trained()>
                <p class="muted">"Train at least one task first."</p>
            </Show>
        </section>
    }
}
