use super::*;
use crate::data::Modality;
use crate::run::record::Divergence;
use crate::run::top_k;
use crate::strategy::LrFactors;
use crate::strategy::StrategyConfig;
use crate::strategy::fault::Faulty;
use crate::strategy::losses::cross_entropy;
use crate::strategy::params::flat_params;

/// A small, fast config: the bundled entity scenario with fewer copies.
fn small(strategy: StrategyConfig) -> RunConfig {
    let mut c = RunConfig {
        strategy,
        epochs: 1,
        seed: 11,
        ..RunConfig::default()
    };
    c.model.fusion = c.strategy.needs_fusion();
    c.entity.train_copies = 1;
    c.entity.test_copies = 1;
    c
}

fn run(config: RunConfig) -> (RunRecord, Vec<Event>) {
    drain(&mut Runner::native(config, None).unwrap())
}

#[test]
fn same_seed_same_record_on_cpu() {
    let (a, _) = run(small(StrategyConfig::by_name("mspt").unwrap()));
    let (b, _) = run(small(StrategyConfig::by_name("mspt").unwrap()));
    assert_eq!(a.without_timing(), b.without_timing());
    let mut other = small(StrategyConfig::by_name("mspt").unwrap());
    other.seed = 12;
    let (c, _) = run(other);
    assert_ne!(a.measured.acc_matrix, c.measured.acc_matrix);
}

#[test]
fn every_strategy_runs_to_a_full_record() {
    for name in StrategyConfig::NAMES {
        let (rec, events) = run(small(StrategyConfig::by_name(name).unwrap()));
        let t = rec.tasks.len();
        assert_eq!(rec.measured.acc_matrix.len(), t, "{name}");
        assert!(rec.measured.acc_matrix.iter().all(|r| r.len() == t));
        assert_eq!(rec.measured.a.len(), t);
        assert_eq!(rec.metrics.acc.len(), t);
        assert!(rec.metrics.bwt.is_some());
        assert!(!rec.measured.gamma.is_empty());
        assert!(
            rec.measured.loss.iter().all(|l| l.loss.is_finite()),
            "{name}: non-finite loss"
        );
        let evaluated = events
            .iter()
            .filter(|e| matches!(e, Event::TaskEvaluated { .. }))
            .count();
        assert_eq!(evaluated, t);
        // JSON round trip of the record, with the names METRICS.md fixes
        let json = serde_json::to_value(&rec).unwrap();
        for key in [
            "version",
            "config",
            "tasks",
            "acc_matrix",
            "f1_matrix",
            "random_init",
            "A",
            "U",
            "metrics",
            "gamma",
            "timing",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        let back: RunRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back.without_timing(), rec.without_timing());
    }
}

#[test]
fn training_learns_the_first_task() {
    let (rec, _) = run(small(StrategyConfig::Finetune));
    let chance = 1.0 / rec.tasks[0].classes.len() as f64;
    assert!(
        rec.measured.acc_matrix[0][0] > chance + 0.2,
        "R[1][1] = {}",
        rec.measured.acc_matrix[0][0]
    );
}

/// Task 1 of the entity scenario trained three ways: both modalities, image
/// only, text only. Neither modality alone may solve it (DESIGN.md "Data").
#[test]
fn fused_beats_image_only_and_text_only() {
    let config = RunConfig {
        strategy: StrategyConfig::Finetune,
        epochs: 3,
        seed: 5,
        ..RunConfig::default()
    };
    let full = build_scenario(&config, None).unwrap();
    let score = |drop: Option<Modality>| {
        let mut s = full.clone();
        s.tasks.truncate(1);
        if let Some(m) = drop {
            let t = &mut s.tasks[0];
            for x in t.train.iter_mut().chain(t.test.iter_mut()) {
                *x = x.without(m);
            }
        }
        let mut r = Runner::new(config.clone(), s, Device::flex(), "cpu").unwrap();
        let mut last = None;
        while let Some(ev) = pollster::block_on(r.next()) {
            last = ev.into_iter().last().or(last);
        }
        match last {
            Some(Event::Finished(rec)) => rec.measured.acc_matrix[0][0],
            other => panic!("{other:?}"),
        }
    };
    let fused = score(None);
    let image_only = score(Some(Modality::Text));
    let text_only = score(Some(Modality::Image));
    eprintln!("fused {fused:.3}  image-only {image_only:.3}  text-only {text_only:.3}");
    assert!(
        fused > image_only + 0.03,
        "fused {fused} vs image-only {image_only}"
    );
    assert!(
        fused > text_only + 0.03,
        "fused {fused} vs text-only {text_only}"
    );
}

#[test]
fn top_k_ranks_probabilities_that_sum_to_one_over_known_classes() {
    let config = small(StrategyConfig::Finetune);
    let scenario = build_scenario(&config, None).unwrap();
    let sample = scenario.tasks[0].test[0].clone();
    let mut r = Runner::new(config, scenario, Device::flex(), "cpu").unwrap();
    // through the first task's first step, so the classifier has its classes
    while r.task() == 0 {
        pollster::block_on(r.next());
    }
    pollster::block_on(r.next());
    let model = r.model();
    let all = pollster::block_on(top_k(&model, &sample, r.env(), 100));
    assert_eq!(all.len(), model.classes());
    let total: f64 = all.iter().map(|p| p.1).sum();
    assert!((total - 1.0).abs() < 1e-4, "{total}");
    assert!(all.windows(2).all(|w| w[0].1 >= w[1].1));
    let top = pollster::block_on(top_k(&model, &sample, r.env(), 3));
    assert_eq!(top, all[..3]);
}

