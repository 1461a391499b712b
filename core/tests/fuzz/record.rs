//! Run records: the one reader (`RunRecord::parse`) on mutated records.

use palimpsest_core::metrics::gem_metrics;
use palimpsest_core::run::RunRecord;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use crate::{Mutation, check, fuzz, mutate, mutation};

/// A committed record with the config and timings it is stored without.
fn good() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../records/finetune.json")).unwrap();
    v["config"] = serde_json::to_value(palimpsest_core::run::RunConfig::default()).unwrap();
    v["timing"] = serde_json::to_value(palimpsest_core::run::Timing::default()).unwrap();
    v
}

#[derive(Debug, Clone)]
enum Edit {
    /// A number (by its index among all) becomes this JSON text.
    Number(Index, &'static str),
    /// A field (by its index among all) is removed.
    Drop(Index),
    /// An array (by its index among all) is cut to a share of its length.
    Cut(Index, Index),
    /// An array gets its last element once more.
    Grow(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), prop::sample::select(&[
            "-1", "-0.0", "0", "1", "1.0000001", "2", "1e300", "-1e300", "1e400", "NaN", "null", "\"0.5\"",
            "18446744073709551616", "[]", "{}", "true",
        ][..])).prop_map(|(i, v)| Edit::Number(i, v)),
        1 => any::<Index>().prop_map(Edit::Drop),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, n)| Edit::Cut(a, n)),
        2 => any::<Index>().prop_map(Edit::Grow),
    ]
}

/// Pointers to every number, field and array of `v`.
fn walk(
    v: &Value,
    at: String,
    numbers: &mut Vec<String>,
    fields: &mut Vec<(String, String)>,
    arrays: &mut Vec<String>,
) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                fields.push((at.clone(), k.clone()));
                walk(x, format!("{at}/{k}"), numbers, fields, arrays);
            }
        }
        Value::Array(a) => {
            arrays.push(at.clone());
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{at}/{i}"), numbers, fields, arrays);
            }
        }
        Value::Number(_) => numbers.push(at),
        _ => {}
    }
}

/// The record's text after `edits`, then `mutations` of its bytes.
fn text(edits: &[Edit], mutations: &[Mutation]) -> Vec<u8> {
    let mut v = good();
    let mut spliced = Vec::new();
    for (k, e) in edits.iter().enumerate() {
        let (mut numbers, mut fields, mut arrays) = (Vec::new(), Vec::new(), Vec::new());
        walk(&v, String::new(), &mut numbers, &mut fields, &mut arrays);
        match e {
            Edit::Number(i, x) if !numbers.is_empty() => {
                let marker = format!("__fuzz{k}__");
                *v.pointer_mut(i.get(&numbers).as_str()).unwrap() = Value::String(marker.clone());
                spliced.push((format!("\"{marker}\""), *x));
            }
            Edit::Drop(i) if !fields.is_empty() => {
                let (obj, key) = i.get(&fields);
                v.pointer_mut(obj)
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove(key);
            }
            Edit::Cut(i, n) if !arrays.is_empty() => {
                let a = v
                    .pointer_mut(i.get(&arrays).as_str())
                    .unwrap()
                    .as_array_mut()
                    .unwrap();
                let keep = n.index(a.len() + 1);
                a.truncate(keep);
            }
            Edit::Grow(i) if !arrays.is_empty() => {
                let a = v
                    .pointer_mut(i.get(&arrays).as_str())
                    .unwrap()
                    .as_array_mut()
                    .unwrap();
                if let Some(last) = a.last().cloned() {
                    a.push(last);
                }
            }
            _ => {}
        }
    }
    let mut s = v.to_string();
    for (marker, x) in spliced {
        s = s.replace(&marker, x);
    }
    mutate(s.into_bytes(), mutations)
}

/// What `parse` promises of a record it accepts, checked from outside.
fn sound(r: &RunRecord) -> Result<(), String> {
    let t = r.tasks.len();
    let m = &r.measured;
    if t == 0 || m.acc_matrix.len() > t || m.f1_matrix.len() != m.acc_matrix.len() {
        return Err(format!("{t} tasks, {} rows", m.acc_matrix.len()));
    }
    if m.acc_matrix
        .iter()
        .chain(&m.f1_matrix)
        .any(|row| row.len() != t)
    {
        return Err("a row of the wrong length".into());
    }
    let scores = m
        .acc_matrix
        .iter()
        .chain(&m.f1_matrix)
        .flatten()
        .chain(&m.a)
        .chain(&m.u);
    if let Some(v) = scores.into_iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(format!("score {v}"));
    }
    Ok(())
}

#[test]
fn record_import() {
    let case = prop_oneof![
        5 => (prop::collection::vec(edit(), 0..4), prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(mutation(), 1..3),
        ]).prop_map(|(e, m)| text(&e, &m)),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ];
    fuzz("record_import", 1000, case, |bytes| {
        let text = String::from_utf8_lossy(&bytes);
        let Ok(r) = RunRecord::parse(&text) else {
            return Ok(());
        };
        check!(
            sound(&r).is_ok(),
            "accepted a record that is not sound: {:?}",
            sound(&r)
        );
        // what the reader accepts, it reads back the same once written
        let again = RunRecord::parse(&serde_json::to_string(&r).unwrap());
        check!(
            again.as_ref() == Ok(&r),
            "a written record reads back as {again:?}"
        );
        // and the metrics of its matrix compute or are refused
        let rows = r.measured.acc_matrix.len();
        let square: Vec<Vec<f64>> = r
            .measured
            .acc_matrix
            .iter()
            .map(|row| row[..rows].to_vec())
            .collect();
        if let Ok(g) = gem_metrics(&square, None) {
            check!(g.acc.iter().all(|a| a.is_finite()), "ACC {:?}", g.acc);
        }
        Ok(())
    });
}
