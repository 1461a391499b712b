//! `palimpsest compare`: a markdown table of run records, grouped by
//! scenario and strategy, mean ± std over the runs (seeds) of each group.

use palimpsest_core::metrics::ModalityGains;
use palimpsest_core::run::RunRecord;
use palimpsest_core::run::record::MAX_RECORD_BYTES;

use crate::files::read_capped;

/// (Errors name `path` as given: `main` prints every error escaped.)
fn load(path: &str) -> Result<RunRecord, String> {
    let text = read_capped(path, MAX_RECORD_BYTES)?;
    let r = RunRecord::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    if r.measured.a.is_empty() {
        return Err(format!("{path}: the run record holds no evaluated task"));
    }
    Ok(r)
}

fn mean_std(v: &[f64]) -> String {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return format!("{:.1}", 100.0 * mean);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    format!("{:.1} ± {:.1}", 100.0 * mean, 100.0 * var.sqrt())
}

/// One row's values: final A_T, mean U_k, ACC_T, BWT, forgetting.
fn values(r: &RunRecord) -> [f64; 5] {
    let mean_u = r.measured.u.iter().sum::<f64>() / r.measured.u.len() as f64;
    [
        *r.measured.a.last().expect("checked on load"),
        mean_u,
        *r.metrics.acc.last().expect("checked on load"),
        r.metrics.bwt.unwrap_or(0.0),
        r.metrics.forgetting.unwrap_or(0.0),
    ]
}

pub fn run(paths: &[String]) -> Result<String, String> {
    let records: Vec<RunRecord> = paths.iter().map(|p| load(p)).collect::<Result<_, _>>()?;
    Ok(table(&records))
}

pub fn table(records: &[RunRecord]) -> String {
    let mut groups: Vec<((String, String), Vec<&RunRecord>)> = Vec::new();
    for r in records {
        let key = (r.config.scenario.clone(), r.config.strategy.label());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let mut s = String::from(
        "| scenario | strategy | runs | A_T (%) | mean U_k (%) | ACC (%) | BWT (pp) | forgetting (pp) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for ((scenario, label), runs) in &groups {
        let vals: Vec<[f64; 5]> = runs.iter().map(|r| values(r)).collect();
        let col = |i: usize| mean_std(&vals.iter().map(|v| v[i]).collect::<Vec<_>>());
        s.push_str(&format!(
            "| {scenario} | {label} | {} | {} | {} | {} | {} | {} |\n",
            runs.len(),
            col(0),
            col(1),
            col(2),
            col(3),
            col(4)
        ));
    }
    s.push_str(&gains_table(&groups));
    s
}

/// BwRG and FwRG after the last task (MERA's relative gains, in %) and the
/// forgetting split as MoDE does, for the groups whose runs all hold gains;
/// empty if none does.
fn gains_table(groups: &[((String, String), Vec<&RunRecord>)]) -> String {
    let mut s = String::new();
    for ((scenario, label), runs) in groups {
        // one value of each run's gains (as a fraction, for mean_std), or
        // `None` if a run lacks it
        let column = |pick: fn(&ModalityGains) -> Option<f64>| -> Option<Vec<f64>> {
            runs.iter()
                .map(|r| r.modality_gains.as_ref().and_then(pick).map(|v| v / 100.0))
                .collect()
        };
        let (Some(bw), Some(fw)) = (
            column(|g| g.bwrg.last().copied().flatten()),
            column(|g| g.fwrg.last().copied().flatten()),
        ) else {
            continue;
        };
        // "–" where no run has a task of that kind
        let split = |pick| column(pick).map_or("–".to_string(), |v| mean_std(&v));
        if s.is_empty() {
            s.push_str(
                "\nRelative gains against experts trained on each task alone, and forgetting within and across modalities, after the last task:\n\n| scenario | strategy | runs | BwRG (%) | FwRG (%) | intra-modal forgetting (pp) | inter-modal forgetting (pp) |\n|---|---|---|---|---|---|---|\n",
            );
        }
        s.push_str(&format!(
            "| {scenario} | {label} | {} | {} | {} | {} | {} |\n",
            runs.len(),
            mean_std(&bw),
            mean_std(&fw),
            split(|g| g.intra_forgetting),
            split(|g| g.inter_forgetting)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn mean_std_of_percentages() {
        assert_eq!(super::mean_std(&[0.5]), "50.0");
        // mean 0.5, sample std 0.1
        assert_eq!(super::mean_std(&[0.4, 0.5, 0.6]), "50.0 ± 10.0");
    }
}