#[test]
fn a_finished_run_trains_an_appended_task_and_keeps_its_rows() {
    let config = small(StrategyConfig::by_name("replay").unwrap());
    let scenario = build_scenario(&config, None).unwrap();
    let mut grown = scenario.clone();
    let pick = |t: usize| {
        let s = &scenario.tasks[t].test[0];
        Sample {
            label: 0,
            ..s.clone()
        }
    };
    let new = vec![("mine".to_string(), vec![pick(0), pick(1), pick(0)])];
    crate::data::folder::append_task(&mut grown, &new, 1).unwrap();
    let mut r = Runner::new(config, scenario, Device::flex(), "cpu").unwrap();
    let mut finished = 0;
    while let Some(ev) = pollster::block_on(r.next()) {
        finished += ev
            .iter()
            .filter(|e| matches!(e, Event::Finished(_)))
            .count();
    }
    assert_eq!(finished, 1);
    let t = grown.tasks.len() - 1;
    let task = grown.tasks[t].clone();
    pollster::block_on(r.extend(task.clone(), grown.class_names.clone())).unwrap();
    let mut last = None;
    while let Some(ev) = pollster::block_on(r.next()) {
        for e in ev {
            if let Event::Finished(rec) = e {
                last = Some(rec);
            }
        }
    }
    let rec = last.expect("a second Finished");
    let n = t + 1;
    assert_eq!(rec.measured.acc_matrix.len(), n);
    assert!(rec.measured.acc_matrix.iter().all(|row| row.len() == n));
    assert!(rec.measured.acc_matrix[..t].iter().all(|row| row[t] == 0.0));
    assert_eq!(rec.measured.random_init.len(), n);
    assert_eq!(rec.tasks.len(), n);
    assert_eq!(rec.class_names.last().map(String::as_str), Some("mine"));
    // a task holding old classes is refused
    let mut stale = task;
    stale.test[0].label = 0;
    assert!(pollster::block_on(r.extend(stale, grown.class_names)).is_err());
}

/// Runs `config` to the boundary after task `stop`, checkpoints through
/// bytes, goes on in a new runner and returns the final record.
fn run_with_restart(config: RunConfig, stop: usize) -> RunRecord {
    let scenario = build_scenario(&config, None).unwrap();
    let mut r = Runner::new(config, scenario.clone(), Device::flex(), "cpu").unwrap();
    assert!(
        pollster::block_on(r.checkpoint()).is_none(),
        "no boundary yet"
    );
    let mut done = 0;
    while done < stop {
        let ev = pollster::block_on(r.next()).expect("the run goes on");
        done += ev
            .iter()
            .filter(|e| matches!(e, Event::TaskEvaluated { .. }))
            .count();
        if done < stop && ev.iter().any(|e| matches!(e, Event::Step { .. })) {
            assert!(pollster::block_on(r.checkpoint()).is_none(), "mid-task");
        }
    }
    let bytes = pollster::block_on(r.checkpoint())
        .expect("a boundary")
        .to_bytes();
    drop(r);
    let cp = Checkpoint::from_bytes(&bytes).unwrap();
    assert_eq!(cp.header.tasks_done, stop);
    let mut r = pollster::block_on(Runner::resume(cp, scenario, Device::flex(), "cpu")).unwrap();
    let mut last = None;
    while let Some(ev) = pollster::block_on(r.next()) {
        for e in ev {
            if let Event::TaskStarted { task, .. } = e {
                assert!(task > stop, "task {task} trained again");
            }
            if let Event::Finished(rec) = e {
                last = Some(*rec);
            }
        }
    }
    last.expect("the resumed run finishes")
}

/// A run that stops at a task boundary and goes on from its checkpoint ends
/// exactly where the uninterrupted run ends: model, strategy state (replay
/// and MSPT memory, EWC Fisher, MSPT's carried g, LwF/AD old model) and the
/// random stream all come back.
#[test]
fn a_run_resumed_from_a_checkpoint_matches_the_uninterrupted_run() {
    let mut configs: Vec<(String, StrategyConfig)> =
        ["finetune", "replay", "ewc", "lwf", "mspt", "mera", "mode"]
            .iter()
            .map(|n| (n.to_string(), StrategyConfig::by_name(n).unwrap()))
            .collect();
    configs.push(("replay, herding".into(), herding_replay()));
    configs.push((
        "mspt, herding".into(),
        StrategyConfig::Mspt(crate::strategy::config::MsptConfig {
            herding: true,
            memory_per_class: 2,
            ..Default::default()
        }),
    ));
    for (name, strategy) in configs {
        let config = small(strategy);
        let (whole, _) = run(config.clone());
        let resumed = run_with_restart(config, 2);
        assert_eq!(
            resumed.without_timing(),
            whole.without_timing(),
            "{name}: resumed run differs"
        );
    }
}

fn herding_replay() -> StrategyConfig {
    StrategyConfig::Replay(crate::strategy::config::ReplayConfig {
        herding: true,
        ..Default::default()
    })
}

