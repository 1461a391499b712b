//! What the page shows of the stream and of the models, built in the worker
//! so the page only renders.

use base64::Engine;
use palimpsest_core::data::{IMAGE_SIZE, Sample, Scenario};
use palimpsest_core::model::Model;
use palimpsest_core::run::{attention, top_k};
use palimpsest_core::strategy::Env;

use crate::protocol::{ClassView, DatasetView, MapView, SampleRef, SampleView, TaskView};

/// Test samples shown per class in the dataset browser.
const SHOWN_PER_CLASS: usize = 4;

/// A 32×32 RGB image as a PNG data URL (empty when the sample has no image).
pub fn png_url(rgb: Option<&Vec<u8>>) -> String {
    let Some(px) = rgb else {
        return String::new();
    };
    let side = IMAGE_SIZE as u32;
    let Some(img) = image::RgbImage::from_raw(side, side, px.clone()) else {
        return String::new();
    };
    let mut out = std::io::Cursor::new(Vec::new());
    if img.write_to(&mut out, image::ImageFormat::Png).is_err() {
        return String::new();
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    )
}

pub fn sample_view(sample: &Sample, at: SampleRef) -> SampleView {
    SampleView {
        at,
        png: png_url(sample.image.as_ref()),
        caption: sample.text.clone().unwrap_or_default(),
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
    let snap = attention(model, sample, env, after_task, 0).await;
    let best = top_k(model, sample, env, 1).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_urls_decode_back_to_the_pixels() {
        let px: Vec<u8> = (0..IMAGE_SIZE * IMAGE_SIZE * 3).map(|i| i as u8).collect();
        let url = png_url(Some(&px));
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let back = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(back.into_raw(), px);
        assert_eq!(png_url(None), "");
        assert_eq!(png_url(Some(&vec![1, 2])), "");
    }
}
