//! The page's settings in its address: scenario, seed, epochs, learning
//! rate, strategy and its hyper-parameters, the encoders' start, the
//! fusion stage, the lesson's step and a race's strategies. The address
//! bar follows every change (so a reload or a bookmark keeps them), the
//! Share panel hands it out, and opening it sets everything up: running it
//! on the CPU gives the sender's numbers, which the run's hash
//! ([`palimpsest_core::metrics::matrix_hash`]) lets a room check.

use leptos::prelude::*;
use palimpsest_core::metrics::matrix_hash;
use palimpsest_core::run::limits::limit_of;
use palimpsest_core::strategy::StrategyConfig;
use serde_json::Value;

use super::session;
use super::state::AppState;

/// Everything an address can set; `None`: not in it (the page keeps its own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shared {
    pub scenario: Option<String>,
    pub seed: Option<u64>,
    pub epochs: Option<usize>,
    pub lr: Option<f64>,
    pub strategy: Option<StrategyConfig>,
    pub pretrained: Option<bool>,
    pub fusion: Option<bool>,
    /// The lesson's step (1-based).
    pub lesson: Option<usize>,
    /// The strategies chosen to compare or race, by name.
    pub race: Option<Vec<String>>,
}

/// Parameters of the address this module reads and writes; others (the
/// device, test hooks, `present`, `embed`) pass through untouched.
fn ours(key: &str) -> bool {
    matches!(
        key,
        "scenario"
            | "seed"
            | "epochs"
            | "lr"
            | "strategy"
            | "pretrained"
            | "fusion"
            | "lesson"
            | "race"
    ) || key.starts_with("p.")
}