/// With herding, the memory a checkpoint records after task 1 is exactly
/// what herding picks from the trained model's features of task 1's
/// training samples, and not what random selection keeps.
#[test]
fn herding_memory_comes_from_the_trained_models_features() {
    let mut kept = Vec::new();
    for strategy in [herding_replay(), StrategyConfig::by_name("replay").unwrap()] {
        let config = small(strategy);
        let mut r = Runner::native(config, None).unwrap();
        while pollster::block_on(r.checkpoint()).is_none() {
            pollster::block_on(r.next());
        }
        let cp = pollster::block_on(r.checkpoint()).unwrap();
        let memory: Vec<Vec<usize>> = serde_json::from_value(cp.header.strategy)
            .expect("replay carries its memory's indices");
        assert_eq!(memory.len(), 1);
        assert_eq!(memory[0].len(), 6);
        kept.push(memory[0].clone());
        let train = &r.scenario().tasks[0].train;
        let refs: Vec<&Sample> = train.iter().collect();
        let f = r.model().forward(&r.env().plain_batch(&refs)).features;
        let [n, d] = f.dims();
        let flat: Vec<f32> = f.reshape([n * d]).into_data().iter::<f32>().collect();
        let rows: Vec<Vec<f32>> = flat.chunks(d).map(<[f32]>::to_vec).collect();
        let labels: Vec<usize> = train.iter().map(|s| s.label).collect();
        kept.push(crate::strategy::memory::herding(&rows, &labels, 6));
    }
    assert_eq!(kept[0], kept[1], "herding memory");
    assert_ne!(kept[2], kept[3], "random memory");
}

