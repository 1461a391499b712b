//! What the page shows of the stream and of the models, built in the worker
//! so the page only renders.

use palimpsest_app::png::png_url;
use palimpsest_core::data::{Sample, Scenario};
use palimpsest_core::model::Model;
use palimpsest_core::run::look;
use palimpsest_core::strategy::Env;

use palimpsest_app::protocol::{ClassView, DatasetView, MapView, SampleRef, SampleView, TaskView};

/// Test samples shown per class in the dataset browser.
const SHOWN_PER_CLASS: usize = 4;

pub fn sample_view(sample: &Sample, at: SampleRef) -> SampleView {
    SampleView {
        at,
        png: png_url(sample.pixels()),
        // a drawing or a spoken word has no caption: say what it is
        caption: match sample.text() {
            Some(t) => t.to_string(),
            None => sample
                .inputs
                .keys()
                .map(|m| format!("({})", m.name()))
                .collect::<Vec<_>>()
                .join(" "),
        },
    }
}

/// The sample a reference names, if the stream has it.
pub fn lookup(scenario: &Scenario, at: SampleRef) -> Option<&Sample> {
    scenario
        .tasks
        .get(at.task.checked_sub(1)?)
        .and_then(|t| t.test.get(at.index))
}

/// Every task's classes with a few test samples each. Tasks after
/// `bundled` are the user's.
pub fn dataset_view(scenario: &Scenario, bundled: usize) -> DatasetView {
    let tasks = scenario
        .tasks
        .iter()
        .map(|t| TaskView {
            index: t.index,
            custom: t.index > bundled,
            modalities: t.modalities.iter().map(|m| m.name().to_string()).collect(),
            classes: t
                .classes
                .iter()
                .map(|&c| ClassView {
                    name: scenario.class_names[c].clone(),
                    train: t.train.iter().filter(|s| s.label == c).count(),
                    test: t.test.iter().filter(|s| s.label == c).count(),
                    samples: t
                        .test
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.label == c)
                        .take(SHOWN_PER_CLASS)
                        .map(|(i, s)| {
                            sample_view(
                                s,
                                SampleRef {
                                    task: t.index,
                                    index: i,
                                },
                            )
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    DatasetView {
        scenario: scenario.name.clone(),
        tasks,
    }
}

/// Where `model` (trained through `after_task`) looks for `sample`, and what it predicts.
pub async fn map_view(
    model: &Model,
    sample: &Sample,
    env: &Env,
    after_task: usize,
    names: &[String],
) -> MapView {
    let (snap, best) = look(model, sample, env, after_task, 0, 1).await;
    let (class, probability) = best.first().copied().unwrap_or((0, 0.0));
    MapView {
        after_task,
        image: snap.image,
        side: snap.side,
        words: snap.words,
        text: snap.text,
        predicted: names.get(class).cloned().unwrap_or_default(),
        probability,
    }
}
