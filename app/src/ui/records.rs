//! Run records (METRICS.md format): download the shown run, load one back.

use leptos::prelude::*;
use palimpsest_core::run::RunRecord;
use palimpsest_core::run::record::MAX_RECORD_BYTES;
use wasm_bindgen_futures::JsFuture;

use super::state::{AppState, RunView};

/// Parses and checks a run record with core's one reader (the CLI's
/// `compare` uses the same); the error names what is wrong.
pub fn parse_record(text: &str) -> Result<RunRecord, String> {
    RunRecord::parse(text)
}

#[component]
pub fn Records() -> impl IntoView {
    let st = expect_context::<AppState>();
    let record = move || st.shown_run().and_then(|r| r.record);
    let export = move |_| {
        let Some(rec) = st.shown_run().and_then(|r| r.record) else {
            return st.error("no finished run to export yet");
        };
        let name = format!(
            "palimpsest-{}-{}-seed{}.json",
            rec.config.scenario,
            rec.config.strategy.name(),
            rec.config.seed
        );
        match serde_json::to_string_pretty(&rec) {
            Ok(text) => {
                if let Err(e) = super::export::download_text(&name, "application/json", &text) {
                    st.error(format!("export failed: {e}"));
                }
            }
            Err(e) => st.error(format!("export failed: {e}")),
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let files = super::upload::list(input.files());
        input.set_value("");
        leptos::task::spawn_local(async move {
            for file in files {
                let name = file.name();
                if file.size() > MAX_RECORD_BYTES as f64 {
                    st.error(format!(
                        "{name}: {:.0} MB is over the {} MiB a run record may have; not read",
                        file.size() / 1e6,
                        MAX_RECORD_BYTES >> 20
                    ));
                    continue;
                }
                let text = match JsFuture::from(file.text()).await {
                    Ok(t) => t.as_string().unwrap_or_default(),
                    Err(_) => {
                        st.error(format!("{name}: could not be read"));
                        continue;
                    }
                };
                match parse_record(&text) {
                    Ok(rec) => {
                        let id = st.id();
                        st.runs.update(|r| r.push(RunView::from_record(id, rec)));
                        st.shown.set(Some(id));
                    }
                    Err(e) => st.error(format!("{name}: {e}")),
                }
            }
        });
    };
    view! {
        <div class="row records">
            <button data-testid="export" on:click=export prop:disabled=move || record().is_none()
                title="download the shown run's record (JSON, as `palimpsest run --out` writes it)">
                "Export run"
            </button>
            <label class="file">
                "Import run(s) "
                <input data-testid="import" type="file" accept=".json,application/json" multiple on:change=import />
            </label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_records_are_named_errors() {
        assert!(
            parse_record("")
                .unwrap_err()
                .starts_with("not a run record")
        );
        assert!(parse_record("{\"version\": 1}").is_err());
        assert!(parse_record("[1,2]").is_err());
    }
}