#[test]
fn a_checkpoint_of_another_stream_is_refused() {
    let config = small(StrategyConfig::by_name("replay").unwrap());
    let mut r = Runner::native(config.clone(), None).unwrap();
    while pollster::block_on(r.checkpoint()).is_none() {
        pollster::block_on(r.next());
    }
    let cp = pollster::block_on(r.checkpoint()).unwrap();
    let mut other = config.clone();
    other.scenario = "relation".into();
    let relation = build_scenario(&other, None).unwrap();
    let err = pollster::block_on(Runner::resume(cp.clone(), relation, Device::flex(), "cpu"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("another stream"), "{err}");
    let mut short = build_scenario(&config, None).unwrap();
    short.tasks.truncate(0);
    assert!(pollster::block_on(Runner::resume(cp, short, Device::flex(), "cpu")).is_err());
}

/// Found by the fuzz target `checkpoint_and_resume`: a header whose
/// elapsed time is no `Duration` (1e300 s) panicked in
/// `Duration::from_secs_f64` on resume; it is now refused by name.
#[test]
fn a_checkpoint_with_an_impossible_elapsed_time_is_refused() {
    let config = small(StrategyConfig::Finetune);
    let mut r = Runner::native(config.clone(), None).unwrap();
    while pollster::block_on(r.checkpoint()).is_none() {
        pollster::block_on(r.next());
    }
    let scenario = build_scenario(&config, None).unwrap();
    let mut cp = pollster::block_on(r.checkpoint()).unwrap();
    for bad in [1e300, f64::INFINITY] {
        cp.header.elapsed_s = bad;
        let err = pollster::block_on(Runner::resume(
            cp.clone(),
            scenario.clone(),
            Device::flex(),
            "cpu",
        ))
        .err()
        .expect("refused");
        assert!(err.to_string().contains("elapsed time"), "{err}");
    }
    // NaN and negative times count as none, as before
    for odd in [f64::NAN, -5.0] {
        cp.header.elapsed_s = odd;
        assert!(
            pollster::block_on(Runner::resume(
                cp.clone(),
                scenario.clone(),
                Device::flex(),
                "cpu"
            ))
            .is_ok()
        );
    }
}

/// The unimodal heads' own loss is a run setting: at 0 the first step's loss
/// is the fused cross-entropy alone (same init, same batch), so it is lower
/// than with the heads' terms added; a negative or NaN weight is refused.
#[test]
fn unimodal_weight_sets_the_heads_share_of_the_loss() {
    let with = small(StrategyConfig::Finetune);
    let without = RunConfig {
        unimodal_weight: 0.0,
        ..with.clone()
    };
    let (a, _) = run(with);
    let (b, _) = run(without);
    assert!(
        b.measured.loss[0].loss < a.measured.loss[0].loss,
        "{} vs {}",
        b.measured.loss[0].loss,
        a.measured.loss[0].loss
    );
    assert_ne!(a.measured.acc_matrix, b.measured.acc_matrix);
    for bad in [-0.5, f64::NAN, f64::INFINITY] {
        let c = RunConfig {
            unimodal_weight: bad,
            ..RunConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert!(e.contains("unimodal weight"), "{e}");
    }
}

/// Every parameter of task 1's classifier chunk, as numbers.
fn first_chunk(r: &Runner) -> Vec<f32> {
    flat_params(&r.model().classifier.chunks[0])
        .into_iter()
        .flat_map(|(_, t)| t.into_data().try_to_vec::<f32>().unwrap())
        .collect()
}

/// Runs until task `k` has been evaluated.
fn run_through(r: &mut Runner, k: usize) {
    while let Some(events) = pollster::block_on(r.next()) {
        if events
            .iter()
            .any(|e| matches!(e, Event::TaskEvaluated { task, .. } if *task == k))
        {
            return;
        }
    }
    panic!("the run ended before task {k} was evaluated");
}

#[test]
fn separated_softmax_keeps_new_data_off_the_old_classes() {
    // Finetune sees only task 2's samples in task 2: with the softmax
    // separated, no gradient reaches task 1's classes; without, it does.
    for separated in [true, false] {
        let config = RunConfig {
            separated_softmax: separated,
            ..small(StrategyConfig::by_name("finetune").unwrap())
        };
        let mut r = Runner::native(config, None).unwrap();
        run_through(&mut r, 1);
        let before = first_chunk(&r);
        run_through(&mut r, 2);
        let after = first_chunk(&r);
        assert_eq!(before == after, separated, "separated softmax {separated}");
    }
}

/// Every parameter of one of the model's groups, as numbers.
fn group_values(model: &Model, group: &str) -> Vec<f32> {
    let ids = model
        .param_groups()
        .into_iter()
        .find(|(g, _)| *g == group)
        .map(|(_, ids)| ids)
        .expect("a group of that name");
    flat_params(model)
        .into_iter()
        .filter(|(id, _)| ids.contains(id))
        .flat_map(|(_, t)| t.into_data().try_to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn a_group_at_factor_zero_is_not_updated_and_the_others_are() {
    let config = small(StrategyConfig::by_name("finetune").unwrap());
    let r = Runner::native(config, None).unwrap();
    let env = r.env();
    let model = r
        .model
        .clone()
        .unwrap()
        .expand_to(4, &mut rng_for(1, "c"), &env.autodiff);
    let samples: Vec<&Sample> = r.scenario().tasks[0].train.iter().take(8).collect();
    let step = |model: Model, factors: &LrFactors| {
        let batch = env.train_batch(&samples);
        let loss = cross_entropy(model.forward(&batch).logits.fused, batch.labels);
        let mut optim = AdamConfig::new().init();
        apply(&mut optim, 0.01, model.clone(), loss.backward(), factors)
    };
    let frozen = LrFactors(vec![("text".into(), 0.0), ("image".into(), 0.5)]);
    let after = step(model.clone(), &frozen);
    let groups: Vec<&str> = model.param_groups().iter().map(|(g, _)| *g).collect();
    assert_eq!(groups, ["image", "text", "interaction", "classifier"]);
    assert_eq!(group_values(&after, "text"), group_values(&model, "text"));
    for g in ["image", "classifier"] {
        assert_ne!(group_values(&after, g), group_values(&model, g), "{g}");
    }
    // every group in one step when nothing is set: the text group moves too
    let all = step(model.clone(), &LrFactors::default());
    assert_ne!(group_values(&all, "text"), group_values(&model, "text"));
    // a factor of 1 named explicitly is the same as none at all
    let named = step(model.clone(), &LrFactors(vec![("text".into(), 1.0)]));
    assert_eq!(group_values(&named, "image"), group_values(&all, "image"));
}

/// A strategy that freezes the text encoder and counts the tasks it adapted
/// the model for.
struct FreezeText(std::rc::Rc<std::cell::RefCell<Vec<usize>>>);

impl Strategy for FreezeText {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Finetune
    }
    fn adapt(&mut self, task: usize, model: Model, _env: &Env) -> Model {
        self.0.borrow_mut().push(task);
        model
    }
    fn lr_factors(&mut self, _task: usize, _gamma: f64) -> LrFactors {
        LrFactors(vec![("text".into(), 0.0)])
    }
}

#[test]
fn a_frozen_encoder_is_bit_identical_after_a_task_and_adapt_runs_before_each() {
    let config = small(StrategyConfig::by_name("finetune").unwrap());
    let scenario = build_scenario(&config, None).unwrap();
    let adapted = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let strategy = Box::new(FreezeText(adapted.clone()));
    let mut r = Runner::with_strategy(
        config,
        scenario,
        burn::tensor::Device::flex(),
        "cpu",
        strategy,
    )
    .unwrap();
    let before = r.model();
    run_through(&mut r, 2);
    let after = r.model();
    assert_eq!(group_values(&after, "text"), group_values(&before, "text"));
    assert_ne!(
        group_values(&after, "image"),
        group_values(&before, "image")
    );
    assert_eq!(*adapted.borrow(), vec![1, 2]);
}

fn build_named(name: &str) -> Box<dyn Strategy> {
    strategy::build(&StrategyConfig::by_name(name).unwrap())
}

fn faulty_runner(config: RunConfig, strategy: Faulty) -> Runner {
    let scenario = build_scenario(&config, None).unwrap();
    Runner::with_strategy(config, scenario, Device::flex(), "cpu", Box::new(strategy)).unwrap()
}

/// Every event of the rest of the run, and its record.
fn drain(r: &mut Runner) -> (RunRecord, Vec<Event>) {
    let mut events = Vec::new();
    while let Some(ev) = pollster::block_on(r.next()) {
        events.extend(ev);
    }
    match events.last() {
        Some(Event::Finished(rec)) => ((**rec).clone(), events),
        other => panic!("last event {other:?}"),
    }
}

fn divergences(events: &[Event]) -> Vec<(usize, usize, f64, bool, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Diverged {
                task,
                step,
                lr,
                retrying,
                message,
            } => Some((*task, *step, *lr, *retrying, message.clone())),
            _ => None,
        })
        .collect()
}

/// The loss of the first step of each attempt at `task`, in order.
fn first_losses(events: &[Event], task: usize) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Step {
                task: t,
                step: 1,
                loss,
                ..
            } if *t == task => Some(*loss),
            _ => None,
        })
        .collect()
}

