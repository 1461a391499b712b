//! The modality-incremental scenarios (MERA's and MoDE's setting): every task
//! has the same classes, and each brings a modality — image–caption pairs,
//! then sketches, then spoken words (`modality`), or the other way round
//! (`modality-reverse`); `modality-sketch` stops after the sketches — so
//! that what is learnt or forgotten is a modality, not a class. In
//! `modality-halves` each modality comes twice, in four tasks: pairs and then
//! sketches of the first half of the classes, then of the second half, so
//! that a task meets its modality again later (intra-modal forgetting, as
//! MoDE separates it) as well as the other one.

use std::sync::OnceLock;

use super::entity::{EntityOptions, entity_scenario_of};
use super::pack::Pack;
use super::prep::{augment, shift_repeating_edges};
use super::sample::{Input, Modality, Sample};
use super::scenario::{Scenario, Task, rng_for, split};

/// The order in which a modality scenario brings its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Image–caption pairs, then sketches, then spoken words, of every class.
    Forward,
    /// Spoken words first, then sketches, then pairs.
    Reverse,
    /// Pairs, then sketches, of every class (no speech).
    Sketches,
    /// Pairs, then sketches, of the first half of the classes; then the
    /// same of the second half.
    Halves,
}

/// The scenario names and their orders.
pub const MODALITY_SCENARIOS: [(&str, Order); 4] = [
    ("modality", Order::Forward),
    ("modality-reverse", Order::Reverse),
    ("modality-sketch", Order::Sketches),
    ("modality-halves", Order::Halves),
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
    /// Copies of every training spoken word: the word as it is, then
    /// shifted a little in time and pitch (the edges repeated).
    pub speech_copies: usize,
    /// Share of each class's drawings held out for testing.
    pub test_fraction: f64,
}

impl ModalityOptions {
    /// How many times a training sample of `modality` is given (1 for the
    /// pairs, whose copies are `entity.train_copies`).
    pub fn copies(&self, modality: Modality) -> usize {
        match modality {
            Modality::Sketch => self.sketch_copies,
            Modality::Speech => self.speech_copies,
            Modality::Image | Modality::Text => 1,
        }
    }
}

impl Default for ModalityOptions {
    fn default() -> Self {
        ModalityOptions {
            classes: 8,
            sketch_copies: 4,
            speech_copies: 4,
            test_fraction: 0.25,
        }
    }
}

static SKETCH_PACK: OnceLock<Pack> = OnceLock::new();
static SPEECH_PACK: OnceLock<Pack> = OnceLock::new();

fn slot(modality: Modality) -> Option<&'static OnceLock<Pack>> {
    match modality {
        Modality::Sketch => Some(&SKETCH_PACK),
        Modality::Speech => Some(&SPEECH_PACK),
        Modality::Image | Modality::Text => None,
    }
}

/// The file in `public/` (and beside the app's page) of a modality's pack.
pub fn pack_file(modality: Modality) -> Option<&'static str> {
    match modality {
        Modality::Sketch => Some("quickdraw-32.pack"),
        Modality::Speech => Some("speech-32.pack"),
        Modality::Image | Modality::Text => None,
    }
}

/// The packs of other modalities than the image pack's that scenario `name`
/// reads (none for a scenario that is not a modality scenario).
pub fn packs_needed(name: &str) -> Vec<Modality> {
    match MODALITY_SCENARIOS.iter().find(|(n, _)| *n == name) {
        Some((_, Order::Forward | Order::Reverse)) => vec![Modality::Sketch, Modality::Speech],
        Some((_, Order::Sketches | Order::Halves)) => vec![Modality::Sketch],
        None => Vec::new(),
    }
}

/// Hands the crate the pack of `modality` (the browser fetches the packs
/// beside the page rather than carrying them in its download). The bytes
/// must decode to a pack of that modality; a pack already there stays.
pub fn provide(modality: Modality, bytes: &[u8]) -> Result<(), String> {
    let slot = slot(modality).ok_or_else(|| format!("{} has no pack", modality.name()))?;
    if slot.get().is_some() {
        return Ok(());
    }
    let pack = Pack::decode(bytes).map_err(|e| format!("the {} pack: {e}", modality.name()))?;
    if pack.modality != modality.name() {
        return Err(format!(
            "the {} pack holds {} pictures",
            modality.name(),
            pack.modality
        ));
    }
    let _ = slot.set(pack);
    Ok(())
}

