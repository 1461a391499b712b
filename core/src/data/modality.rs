//! The modality-incremental scenarios (MERA's and MoDE's setting): every task
//! has the same classes, and each brings a modality — image–caption pairs,
//! then sketches (`modality`), or the other way round (`modality-reverse`) —
//! so that what is learnt or forgotten is a modality, not a class. In
//! `modality-halves` each modality comes twice, in four tasks: pairs and then
//! sketches of the first half of the classes, then of the second half, so
//! that a task meets its modality again later (intra-modal forgetting, as
//! MoDE separates it) as well as the other one.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::OnceLock;

use super::entity::{EntityOptions, entity_scenario_of};
use super::pack::Pack;
use super::prep::augment;
use super::sample::{Input, Modality, Sample};
use super::scenario::{Scenario, Task, rng_for, split};

/// The order in which a modality scenario brings its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Image–caption pairs of every class, then sketches of every class.
    ImageTextFirst,
    /// Sketches first, then pairs.
    SketchFirst,
    /// Pairs, then sketches, of the first half of the classes; then the
    /// same of the second half.
    Halves,
    /// Pairs, then sketches, then spoken words of every class.
    WithSpeech,
}

/// The scenario names and their orders.
pub const MODALITY_SCENARIOS: [(&str, Order); 4] = [
    ("modality", Order::ImageTextFirst),
    ("modality-reverse", Order::SketchFirst),
    ("modality-halves", Order::Halves),
    ("modality-speech", Order::WithSpeech),
];

/// The voices of the speech pack held out for testing (its items' first
/// tag): one of espeak-ng's, clean, and one of flite's, roughened. A word
/// is tested in voices it was never trained in.
pub const SPEECH_TEST_VOICES: [&str; 2] = ["espeak-scotland-m1", "flite-slt"];

/// Knobs of the modality scenarios. The image–caption task takes the entity
/// scenario's settings (`entity.*`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ModalityOptions {
    /// The first this many classes of the sketch pack (its order is the
    /// bundled pack's).
    pub classes: usize,
    /// Augmented copies of every training drawing.
    pub sketch_copies: usize,
    /// Share of each class's drawings held out for testing.
    pub test_fraction: f64,
}

impl Default for ModalityOptions {
    fn default() -> Self {
        ModalityOptions {
            classes: 8,
            sketch_copies: 4,
            test_fraction: 0.25,
        }
    }
}

/// The sketch pack compiled into the crate (Quick, Draw!, 32×32, grey),
/// decoded on first use. Native builds only for now: the app offers no
/// modality scenario yet, so its download does not carry the pack.
///
/// # Panics
/// Only if the bundled file is corrupt, which the unit tests rule out.
#[cfg(not(target_arch = "wasm32"))]
pub fn sketches() -> Result<&'static Pack, String> {
    static SKETCH_BYTES: &[u8] = include_bytes!("../../../public/quickdraw-32.pack");
    static PACK: OnceLock<Pack> = OnceLock::new();
    Ok(PACK.get_or_init(|| {
        Pack::decode(SKETCH_BYTES)
            .unwrap_or_else(|e| panic!("bundled pack public/quickdraw-32.pack is corrupt: {e}"))
    }))
}

/// The speech pack compiled into the crate (OpenMoji names spoken by
/// espeak-ng and flite, as log-mel pictures: `tools/build_speech_pack.py`),
/// decoded on first use. Native builds only, as the sketches.
///
/// # Panics
/// Only if the bundled file is corrupt, which the unit tests rule out.
#[cfg(not(target_arch = "wasm32"))]
pub fn speech() -> Result<&'static Pack, String> {
    static SPEECH_BYTES: &[u8] = include_bytes!("../../../public/speech-32.pack");
    static PACK: OnceLock<Pack> = OnceLock::new();
    Ok(PACK.get_or_init(|| {
        Pack::decode(SPEECH_BYTES)
            .unwrap_or_else(|e| panic!("bundled pack public/speech-32.pack is corrupt: {e}"))
    }))
}