/// A record that a reader takes: every number finite, through JSON and back
/// unchanged, square matrices of the tasks it lists.
fn assert_readable(rec: &RunRecord) {
    assert_eq!(rec.non_finite(), None);
    let json = serde_json::to_string(rec).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    let back: RunRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, *rec);
    let t = rec.tasks.len();
    assert_eq!(rec.measured.acc_matrix.len(), t);
    assert!(rec.measured.acc_matrix.iter().all(|r| r.len() == t));
    assert!(rec.measured.f1_matrix.iter().all(|r| r.len() == t));
    assert_eq!(rec.measured.random_init.len(), t);
    assert_eq!(rec.metrics.acc.len(), t);
    if t > 0 {
        crate::metrics::validate_matrix(&rec.measured.acc_matrix).unwrap();
    }
}

/// A learning rate far too large (beyond what a config may hold: set on the
/// runner directly) makes task 2's loss NaN: the run goes back to the start
/// of task 2 once, at half the rate, diverges again and stops with the
/// message, its record holding task 1 and nothing NaN.
#[test]
fn a_huge_learning_rate_diverges_retries_once_at_half_and_then_stops() {
    let config = small(StrategyConfig::by_name("replay").unwrap());
    let mut r = Runner::native(config.clone(), None).unwrap();
    run_through(&mut r, 1);
    let after_task_1 = r.measured.clone();
    r.lr = 1e9;
    let (rec, events) = drain(&mut r);
    let d = divergences(&events);
    assert_eq!(d.len(), 2, "{d:?}");
    let (task, _, lr, retrying, message) = &d[0];
    assert_eq!((*task, *lr, *retrying), (2, 1e9, true));
    assert!(message.contains("halved to 500000000"), "{message}");
    let (task, step, lr, retrying, message) = &d[1];
    assert_eq!((*task, *lr, *retrying), (2, 5e8, false));
    assert!(
        message.starts_with(&format!("diverged at task 2, step {step}")),
        "{message}"
    );
    // task 2 started twice, task 3 never
    let started: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::TaskStarted { task, .. } => Some(*task),
            _ => None,
        })
        .collect();
    assert_eq!(started, [2, 2]);
    // no step event carries a non-finite value
    assert!(events.iter().all(|e| match e {
        Event::Step { loss, gamma, .. } => loss.is_finite() && gamma.is_finite(),
        _ => true,
    }));
    // the record: task 1 as it was measured, the two divergences, nothing NaN
    assert_eq!(rec.tasks.len(), 1);
    assert_eq!(rec.class_names.len(), rec.tasks[0].classes.len());
    assert_eq!(
        rec.measured.acc_matrix,
        vec![vec![after_task_1.acc_matrix[0][0]]]
    );
    assert_eq!(rec.measured.loss, after_task_1.loss);
    assert_eq!(rec.measured.gamma, after_task_1.gamma);
    assert_eq!(rec.measured.divergences.len(), 2);
    assert!(rec.measured.divergences[0].retried && !rec.measured.divergences[1].retried);
    assert_eq!(rec.metrics.bwt, None, "one task: BWT is undefined");
    assert_readable(&rec);
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["divergences"][1]["lr"], 5e8);
    // a stopped run is not extended, nor checkpointed to go on from
    assert!(pollster::block_on(r.checkpoint()).is_none());
    let task = r.scenario().tasks[2].clone();
    let names = r.scenario().class_names.clone();
    let err = pollster::block_on(r.extend(task, names)).unwrap_err();
    assert!(err.to_string().contains("diverged at task 2"), "{err}");
}