fn flag(v: &str) -> Option<bool> {
    match v {
        "1" | "true" | "on" => Some(true),
        "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Reads an address's parameters. What cannot be used is named in the
/// returned problems (one line each) and left out; the rest applies.
pub fn parse(pairs: &[(String, String)]) -> (Shared, Vec<String>) {
    let mut s = Shared::default();
    let mut problems = Vec::new();
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let mut bad = |k: &str, v: &str, why: &str| problems.push(format!("?{k}={v}: {why}"));
    if let Some(v) = get("scenario") {
        if super::SCENARIOS.iter().any(|(n, _)| *n == v) {
            s.scenario = Some(v.to_string());
        } else {
            let names: Vec<&str> = super::SCENARIOS.iter().map(|(n, _)| *n).collect();
            bad(
                "scenario",
                v,
                &format!("not a stream of the page ({})", names.join(", ")),
            );
        }
    }
    if let Some(v) = get("seed") {
        match v.parse() {
            Ok(n) => s.seed = Some(n),
            Err(_) => bad("seed", v, "the seed must be a whole number"),
        }
    }
    let ranged = |path: &str, v: &str| -> Result<f64, String> {
        let x: f64 = v.parse().map_err(|_| "not a number".to_string())?;
        match limit_of(path) {
            Some(l) => l.admit(x),
            None if x.is_finite() => Ok(x),
            None => Err("not a finite number".into()),
        }
    };
    if let Some(v) = get("epochs") {
        match ranged("epochs", v) {
            Ok(x) if x.fract() == 0.0 => s.epochs = Some(x as usize),
            Ok(_) => bad("epochs", v, "epochs must be a whole number"),
            Err(e) => bad("epochs", v, &e),
        }
    }
    if let Some(v) = get("lr") {
        match ranged("lr", v) {
            Ok(x) => s.lr = Some(x),
            Err(e) => bad("lr", v, &e),
        }
    }
    for (key, target) in [("pretrained", &mut s.pretrained), ("fusion", &mut s.fusion)] {
        if let Some(v) = get(key) {
            match flag(v) {
                Some(b) => *target = Some(b),
                None => bad(key, v, "must be 1 or 0"),
            }
        }
    }
    if let Some(v) = get("strategy") {
        match StrategyConfig::by_name(v) {
            Ok(base) => {
                let mut json = serde_json::to_value(&base).unwrap_or(Value::Null);
                for (k, raw) in pairs.iter().filter(|(k, _)| k.starts_with("p.")) {
                    let key = &k[2..];
                    let value = match json.get(key) {
                        Some(Value::Bool(_)) => flag(raw)
                            .map(Value::Bool)
                            .ok_or("must be 1 or 0".to_string()),
                        Some(Value::Number(n)) => ranged(&format!("strategy.{v}.{key}"), raw)
                            .and_then(|x| {
                                if n.is_u64() {
                                    (x.fract() == 0.0 && x >= 0.0)
                                        .then(|| Value::from(x as u64))
                                        .ok_or("must be a whole number".to_string())
                                } else {
                                    Ok(Value::from(x))
                                }
                            }),
                        _ => Err(format!("{v} has no setting '{key}'")),
                    };
                    match value {
                        Ok(x) => json[key] = x,
                        Err(e) => bad(k, raw, &e),
                    }
                }
                match serde_json::from_value::<StrategyConfig>(json) {
                    Ok(c) => s.strategy = Some(c),
                    Err(e) => bad("strategy", v, &e.to_string()),
                }
            }
            Err(e) => bad("strategy", v, &e),
        }
    }
    if let Some(v) = get("lesson") {
        // `?lesson` alone opens it at its first step
        match if v.is_empty() {
            Ok(1)
        } else {
            v.parse::<usize>()
        } {
            Ok(n) if n >= 1 => s.lesson = Some(n),
            _ => bad("lesson", v, "the lesson's step is a number from 1"),
        }
    }
    if let Some(v) = get("race") {
        let names: Vec<String> = v.split(',').map(|n| n.trim().to_string()).collect();
        let unknown: Vec<&String> = names
            .iter()
            .filter(|n| StrategyConfig::by_name(n).is_err())
            .collect();
        if !unknown.is_empty() {
            bad("race", v, &format!("unknown strategy {}", unknown[0]));
        } else if !(2..=super::race::MAX_LANES).contains(&names.len()) {
            bad(
                "race",
                v,
                &format!("a race has 2 to {} strategies", super::race::MAX_LANES),
            );
        } else {
            s.race = Some(names);
        }
    }
    (s, problems)
}

/// The parameters that say `s`, in a fixed order.
pub fn to_pairs(s: &Shared) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| out.push((k.to_string(), v));
    if let Some(v) = &s.scenario {
        put("scenario", v.clone());
    }
    if let Some(v) = s.seed {
        put("seed", v.to_string());
    }
    if let Some(v) = s.epochs {
        put("epochs", v.to_string());
    }
    if let Some(v) = s.lr {
        put("lr", v.to_string());
    }
    if let Some(c) = &s.strategy {
        put("strategy", c.name().to_string());
        // only what differs from the strategy's defaults
        let base = StrategyConfig::by_name(c.name())
            .ok()
            .and_then(|b| serde_json::to_value(b).ok());
        if let (Ok(Value::Object(mine)), Some(Value::Object(base))) =
            (serde_json::to_value(c), base)
        {
            for (k, v) in mine {
                if k == "name" || base.get(&k) == Some(&v) {
                    continue;
                }
                let text = match v {
                    Value::Bool(b) => (if b { "1" } else { "0" }).to_string(),
                    other => other.to_string(),
                };
                put(&format!("p.{k}"), text);
            }
        }
    }
    if let Some(v) = s.pretrained {
        put("pretrained", (if v { "1" } else { "0" }).to_string());
    }
    if let Some(v) = s.fusion {
        put("fusion", (if v { "1" } else { "0" }).to_string());
    }
    if let Some(v) = s.lesson {
        put("lesson", v.to_string());
    }
    if let Some(v) = &s.race {
        put("race", v.join(","));
    }
    out
}

/// What the page is set to now.
pub fn current(st: AppState) -> Shared {
    Shared {
        scenario: Some(st.scenario.get()),
        seed: Some(st.seed.get()),
        epochs: Some(st.epochs.get()),
        lr: Some(st.lr.get()),
        strategy: Some(st.strategy.get()),
        pretrained: Some(st.pretrained.get()),
        fusion: Some(st.fusion.get()),
        lesson: st.lesson.get().map(|k| k + 1),
        race: Some(st.contenders.get()),
    }
}

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The address's parameters, in order.
pub fn address_pairs() -> Vec<(String, String)> {
    let Some(search) = location().and_then(|l| l.search().ok()) else {
        return Vec::new();
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let entries = js_sys::try_iter(&params).ok().flatten();
    for entry in entries.into_iter().flatten().flatten() {
        let pair = js_sys::Array::from(&entry);
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            out.push((k, v));
        }
    }
    out
}

/// The page's address with `s` in place of this module's parameters.
pub fn url_of(s: &Shared) -> String {
    let Some(loc) = location() else {
        return String::new();
    };
    let params = web_sys::UrlSearchParams::new().expect("an empty parameter list");
    for (k, v) in address_pairs().into_iter().filter(|(k, _)| !ours(k)) {
        params.append(&k, &v);
    }
    for (k, v) in to_pairs(s) {
        params.append(&k, &v);
    }
    let query = String::from(params.to_string());
    let base = format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    );
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// Sets the page up as an address says (after what an earlier visit kept
/// was restored): the stream, then the settings; problems are shown.
pub fn apply(st: AppState, s: &Shared, problems: Vec<String>) {
    for p in problems {
        st.error(format!("The link's {p}; the page's own setting is kept."));
    }
    let scenario = s
        .scenario
        .clone()
        .unwrap_or_else(|| st.scenario.get_untracked());
    let seed = s.seed.unwrap_or_else(|| st.seed.get_untracked());
    if scenario != st.scenario.get_untracked() || seed != st.seed.get_untracked() {
        session::load(st, scenario, seed);
    }
    if let Some(v) = s.epochs {
        st.epochs.set(v);
    }
    if let Some(v) = s.lr {
        st.lr.set(v);
    }
    if let Some(v) = s.fusion {
        st.fusion.set(v);
    }
    if let Some(v) = &s.strategy {
        // a strategy that needs the fusion stage turns it on
        if v.needs_fusion() {
            st.fusion.set(true);
        }
        st.strategy.set(v.clone());
    }
    if let Some(v) = s.pretrained {
        st.pretrained.set(v);
    }
    if let Some(v) = &s.race {
        st.contenders.set(v.clone());
    }
    if let Some(k) = s.lesson {
        st.lesson.set(Some(k - 1));
    }
}

/// The address bar follows the settings (without a new history entry).
pub fn follow(st: AppState) {
    Effect::new(move |_| {
        let url = url_of(&current(st));
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    });
}

/// The Share panel: the link to these settings, and the shown run's hash.
#[component]
pub fn Share() -> impl IntoView {
    let st = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let url = move || url_of(&current(st));
    let hash = move || {
        st.shown_run()
            .filter(|r| !r.acc.is_empty())
            .map(|r| matrix_hash(&r.acc))
    };
    view! {
        <div class="row share">
            <button data-testid="share" on:click=move |_| open.update(|o| *o = !*o)
                title="a link that opens this page with these settings">"Share"</button>
            <Show when=move || open.get()>
                <label class="share-url">
                    "Link to these settings "
                    <input type="text" readonly data-testid="share-url" prop:value=url
                        on:focus=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            input.select();
                        } />
                </label>
            </Show>
            {move || hash().map(|h| view! {
                <span class="run-hash" title="a short hash of the shown run's matrix: the same settings on the CPU give the same hash everywhere">
                    "matrix hash " <code data-testid="run-hash">{h}</code>
                </span>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn settings_round_trip_through_the_address() {
        let mut strategy = StrategyConfig::by_name("replay").unwrap();
        let mut json = serde_json::to_value(&strategy).unwrap();
        json["memory_share"] = Value::from(0.3);
        strategy = serde_json::from_value(json).unwrap();
        let s = Shared {
            scenario: Some("relation".into()),
            seed: Some(11),
            epochs: Some(3),
            lr: Some(0.002),
            strategy: Some(strategy),
            pretrained: Some(false),
            fusion: Some(false),
            lesson: Some(4),
            race: Some(vec!["finetune".into(), "mspt".into()]),
        };
        let p = to_pairs(&s);
        assert!(p.contains(&("p.memory_share".into(), "0.3".into())));
        // a default value stays out of the address
        assert!(!p.iter().any(|(k, _)| k == "p.memory_per_class"));
        let (back, problems) = parse(&p);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, s);
    }

    #[test]
    fn a_bad_value_is_named_and_the_rest_applies() {
        let (s, problems) = parse(&pairs(&[
            ("scenario", "nowhere"),
            ("seed", "7"),
            ("lr", "100"),
            ("strategy", "mspt"),
            ("p.gm", "0"),
            ("p.nothing", "1"),
            ("race", "finetune"),
            ("lesson", "0"),
        ]));
        assert_eq!(s.seed, Some(7));
        assert_eq!(s.scenario, None);
        assert_eq!(s.lr, None);
        assert_eq!(s.race, None);
        let json = serde_json::to_value(s.strategy.unwrap()).unwrap();
        assert_eq!(json["gm"], false);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("?scenario=nowhere: not a stream of the page"));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("?lr=100: lr = 100 is out of range")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "?p.nothing=1: mspt has no setting 'nothing'")
        );
    }

    #[test]
    fn only_its_own_parameters_are_rewritten() {
        assert!(ours("scenario") && ours("p.gm") && ours("race"));
        assert!(!ours("device") && !ours("fault") && !ours("present") && !ours("embed"));
    }
}
