//! Small SVG/HTML charts: line charts with axes and a legend, and the
//! accuracy-matrix heat-map. Colours are colour-blind safe (Okabe–Ito for
//! lines, viridis for the heat-map).

use leptos::prelude::*;

/// Okabe–Ito palette (without yellow, which is hard to see on white).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

const W: f64 = 380.0;
const H: f64 = 190.0;
const ML: f64 = 46.0;
const MR: f64 = 10.0;
const MT: f64 = 10.0;
const MB: f64 = 34.0;
/// Most points drawn per series; longer series are averaged in buckets.
const MAX_POINTS: usize = 300;

/// Averages `points` down to at most `MAX_POINTS`.
pub fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    points
        .chunks(points.len().div_ceil(MAX_POINTS))
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// About five round tick values covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // multiples of the step, rounded so 3 × 0.2 prints as 0.6
    (first..=last)
        .map(|i| ((i as f64 * step) * 1e9).round() / 1e9)
        .collect()
}

fn fmt_tick(v: f64) -> String {
    if v == v.round() && v.abs() < 1e6 {
        format!("{v:.0}")
    } else if v.abs() >= 0.1 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[component]
pub fn LineChart(
    #[prop(into)] series: Signal<Vec<Series>>,
    x_label: &'static str,
    y_label: &'static str,
    /// Fixed y range (e.g. accuracy 0–1); data range otherwise.
    #[prop(optional)]
    y_range: Option<(f64, f64)>,
    /// Ticks on whole numbers only (task indices).
    #[prop(optional)]
    x_integer: bool,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let plot = move || {
        let series: Vec<Series> = series
            .get()
            .into_iter()
            .map(|s| Series {
                points: thin(&s.points),
                ..s
            })
            .collect();
        let pts = || series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
        let (mut y0, mut y1) = match y_range {
            Some(r) => r,
            None => pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            }),
        };
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        if x1 - x0 < 1e-9 {
            x1 = x0 + 1.0;
        }
        if y1 - y0 < 1e-9 {
            y1 = y0 + 1.0;
        }
        if y_range.is_none() {
            let pad = (y1 - y0) * 0.05;
            y0 -= pad;
            y1 += pad;
        }
        let sx = move |x: f64| ML + (x - x0) / (x1 - x0) * (W - ML - MR);
        let sy = move |y: f64| H - MB - (y - y0) / (y1 - y0) * (H - MT - MB);
        let xt: Vec<f64> = ticks(x0, x1)
            .into_iter()
            .filter(|t| !x_integer || t.fract() == 0.0)
            .collect();
        let yt = ticks(y0, y1);
        let grid = yt
            .iter()
            .map(|&t| {
                let y = sy(t);
                view! {
                    <line x1=ML x2=W - MR y1=y y2=y class="grid" />
                    <text x=ML - 4.0 y=y + 3.0 text-anchor="end" class="tick">{fmt_tick(t)}</text>
                }
            })
            .collect_view();
        let xticks = xt
            .iter()
            .map(|&t| {
                let x = sx(t);
                view! {
                    <line x1=x x2=x y1=H - MB y2=H - MB + 4.0 class="axis" />
                    <text x=x y=H - MB + 14.0 text-anchor="middle" class="tick">{fmt_tick(t)}</text>
                }
            })
            .collect_view();
        let lines = series
            .iter()
            .map(|s| {
                let d = s
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        format!(
                            "{}{:.1},{:.1}",
                            if i == 0 { "M" } else { "L" },
                            sx(p.0),
                            sy(p.1)
                        )
                    })
                    .collect::<String>();
                let dots = (s.points.len() <= 24).then(|| {
                    s.points
                        .iter()
                        .map(|p| view! { <circle cx=sx(p.0) cy=sy(p.1) r="3" fill=s.color /> })
                        .collect_view()
                });
                view! {
                    <path d=d fill="none" stroke=s.color stroke-width="2"
                        stroke-dasharray=if s.dashed { "5 3" } else { "" } />
                    {dots}
                }
            })
            .collect_view();
        let legend = series
            .iter()
            .map(|s| {
                view! {
                    <span class="legend-item">
                        <span class="swatch" style=format!(
                            "border-top: 3px {} {}", if s.dashed { "dashed" } else { "solid" }, s.color
                        )></span>
                        {s.name.clone()}
                    </span>
                }
            })
            .collect_view();
        let empty = series.iter().all(|s| s.points.is_empty());
        view! {
            <svg viewBox=format!("0 0 {W} {H}") class="chart" role="img">
                {grid}
                {xticks}
                <line x1=ML x2=W - MR y1=H - MB y2=H - MB class="axis" />
                <line x1=ML x2=ML y1=MT y2=H - MB class="axis" />
                {lines}
                <text x=(ML + W - MR) / 2.0 y=H - 4.0 text-anchor="middle" class="label">{x_label}</text>
                <text x="12" y=(MT + H - MB) / 2.0 text-anchor="middle" class="label"
                    transform=format!("rotate(-90 12 {})", (MT + H - MB) / 2.0)>{y_label}</text>
                {empty.then(|| view! {
                    <text x=(ML + W - MR) / 2.0 y=(MT + H - MB) / 2.0 text-anchor="middle" class="muted">"no data yet"</text>
                })}
            </svg>
            <div class="legend">{legend}</div>
        }
    };
    view! { <div class="chart-box" data-testid=testid>{plot}</div> }
}