/// The largest learning rate a config may hold (10) makes the loss blow up
/// (finite, thousands of times the first step's) within task 1: caught as a
/// divergence, the task retried at half the rate, then the run stops with a
/// message that says what happened and what to try; nothing collapsed is
/// recorded.
#[test]
fn a_loss_that_blows_up_is_a_divergence_and_says_what_to_try() {
    let mut config = small(StrategyConfig::Finetune);
    config.lr = 10.0;
    config
        .validate()
        .expect("lr = 10 is within the range a config may hold");
    let (rec, events) = run(config);
    let d = divergences(&events);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].0, d[0].2, d[0].3), (1, 10.0, true));
    assert_eq!((d[1].0, d[1].2, d[1].3), (1, 5.0, false));
    assert!(d[0].4.contains("its loss blew up from"), "{}", d[0].4);
    assert!(
        d[1].4
            .contains("Try a smaller learning rate (the default is 0.001)"),
        "{}",
        d[1].4
    );
    assert!(!d[1].4.contains('\n'), "one line: {}", d[1].4);
    for div in &rec.measured.divergences {
        match div.cause {
            DivergenceCause::BlewUp { from, to } => {
                assert!(
                    to > crate::run::record::BLOWUP_FACTOR * from,
                    "{from} -> {to}"
                );
                assert!(
                    to.is_finite(),
                    "a blow-up is caught while the loss is finite"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // no recorded step carries the blown-up loss
    assert!(rec.measured.loss.is_empty(), "{:?}", rec.measured.loss);
    assert_readable(&rec);
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["divergences"][0]["cause"]["kind"], "blew_up");
}

/// A record written before divergences kept their cause reads as "not finite".
#[test]
fn a_divergence_without_its_cause_reads_as_not_finite() {
    let d: Divergence =
        serde_json::from_str(r#"{"task": 2, "step": 3, "lr": 0.001, "retried": true}"#).unwrap();
    assert_eq!(d.cause, DivergenceCause::NotFinite);
    assert!(
        d.message()
            .starts_with("diverged at task 2, step 3 (learning rate 0.001): training goes back")
    );
}

/// Diverging twice within task 1 leaves a record with no task at all, still
/// readable (and no metric made up).
#[test]
fn a_run_that_diverges_twice_in_task_1_keeps_an_empty_readable_record() {
    let mut r = Runner::native(small(StrategyConfig::Finetune), None).unwrap();
    r.lr = 1e9;
    let (rec, events) = drain(&mut r);
    let d = divergences(&events);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].3 && !d[1].3);
    assert!(d[1].4.contains("no task was finished"), "{}", d[1].4);
    assert!(rec.tasks.is_empty() && rec.measured.acc_matrix.is_empty());
    assert!(rec.measured.loss.is_empty() && rec.measured.gamma.is_empty());
    assert_readable(&rec);
}

/// A NaN loss once in task 2: the task starts again from the boundary (its
/// first step sees exactly the model, memory and batch of the first
/// attempt), at half the learning rate for the rest of the run, and the run
/// finishes with every task; task 1 is what an undisturbed run measures.
#[test]
fn a_divergence_that_the_halved_rate_survives_finishes_the_run() {
    let config = small(StrategyConfig::by_name("replay").unwrap());
    let (plain, _) = run(config.clone());
    let mut r = faulty_runner(
        config.clone(),
        Faulty::new(build_named("replay"), &[(2, 3)], &[]),
    );
    run_through(&mut r, 1);
    let mut events = Vec::new();
    run_until_task_evaluated(&mut r, 2, &mut events);
    assert_eq!(r.lr, config.lr / 2.0);
    // the boundary after task 2 keeps the halved rate across a restart
    let cp = pollster::block_on(r.checkpoint()).unwrap();
    let resumed = pollster::block_on(Runner::resume(
        Checkpoint::from_bytes(&cp.to_bytes()).unwrap(),
        r.scenario().clone(),
        Device::flex(),
        "cpu",
    ))
    .unwrap();
    assert_eq!(resumed.lr, config.lr / 2.0);
    let (rec, rest) = drain(&mut r);
    events.extend(rest);
    let d = divergences(&events);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].0, d[0].1, d[0].2, d[0].3), (2, 3, config.lr, true));
    let firsts = first_losses(&events, 2);
    assert_eq!(firsts.len(), 2);
    assert_eq!(
        firsts[0], firsts[1],
        "the retry starts where the task started"
    );
    let t = rec.tasks.len();
    assert_eq!(t, plain.tasks.len());
    assert_eq!(rec.measured.acc_matrix[0], plain.measured.acc_matrix[0]);
    // from the retry on, task 2 trains at the halved rate: other losses
    let task2 = |r: &RunRecord| -> Vec<f64> {
        r.measured
            .loss
            .iter()
            .filter(|p| p.task == 2)
            .map(|p| p.loss)
            .collect()
    };
    assert_ne!(task2(&rec), task2(&plain));
    // the trace holds each step once: the diverged attempt's points are gone
    assert_eq!(rec.measured.loss.len(), plain.measured.loss.len());
    assert_eq!(
        rec.measured.divergences,
        vec![Divergence {
            task: 2,
            step: 3,
            lr: config.lr,
            retried: true,
            cause: DivergenceCause::NotFinite,
        }]
    );
    assert_readable(&rec);
}

/// A step whose loss is finite but leaves a parameter NaN, as the last step
/// of task 1: caught before the task is evaluated, and task 1 trains again.
#[test]
fn a_non_finite_parameter_after_a_tasks_last_step_is_a_divergence() {
    let config = small(StrategyConfig::Finetune);
    let scenario = build_scenario(&config, None).unwrap();
    let last = scenario.tasks[0].train.len().div_ceil(config.batch_size);
    let mut r = faulty_runner(
        config,
        Faulty::new(build_named("finetune"), &[], &[(1, last)]),
    );
    let (rec, events) = drain(&mut r);
    let d = divergences(&events);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].0, d[0].1, d[0].3), (1, last, true));
    assert!(d[0].4.contains("parameters"), "{}", d[0].4);
    assert_eq!(rec.tasks.len(), scenario.tasks.len());
    assert_readable(&rec);
}

/// Runs until task `k` is evaluated, collecting the events.
fn run_until_task_evaluated(r: &mut Runner, k: usize, out: &mut Vec<Event>) {
    while let Some(events) = pollster::block_on(r.next()) {
        let done = events
            .iter()
            .any(|e| matches!(e, Event::TaskEvaluated { task, .. } if *task == k));
        out.extend(events);
        if done {
            return;
        }
    }
    panic!("the run ended before task {k} was evaluated");
}