/// In the browser: not yet (see the native build's).
#[cfg(target_arch = "wasm32")]
pub fn speech() -> Result<&'static Pack, String> {
    Err("the speech scenario runs in the CLI only so far (the web build has no speech pack)".into())
}

/// In the browser: not yet (see the native build's).
#[cfg(target_arch = "wasm32")]
pub fn sketches() -> Result<&'static Pack, String> {
    Err(
        "the modality scenarios run in the CLI only so far (the web build has no sketch pack)"
            .into(),
    )
}

/// Builds a modality scenario: the image–caption pairs of `pack` and the
/// drawings of `sketches` over the first `opts.classes` classes of
/// `sketches`, fixed by `seed`, in `order`.
pub fn modality_scenario(
    pack: &Pack,
    sketches: &Pack,
    name: &str,
    order: Order,
    seed: u64,
    entity: &EntityOptions,
    opts: &ModalityOptions,
) -> Result<Scenario, String> {
    let all = sketches.tasks.concat();
    if opts.classes < 2 || opts.classes > all.len() {
        return Err(format!(
            "modality.classes = {} must be between 2 and {} (the sketch pack's classes)",
            opts.classes,
            all.len()
        ));
    }
    let classes: Vec<String> = all[..opts.classes].to_vec();
    if let Some(c) = classes
        .iter()
        .find(|c| !pack.items.iter().any(|it| &it.subgroup == *c))
    {
        return Err(format!("the image pack has no items of the class {c:?}"));
    }

    let all_labels: Vec<usize> = (0..classes.len()).collect();
    // the image–caption task of every class: the entity scenario over them
    let image_text = || {
        entity_scenario_of(pack, std::slice::from_ref(&classes), seed, entity)
            .tasks
            .pop()
            .expect("one task")
    };
    let mut tasks = match order {
        Order::ImageTextFirst | Order::SketchFirst => {
            let image_text = image_text();
            let sketch = sketch_task(sketches, &classes, &all_labels, seed, opts);
            if order == Order::SketchFirst {
                vec![sketch, image_text]
            } else {
                vec![image_text, sketch]
            }
        }
        Order::Halves => {
            let (first, second) = all_labels.split_at(classes.len() / 2);
            let halves = [
                classes[..first.len()].to_vec(),
                classes[first.len()..].to_vec(),
            ];
            let image_text = entity_scenario_of(pack, &halves, seed, entity).tasks;
            let mut tasks = Vec::new();
            for (pairs, labels) in image_text.into_iter().zip([first, second]) {
                tasks.push(pairs);
                tasks.push(sketch_task(sketches, &classes, labels, seed, opts));
            }
            tasks
        }
        Order::WithSpeech => {
            vec![
                image_text(),
                sketch_task(sketches, &classes, &all_labels, seed, opts),
                speech_task(speech()?, &classes)?,
            ]
        }
    };
    for (k, t) in tasks.iter_mut().enumerate() {
        t.index = k + 1;
    }
    Ok(Scenario {
        name: name.into(),
        class_names: classes,
        tasks,
        none_class: None,
    })
}

/// The sketch task over the classes `labels` (indices into `classes`): each
/// class's drawings split by `seed` (the same split whichever task holds
/// the class), the training ones augmented `opts.sketch_copies` times.
fn sketch_task(
    sketches: &Pack,
    classes: &[String],
    labels: &[usize],
    seed: u64,
    opts: &ModalityOptions,
) -> Task {
    let mut sketch = Task {
        index: 0,
        classes: labels.to_vec(),
        modalities: vec![Modality::Sketch],
        train: Vec::new(),
        test: Vec::new(),
    };
    for &label in labels {
        let class = &classes[label];
        let members: Vec<usize> = (0..sketches.items.len())
            .filter(|&i| &sketches.items[i].subgroup == class)
            .collect();
        let (train, test) = split(
            &members,
            opts.test_fraction,
            &mut rng_for(seed, &format!("modality/split/{class}")),
        );
        let mut rng = rng_for(seed, &format!("modality/{class}"));
        let drawing = |px: Vec<u8>| Sample::new(label).with(Modality::Sketch, Input::Pixels(px));
        for _ in 0..opts.sketch_copies {
            for &i in &train {
                let px = augment(sketches.image(i), &mut rng, 2, 0.1);
                sketch.train.push(drawing(px).from_item(i));
            }
        }
        for &i in &test {
            sketch
                .test
                .push(drawing(sketches.image(i).to_vec()).from_item(i));
        }
    }
    sketch
}