/// Whether the pack of `modality` is there (always, natively).
pub fn provided(modality: Modality) -> bool {
    cfg!(not(target_arch = "wasm32")) || slot(modality).is_some_and(|s| s.get().is_some())
}

/// The pack of `modality`: natively the file compiled into the crate,
/// decoded on first use; in the browser the one [`provide`] was given.
fn pack_of(modality: Modality) -> Result<&'static Pack, String> {
    let slot = slot(modality).ok_or_else(|| format!("{} has no pack", modality.name()))?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let (bytes, file): (&'static [u8], _) = match modality {
            Modality::Speech => (
                include_bytes!("../../../public/speech-32.pack"),
                "speech-32.pack",
            ),
            _ => (
                include_bytes!("../../../public/quickdraw-32.pack"),
                "quickdraw-32.pack",
            ),
        };
        Ok(slot.get_or_init(|| {
            Pack::decode(bytes)
                .unwrap_or_else(|e| panic!("bundled pack public/{file} is corrupt: {e}"))
        }))
    }
    #[cfg(target_arch = "wasm32")]
    slot.get().ok_or_else(|| {
        format!(
            "the {} pack ({}) is not loaded",
            modality.name(),
            pack_file(modality).unwrap_or_default()
        )
    })
}

/// The sketch pack (Quick, Draw!, 32×32, grey).
///
/// # Panics
/// Natively, only if the bundled file is corrupt, which the unit tests rule out.
pub fn sketches() -> Result<&'static Pack, String> {
    pack_of(Modality::Sketch)
}

/// The speech pack (OpenMoji names spoken by espeak-ng and flite, as
/// log-mel pictures: `tools/build_speech_pack.py`).
///
/// # Panics
/// As [`sketches`].
pub fn speech() -> Result<&'static Pack, String> {
    pack_of(Modality::Speech)
}

/// Drawings or recordings a user gives of a class, at least this many.
pub const MIN_USER_SAMPLES: usize = 2;

/// One more training copy of a drawing or a spoken word's picture, as the
/// packs' tasks and a user's own make them: a drawing shifted by up to 2
/// pixels and jittered in contrast; a spoken word shifted by up to 2 frames
/// in time and 1 band in pitch, its edges repeated (its picture is dark
/// where it is quiet: a plain shift would bring in white, loud bands).
fn jittered_copy(modality: Modality, px: &[u8], rng: &mut impl rand::Rng) -> Vec<u8> {
    match modality {
        Modality::Speech => shift_repeating_edges(px, rng, 2, 1),
        _ => augment(px, rng, 2, 0.1),
    }
}