/// A short pretraining on the pool (one epoch, one copy), with the committed
/// image teacher or without one: its record and weights file.
fn tiny_pretraining(teacher: bool) -> (RunRecord, Vec<u8>) {
    use crate::data::pool::pretrain_pool;
    use crate::run::distill::{DistillConfig, teacher_path, teacher_targets};
    use crate::run::pretrain::{pretrain_config, pretrainer, weights_file};
    let mut base = small(StrategyConfig::Joint);
    base.seed = 5;
    let config = pretrain_config(base);
    let pool = pretrain_pool().unwrap();
    let targets = teacher.then(|| {
        let text = std::fs::read_to_string(teacher_path()).unwrap();
        (
            teacher_targets(&text, &pool).unwrap(),
            DistillConfig::default(),
        )
    });
    let mut r = pretrainer(config, &pool, targets, Device::flex(), "cpu").unwrap();
    let (rec, _) = drain(&mut r);
    let note = teacher.then_some("teacher");
    let bytes = pollster::block_on(weights_file(&r.model(), &rec, None, note));
    (rec, bytes)
}

#[test]
fn a_distilled_pretraining_adds_the_teachers_loss_and_says_so() {
    use crate::model::pretrained::decode;
    let (plain, plain_bytes) = tiny_pretraining(false);
    let (taught, taught_bytes) = tiny_pretraining(true);
    let losses = |r: &RunRecord| r.measured.loss.iter().map(|p| p.loss).collect::<Vec<_>>();
    let (a, b) = (losses(&plain), losses(&taught));
    assert_eq!(a.len(), b.len());
    assert!(b.iter().all(|l| l.is_finite()));
    // the first step's loss is the same cross-entropy plus a positive term
    assert!(b[0] > a[0], "{} vs {}", b[0], a[0]);
    let (h_plain, _) = decode(&plain_bytes).unwrap();
    let (h_taught, _) = decode(&taught_bytes).unwrap();
    assert_eq!(h_plain.made_by.teacher, None);
    assert_eq!(h_taught.made_by.teacher.as_deref(), Some("teacher"));
    assert_ne!(plain_bytes, taught_bytes);
}

#[test]
fn mspts_ad_before_the_softmax_is_a_switch_that_moves_only_later_tasks() {
    use crate::strategy::config::MsptConfig;
    let config = |ad_scores| {
        let mut c = small(StrategyConfig::Mspt(MsptConfig {
            ad_scores,
            ..MsptConfig::default()
        }));
        c.scenario = "relation".into();
        c
    };
    let (after, _) = run(config(false));
    let (before, _) = run(config(true));
    let task = |r: &RunRecord, k: usize| {
        r.measured
            .loss
            .iter()
            .filter(|p| p.task == k)
            .map(|p| p.loss)
            .collect::<Vec<_>>()
    };
    // AD has no old model in task 1
    assert_eq!(task(&after, 1), task(&before, 1));
    assert_ne!(task(&after, 2), task(&before, 2));
    assert!(task(&before, 2).iter().all(|l| l.is_finite()));
}

/// Weights from a short pretraining on the pool (one epoch, one copy).
fn tiny_weights() -> Vec<u8> {
    pretrained_tiny().1
}

/// A short pretraining's model and its weights file.
fn pretrained_tiny() -> (Model, Vec<u8>) {
    use crate::data::pool::pretrain_pool;
    use crate::run::pretrain::{pretrain_config, pretrainer, weights_file};
    let mut base = small(StrategyConfig::Joint);
    base.seed = 5;
    let config = pretrain_config(base);
    let pool = pretrain_pool().unwrap();
    let mut r = pretrainer(config, &pool, None, Device::flex(), "cpu").unwrap();
    assert_eq!(r.scenario().tasks.len(), 1);
    assert!(r.scenario().class_names.len() >= 20);
    let (rec, _) = drain(&mut r);
    let weights = pollster::block_on(weights_file(&r.model(), &rec, None, None));
    (r.model(), weights)
}

#[test]
fn weights_are_stored_as_f16_and_load_as_the_nearest_f32() {
    use crate::model::ModelConfig;
    use crate::model::pretrained::{decode, load};
    use burn::tensor::f16;
    let (model, weights) = pretrained_tiny();
    let (_, tensors) = decode(&weights).unwrap();
    let loaded = load(&ModelConfig::default(), tensors, &Device::flex()).unwrap();
    let mut rounded_somewhere = false;
    for g in ["image", "text"] {
        // group_values reads f32: a tensor left in f16 would fail here
        let trained = group_values(&model, g);
        let back = group_values(&loaded, g);
        assert_eq!(trained.len(), back.len(), "{g}");
        for (t, b) in trained.iter().zip(&back) {
            assert_eq!(*b, f16::from_f32(*t).to_f32(), "{g}: {t} came back as {b}");
            rounded_somewhere |= t != b;
        }
    }
    assert!(
        rounded_somewhere,
        "no value needed rounding: not stored as f16?"
    );
    // about two bytes a value, not four
    let floats: usize = flat_params(&loaded)
        .into_iter()
        .map(|(_, t)| t.dims()[0])
        .sum();
    assert!(
        tensors.len() < floats * 3,
        "{} bytes for {floats} values",
        tensors.len()
    );
}