/// The spoken words of `classes` (their labels their index there): the
/// voices of [`SPEECH_TEST_VOICES`] tested, the others trained on.
fn speech_task(speech: &Pack, classes: &[String]) -> Result<Task, String> {
    let mut task = Task {
        index: 0,
        classes: (0..classes.len()).collect(),
        modalities: vec![Modality::Speech],
        train: Vec::new(),
        test: Vec::new(),
    };
    for (i, item) in speech.items.iter().enumerate() {
        let Some(label) = classes.iter().position(|c| *c == item.subgroup) else {
            continue;
        };
        let sample = Sample::new(label)
            .with(Modality::Speech, Input::Pixels(speech.image(i).to_vec()))
            .from_item(i);
        let voice = item.tags.first().map(String::as_str).unwrap_or_default();
        if SPEECH_TEST_VOICES.contains(&voice) {
            task.test.push(sample);
        } else {
            task.train.push(sample);
        }
    }
    if let Some(c) = classes
        .iter()
        .enumerate()
        .find(|&(l, _)| !task.test.iter().any(|s| s.label == l))
    {
        return Err(format!(
            "the speech pack has no test words of the class {:?}",
            c.1
        ));
    }
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pack::bundled;
    use crate::data::sample::IMAGE_BYTES;

    fn scenario(reverse: bool) -> Scenario {
        let order = if reverse {
            Order::SketchFirst
        } else {
            Order::ImageTextFirst
        };
        of(order)
    }

    fn of(order: Order) -> Scenario {
        modality_scenario(
            bundled(),
            sketches().unwrap(),
            "modality",
            order,
            3,
            &EntityOptions::default(),
            &ModalityOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn every_task_has_the_same_classes_and_brings_one_modality() {
        let s = scenario(false);
        s.validate().unwrap();
        assert_eq!(s.class_names.len(), 8);
        assert_eq!(s.class_names[0], "animal-mammal");
        assert_eq!(s.tasks.len(), 2);
        assert_eq!(s.classes_after(1), 8);
        assert_eq!(s.classes_after(2), 8);
        assert_eq!(
            s.modalities(),
            [Modality::Image, Modality::Text, Modality::Sketch]
        );
        let (it, sk) = (&s.tasks[0], &s.tasks[1]);
        assert_eq!(it.modalities, Modality::IMAGE_TEXT);
        assert_eq!(sk.modalities, [Modality::Sketch]);
        for t in [it, sk] {
            assert_eq!(t.classes, (0..8).collect::<Vec<_>>());
            for c in 0..8 {
                assert!(t.test.iter().any(|x| x.label == c), "class {c}");
                assert!(t.train.iter().any(|x| x.label == c), "class {c}");
            }
            for x in t.train.iter().chain(&t.test) {
                let has: Vec<Modality> = x.inputs.keys().copied().collect();
                assert_eq!(has, t.modalities);
            }
        }
        // 200 drawings a class: 50 held out, 150 trained on 4 times.
        assert_eq!(sk.test.len(), 8 * 50);
        assert_eq!(sk.train.len(), 8 * 150 * 4);
        // No drawing is both trained and tested on, and the drawings are
        // of the class they are labelled with.
        for x in &sk.test {
            let i = x.item.unwrap();
            assert!(sk.train.iter().all(|y| y.item != Some(i)));
            assert_eq!(
                sketches().unwrap().items[i].subgroup,
                s.class_names[x.label],
                "drawing {i}"
            );
        }
    }

    #[test]
    fn the_reverse_order_starts_with_the_sketches_and_is_seeded() {
        let (a, b) = (scenario(false), scenario(true));
        b.validate().unwrap();
        assert_eq!(b.tasks[0].modalities, [Modality::Sketch]);
        assert_eq!(b.tasks[1].index, 2);
        assert_eq!(a.tasks[1].test, b.tasks[0].test);
        assert_eq!(a.tasks[0].test, b.tasks[1].test);
        assert_eq!(scenario(false).tasks[1].train, a.tasks[1].train);
    }

    #[test]
    fn a_class_count_out_of_range_is_an_error() {
        for classes in [0, 1, 16] {
            let opts = ModalityOptions {
                classes,
                ..ModalityOptions::default()
            };
            let err = modality_scenario(
                bundled(),
                sketches().unwrap(),
                "modality",
                Order::ImageTextFirst,
                1,
                &EntityOptions::default(),
                &opts,
            )
            .unwrap_err();
            assert!(err.contains("between 2 and 15"), "{err}");
        }
    }

    /// Halves: four tasks, each modality twice, over the two halves of the
    /// classes; each task is the matching part of the two-task stream's.
    #[test]
    fn halves_bring_each_modality_twice_over_half_the_classes() {
        let (s, whole) = (of(Order::Halves), scenario(false));
        s.validate().unwrap();
        assert_eq!(s.tasks.len(), 4);
        assert_eq!(s.class_names, whole.class_names);
        let modalities: Vec<&[Modality]> = s.tasks.iter().map(|t| &t.modalities[..]).collect();
        let (it, sk) = (&Modality::IMAGE_TEXT[..], &[Modality::Sketch][..]);
        assert_eq!(modalities, [it, sk, it, sk]);
        let after: Vec<usize> = (1..=4).map(|k| s.classes_after(k)).collect();
        assert_eq!(after, [4, 4, 8, 8]);
        for (t, half) in s.tasks.iter().zip([0..4, 0..4, 4..8, 4..8]) {
            assert_eq!(t.classes, half.clone().collect::<Vec<_>>());
            assert!(t.test.iter().all(|x| half.contains(&x.label)));
        }
        let part = |t: &Task, half: std::ops::Range<usize>| -> Vec<Sample> {
            t.test
                .iter()
                .filter(|x| half.contains(&x.label))
                .cloned()
                .collect()
        };
        assert_eq!(s.tasks[1].test, part(&whole.tasks[1], 0..4));
        assert_eq!(s.tasks[3].test, part(&whole.tasks[1], 4..8));
    }

    /// With speech: a third task of spoken words of every class, tested in
    /// voices it never trained in, on the same words.
    #[test]
    fn the_speech_task_tests_held_out_voices_saying_trained_words() {
        let s = of(Order::WithSpeech);
        s.validate().unwrap();
        assert_eq!(s.tasks.len(), 3);
        assert_eq!(s.modalities(), Modality::ALL);
        let sp = &s.tasks[2];
        assert_eq!(sp.modalities, [Modality::Speech]);
        assert_eq!(sp.classes, (0..8).collect::<Vec<_>>());
        let pack = speech().unwrap();
        let voice = |x: &Sample| pack.items[x.item.unwrap()].tags[0].clone();
        let word = |x: &Sample| pack.items[x.item.unwrap()].annotation.clone();
        assert!(
            sp.test
                .iter()
                .all(|x| SPEECH_TEST_VOICES.contains(&voice(x).as_str()))
        );
        assert!(
            sp.train
                .iter()
                .all(|x| !SPEECH_TEST_VOICES.contains(&voice(x).as_str()))
        );
        // six voices trained, two tested, every word in each
        assert_eq!(sp.train.len(), 3 * sp.test.len());
        for x in &sp.test {
            assert!(sp.train.iter().any(|y| word(y) == word(x)));
            assert_eq!(pack.items[x.item.unwrap()].subgroup, s.class_names[x.label]);
            let Some(Input::Pixels(px)) = x.input(Modality::Speech) else {
                panic!("a spoken word without its picture");
            };
            assert_eq!(px.len(), IMAGE_BYTES);
        }
        assert_eq!(pack.modality, "speech");
        assert_eq!(pack.tasks[0], sketches().unwrap().tasks[0]);
    }
}