/// Viridis at `v` in [0, 1], as CSS.
pub fn viridis(v: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let v = v.clamp(0.0, 1.0);
    let i = STOPS
        .windows(2)
        .position(|w| v <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let t = (v - a.0) / (b.0 - a.0);
    let c: Vec<u8> = (0..3)
        .map(|k| (a.1[k] + (b.1[k] - a.1[k]) * t).round() as u8)
        .collect();
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// The accuracy matrix R[i][j]: rows fill in as tasks are evaluated.
#[component]
pub fn Heatmap(
    #[prop(into)] rows: Signal<Vec<Vec<f64>>>,
    #[prop(into)] tasks: Signal<usize>,
    #[prop(optional)] testid: &'static str,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let grid = move || {
        let rows = rows.get();
        let n = tasks.get().max(rows.len());
        let mut cells = Vec::new();
        cells.push(view! { <div class="corner">"after ↓ / on →"</div> }.into_any());
        for j in 0..n {
            cells.push(view! { <div class="head">{format!("T{}", j + 1)}</div> }.into_any());
        }
        for i in 0..n {
            cells.push(view! { <div class="head">{format!("T{}", i + 1)}</div> }.into_any());
            for j in 0..n {
                let cell = match rows.get(i).and_then(|r| r.get(j)) {
                    Some(&v) => {
                        let style = format!(
                            "background:{};color:{}",
                            viridis(v),
                            if v < 0.6 { "#fff" } else { "#000" }
                        );
                        let title = format!(
                            "after task {}, on task {}: {:.1}% accuracy",
                            i + 1,
                            j + 1,
                            v * 100.0
                        );
                        view! {
                            <div class="cell" data-value=format!("{v:.4}") style=style title=title>
                                {format!("{:.0}", v * 100.0)}
                            </div>
                        }
                        .into_any()
                    }
                    None => view! { <div class="cell empty"></div> }.into_any(),
                };
                cells.push(cell);
            }
        }
        let style = format!(
            "grid-template-columns: {} repeat({n}, 1fr)",
            if small { "2.2em" } else { "6.5em" }
        );
        view! { <div class="heatmap" class:small=small style=style>{cells}</div> }
    };
    view! { <div data-testid=testid class="heatmap-box">{grid}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 1.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(1.0, 5.0), [1.0, 2.0, 3.0, 4.0, 5.0]);
        let t = ticks(0.37, 2.91);
        assert!(t.first().unwrap() >= &0.37 && t.last().unwrap() <= &2.91);
        assert!(t.len() >= 3);
    }

    #[test]
    fn thinning_keeps_short_series_and_averages_long_ones() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 1.0)).collect();
        assert_eq!(thin(&short), short);
        let long: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 2.0)).collect();
        let t = thin(&long);
        assert!(t.len() <= MAX_POINTS);
        assert!(t.iter().all(|p| p.1 == 2.0));
    }

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), "rgb(68,1,84)");
        assert_eq!(viridis(1.0), "rgb(253,231,37)");
        assert_eq!(viridis(7.0), viridis(1.0));
    }
}