#[test]
fn a_run_starts_from_pretrained_encoders_where_its_config_says_so() {
    use crate::model::EncoderInit;
    use crate::model::ModelConfig;
    use crate::model::pretrained::{decode, load};
    let weights = tiny_weights();
    let (header, tensors) = decode(&weights).unwrap();
    assert_eq!(header.made_by.epochs, 1);
    let pretrained = load(&ModelConfig::default(), tensors, &Device::flex()).unwrap();
    let mut scratch_config = small(StrategyConfig::Finetune);
    scratch_config.model = scratch_config.model.with_init(EncoderInit::Scratch);
    let start = |config: RunConfig| {
        let scenario = build_scenario(&config, None).unwrap();
        Runner::with_weights(config, scenario, Device::flex(), "cpu", &weights)
            .unwrap()
            .model()
    };
    let scratch = start(scratch_config.clone());
    let mut both = scratch_config.clone();
    both.model = both.model.with_init(EncoderInit::Pretrained);
    let both = start(both);
    let mut image_only = scratch_config.clone();
    image_only.model.encoders[0].init = EncoderInit::Pretrained;
    let image_only = start(image_only);
    for g in ["image", "text"] {
        assert_eq!(group_values(&both, g), group_values(&pretrained, g), "{g}");
        assert_ne!(
            group_values(&scratch, g),
            group_values(&pretrained, g),
            "{g}"
        );
    }
    assert_eq!(
        group_values(&image_only, "image"),
        group_values(&pretrained, "image")
    );
    assert_eq!(
        group_values(&image_only, "text"),
        group_values(&scratch, "text")
    );
    // the rest starts from the run's own seed either way
    for g in ["interaction", "classifier"] {
        assert_eq!(group_values(&both, g), group_values(&scratch, g), "{g}");
    }
    // weights of another shape are refused before anything trains
    let mut wide = scratch_config.clone();
    wide.model = wide.model.with_init(EncoderInit::Pretrained);
    wide.model.d_model = 32;
    let scenario = build_scenario(&wide, None).unwrap();
    let err = Runner::with_weights(wide, scenario, Device::flex(), "cpu", &weights)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("model.d_model: the weights have 64"), "{err}");
}

#[test]
fn an_encoder_at_learning_rate_zero_in_the_config_stays_bit_identical() {
    let mut config = small(StrategyConfig::by_name("mspt").unwrap());
    config.model.encoders[0].lr = 0.0;
    let mut r = Runner::native(config, None).unwrap();
    let before = r.model();
    run_through(&mut r, 1);
    let after = r.model();
    assert_eq!(
        group_values(&after, "image"),
        group_values(&before, "image")
    );
    assert_ne!(group_values(&after, "text"), group_values(&before, "text"));
}

/// A what-if: forked at the boundary after task 2 with the same strategy,
/// the run goes on exactly as the original (same model, same random
/// stream, so the same data order); forked with replay, it keeps the
/// original's first two rows bit for bit, its memory holds tasks 1–2 (the
/// catch-up), and its record says where it forked.
#[test]
fn a_fork_keeps_the_rows_before_its_boundary_and_the_data_order_after() {
    let config = small(StrategyConfig::Finetune);
    let (original, _) = run(config.clone());
    let mut r = Runner::native(config, None).unwrap();
    run_through(&mut r, 2);
    let cp = pollster::block_on(r.checkpoint()).unwrap();
    let bytes = cp.to_bytes();
    let fork = |s: StrategyConfig| {
        pollster::block_on(Runner::fork(
            Checkpoint::from_bytes(&bytes).unwrap(),
            s,
            r.scenario().clone(),
            Device::flex(),
            "cpu",
        ))
        .unwrap()
    };
    let (same, _) = drain(&mut fork(StrategyConfig::Finetune));
    assert_eq!(same.measured.acc_matrix, original.measured.acc_matrix);
    let mut replay = fork(StrategyConfig::by_name("replay").unwrap());
    assert!(
        !replay.memory().is_empty(),
        "the memory caught up on tasks 1-2"
    );
    let tasks_in_memory: std::collections::BTreeSet<usize> = replay
        .memory()
        .iter()
        .map(|s| {
            r.scenario()
                .tasks
                .iter()
                .position(|t| t.classes.contains(&s.label))
                .unwrap()
        })
        .collect();
    assert_eq!(tasks_in_memory, [0, 1].into());
    let (other, _) = drain(&mut replay);
    assert_eq!(
        other.measured.acc_matrix[..2],
        original.measured.acc_matrix[..2]
    );
    assert_eq!(other.config.strategy.name(), "replay");
    let f = other.measured.forked.as_ref().unwrap();
    assert_eq!((f.from.as_str(), f.after_task), ("finetune", 2));
    assert_ne!(
        other.measured.acc_matrix[2..],
        original.measured.acc_matrix[2..]
    );
    assert_readable(&other);
    // MERA needs the fusion stage this run's model has not: said so
    let err = pollster::block_on(Runner::fork(
        Checkpoint::from_bytes(&bytes).unwrap(),
        StrategyConfig::by_name("mera").unwrap(),
        r.scenario().clone(),
        Device::flex(),
        "cpu",
    ))
    .err()
    .unwrap();
    assert!(err.to_string().contains("fusion stage"), "{err}");
}