/// A task of the user's own `modality` samples of classes the stream has
/// (`(label, pixels)`, pixels as a pack's; `names` the stream's class names,
/// for the errors): a quarter of each class's held
/// out for testing (at least one), the others trained on `copies` times
/// (a drawing's copies shifted a little and jittered in contrast, as the
/// pack's drawings). `index` is 0: the caller numbers it.
pub fn user_task(
    modality: Modality,
    samples: &[(usize, Vec<u8>)],
    names: &[String],
    seed: u64,
    copies: usize,
) -> Result<Task, String> {
    use super::sample::{IMAGE_BYTES, InputKind};
    if modality.kind() != InputKind::Pixels || modality == Modality::Image {
        return Err(format!("{} cannot be added this way", modality.name()));
    }
    if samples.iter().any(|(_, px)| px.len() != IMAGE_BYTES) {
        return Err(format!("a {} picture has the wrong size", modality.name()));
    }
    let mut classes: Vec<usize> = samples.iter().map(|s| s.0).collect();
    classes.sort_unstable();
    classes.dedup();
    if classes.is_empty() {
        return Err(format!("no {} samples were given", modality.name()));
    }
    let mut task = Task {
        index: 0,
        classes: classes.clone(),
        modalities: vec![modality],
        train: Vec::new(),
        test: Vec::new(),
    };
    let mut rng = rng_for(seed, &format!("user/{}", modality.name()));
    let sample = |label: usize, px: Vec<u8>| Sample::new(label).with(modality, Input::Pixels(px));
    for &label in &classes {
        let mine: Vec<&Vec<u8>> = samples
            .iter()
            .filter(|s| s.0 == label)
            .map(|s| &s.1)
            .collect();
        if mine.len() < MIN_USER_SAMPLES {
            let name = names
                .get(label)
                .cloned()
                .unwrap_or_else(|| label.to_string());
            return Err(format!(
                "{name:?} has {} {} sample(s): give at least {MIN_USER_SAMPLES}",
                mine.len(),
                modality.name()
            ));
        }
        // every fourth to the test set, the first of them the second given
        let tested = (mine.len() / 4).max(1);
        for (i, px) in mine.iter().enumerate() {
            if i % 4 == 1 && task.test.iter().filter(|s| s.label == label).count() < tested {
                task.test.push(sample(label, px.to_vec()));
            } else {
                task.train.push(sample(label, px.to_vec()));
                for _ in 1..copies.max(1) {
                    task.train
                        .push(sample(label, jittered_copy(modality, px, &mut rng)));
                }
            }
        }
    }
    Ok(task)
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
    let sketch = || sketch_task(sketches, &classes, &all_labels, seed, opts);
    let mut tasks = match order {
        Order::Sketches => vec![image_text(), sketch()],
        Order::Forward => vec![
            image_text(),
            sketch(),
            speech_task(speech()?, &classes, seed, opts)?,
        ],
        Order::Reverse => vec![
            speech_task(speech()?, &classes, seed, opts)?,
            sketch(),
            image_text(),
        ],
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
                let px = jittered_copy(Modality::Sketch, sketches.image(i), &mut rng);
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
/// voices of [`SPEECH_TEST_VOICES`] tested, the others trained on
/// `opts.speech_copies` times.
fn speech_task(
    speech: &Pack,
    classes: &[String],
    seed: u64,
    opts: &ModalityOptions,
) -> Result<Task, String> {
    let mut rng = rng_for(seed, "modality/speech");
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
        let word = |px: Vec<u8>| {
            Sample::new(label)
                .with(Modality::Speech, Input::Pixels(px))
                .from_item(i)
        };
        let voice = item.tags.first().map(String::as_str).unwrap_or_default();
        if SPEECH_TEST_VOICES.contains(&voice) {
            task.test.push(word(speech.image(i).to_vec()));
        } else {
            task.train.push(word(speech.image(i).to_vec()));
            for _ in 1..opts.speech_copies {
                task.train.push(word(jittered_copy(
                    Modality::Speech,
                    speech.image(i),
                    &mut rng,
                )));
            }
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
        of(if reverse {
            Order::Reverse
        } else {
            Order::Forward
        })
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
        assert_eq!(s.tasks.len(), 3);
        assert_eq!(
            (1..=3).map(|k| s.classes_after(k)).collect::<Vec<_>>(),
            [8; 3]
        );
        assert_eq!(s.modalities(), Modality::ALL);
        let (it, sk, sp) = (&s.tasks[0], &s.tasks[1], &s.tasks[2]);
        assert_eq!(it.modalities, Modality::IMAGE_TEXT);
        assert_eq!(sk.modalities, [Modality::Sketch]);
        assert_eq!(sp.modalities, [Modality::Speech]);
        for t in [it, sk, sp] {
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

    /// The reverse order brings the same tasks, spoken words first; the
    /// sketch stream is the forward one's first two tasks.
    #[test]
    fn the_reverse_order_starts_with_the_spoken_words_and_is_seeded() {
        let (a, b, c) = (scenario(false), scenario(true), of(Order::Sketches));
        b.validate().unwrap();
        c.validate().unwrap();
        assert_eq!(b.tasks[0].modalities, [Modality::Speech]);
        assert_eq!(b.tasks[1].index, 2);
        for k in 0..3 {
            assert_eq!(a.tasks[k].test, b.tasks[2 - k].test);
            assert_eq!(a.tasks[k].train, b.tasks[2 - k].train);
        }
        assert_eq!(c.tasks.len(), 2);
        for (x, y) in c.tasks.iter().zip(&a.tasks) {
            assert_eq!(
                (&x.modalities, &x.train, &x.test),
                (&y.modalities, &y.train, &y.test)
            );
        }
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
                Order::Sketches,
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
        let s = of(Order::Forward);
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
        // six voices trained (each word 4 times: as it is, then shifted),
        // two tested, every word in each
        assert_eq!(sp.train.len(), 3 * 4 * sp.test.len());
        let picture = |x: &Sample| x.input(Modality::Speech).cloned();
        let mut unshifted = 0;
        for copies in sp.train.chunks(4) {
            let i = copies[0].item.unwrap();
            assert!(copies.iter().all(|y| y.item == Some(i)));
            let first = picture(&copies[0]);
            assert_eq!(first, Some(Input::Pixels(pack.image(i).to_vec())));
            unshifted += copies[1..].iter().filter(|y| picture(y) == first).count();
        }
        // a copy is left as it is only when both shifts come out 0 (1 in 15)
        let copies = sp.train.len() * 3 / 4;
        assert!(
            unshifted * 10 < copies,
            "{unshifted} of {copies} copies unshifted"
        );
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

    #[test]
    fn a_users_samples_make_a_task_with_a_test_sample_per_class() {
        let px = |v: u8| vec![v; IMAGE_BYTES];
        let given: Vec<(usize, Vec<u8>)> = (0..8)
            .map(|i| (3, px(i)))
            .chain([(1, px(100)), (1, px(101))])
            .collect();
        let t = user_task(Modality::Sketch, &given, &[], 5, 4).unwrap();
        assert_eq!(t.classes, [1, 3]);
        assert_eq!(t.modalities, [Modality::Sketch]);
        let count = |v: &[Sample], l: usize| v.iter().filter(|s| s.label == l).count();
        assert_eq!((count(&t.test, 3), count(&t.test, 1)), (2, 1));
        // the rest trained on, four times each (the first as drawn)
        assert_eq!((count(&t.train, 3), count(&t.train, 1)), (24, 4));
        let tested: Vec<&Input> = t
            .test
            .iter()
            .map(|s| s.input(Modality::Sketch).unwrap())
            .collect();
        assert!(tested.contains(&&Input::Pixels(px(101))));
        assert!(
            !t.train
                .iter()
                .any(|s| s.input(Modality::Sketch) == Some(&Input::Pixels(px(101))))
        );
        // a spoken word's copies are shifted with their edges repeated, as
        // the speech pack's: no value that the word does not have comes in
        let ramp = |k: usize| -> Vec<u8> {
            (0..IMAGE_BYTES)
                .map(|b| (4 * (b / 3 % 32) + 2 * (b / 96) + k) as u8)
                .collect()
        };
        let words: Vec<(usize, Vec<u8>)> = (0..4).map(|k| (1, ramp(k))).collect();
        let given: Vec<Vec<u8>> = (0..4).map(ramp).collect();
        let t = user_task(Modality::Speech, &words, &[], 5, 3).unwrap();
        assert_eq!((t.train.len(), t.test.len()), (9, 1));
        let mut shifted = 0;
        for s in &t.train {
            let Some(Input::Pixels(p)) = s.input(Modality::Speech) else {
                panic!("a spoken word without its picture");
            };
            assert!(p.iter().all(|v| given.iter().any(|g| g.contains(v))));
            shifted += usize::from(!given.contains(p));
        }
        assert!(shifted >= 4, "{shifted} of 6 copies shifted");
    }

    #[test]
    fn a_users_samples_are_checked() {
        let one = vec![(2, vec![0; IMAGE_BYTES])];
        let names: Vec<String> = ["a", "b", "cat"].map(String::from).to_vec();
        let err = user_task(Modality::Sketch, &one, &names, 1, 2).unwrap_err();
        assert!(
            err.contains("\"cat\" has 1 sketch") && err.contains("at least 2"),
            "{err}"
        );
        assert!(user_task(Modality::Sketch, &[], &[], 1, 2).is_err());
        let small = vec![(2, vec![0; 5]), (2, vec![0; 5])];
        assert!(
            user_task(Modality::Speech, &small, &[], 1, 2)
                .unwrap_err()
                .contains("wrong size")
        );
        let two = vec![(2, vec![0; IMAGE_BYTES]), (2, vec![0; IMAGE_BYTES])];
        assert!(user_task(Modality::Text, &two, &[], 1, 2).is_err());
        assert!(user_task(Modality::Image, &two, &[], 1, 2).is_err());
    }

    #[test]
    fn a_pack_is_provided_only_as_its_own_modality() {
        for name in ["modality-sketch", "modality-halves"] {
            assert_eq!(packs_needed(name), [Modality::Sketch]);
        }
        for name in ["modality", "modality-reverse"] {
            assert_eq!(packs_needed(name), [Modality::Sketch, Modality::Speech]);
        }
        assert!(packs_needed("entity").is_empty());
        assert_eq!(pack_file(Modality::Speech), Some("speech-32.pack"));
        // the sketch pack is no speech pack, nor are random bytes a pack
        let sketch_bytes = include_bytes!("../../../public/quickdraw-32.pack");
        assert!(provide(Modality::Text, sketch_bytes).is_err());
        assert!(provide(Modality::Sketch, sketch_bytes).is_ok());
        assert!(provided(Modality::Sketch) && provided(Modality::Speech));
    }
}
