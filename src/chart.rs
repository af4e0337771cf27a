//! The trend chart's geometry: a [`Trend`](crate::read::Trend) turned into the coordinates of
//! an inline SVG line chart (the report's and the server's templates draw it; nothing here
//! writes markup). Plain data in, plain data out.

use serde::Serialize;

use crate::domain::FUNNEL;
use crate::read::Trend;

/// The drawing area, in SVG user units (the SVG scales to its container).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// One line: a funnel step across the snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Series {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    /// `x,y x,y …` for a `<polyline points>`.
    pub(crate) points: String,
    /// Each point with its value, for markers and their titles.
    pub(crate) marks: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Mark {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) value: u64,
    pub(crate) snapshot: i64,
}

/// A labelled place on an axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Tick {
    pub(crate) at: f64,
    pub(crate) label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TrendChart {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) left: f64,
    pub(crate) right: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
    pub(crate) series: Vec<Series>,
    /// One per snapshot: its as-of date.
    pub(crate) x_ticks: Vec<Tick>,
    pub(crate) y_ticks: Vec<Tick>,
}

/// A round step giving about five ticks up to `max`.
fn step(max: u64) -> u64 {
    let raw = (max.max(1) as f64 / 5.0).max(1.0);
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let unit = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|u| u * mag >= raw)
        .unwrap_or(10.0);
    (unit * mag).round() as u64
}

/// The chart of the funnel's steps over the snapshots, in as-of order, x spaced by time
/// (snapshots a month apart sit further apart than a week apart). `None` under two
/// snapshots: a line needs two points.
pub(crate) fn trend_chart(t: &Trend) -> Option<TrendChart> {
    if t.snapshots.len() < 2 {
        return None;
    }
    let times: Vec<i64> = t.snapshots.iter().map(|p| p.as_of.timestamp()).collect();
    let (t0, t1) = (times[0], *times.last().expect("two"));
    let span = (t1 - t0).max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_of = |i: usize| {
        if t1 == t0 {
            LEFT + plot_w * i as f64 / (times.len() - 1) as f64
        } else {
            LEFT + plot_w * (times[i] - t0) as f64 / span
        }
    };
    let max = t
        .snapshots
        .iter()
        .flat_map(|p| p.funnel.0.iter().map(|(_, n)| *n))
        .max()
        .unwrap_or(0);
    let step = step(max);
    let top_value = max.div_ceil(step).max(1) * step;
    let y_of = |v: u64| TOP + plot_h * (1.0 - v as f64 / top_value as f64);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let series = FUNNEL
        .iter()
        .map(|(key, label)| {
            let marks: Vec<Mark> = t
                .snapshots
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let value = p
                        .funnel
                        .0
                        .iter()
                        .find(|(k, _)| k == key)
                        .map_or(0, |(_, n)| *n);
                    Mark {
                        x: round(x_of(i)),
                        y: round(y_of(value)),
                        value,
                        snapshot: p.snapshot.id,
                    }
                })
                .collect();
            Series {
                key,
                label,
                points: marks
                    .iter()
                    .map(|m| format!("{},{}", m.x, m.y))
                    .collect::<Vec<_>>()
                    .join(" "),
                marks,
            }
        })
        .collect();
    let x_ticks = t
        .snapshots
        .iter()
        .enumerate()
        .map(|(i, p)| Tick {
            at: round(x_of(i)),
            label: p.as_of.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let y_ticks = (0..=top_value / step)
        .map(|k| Tick {
            at: round(y_of(k * step)),
            label: crate::util::thousands(k * step),
        })
        .collect();
    Some(TrendChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        series,
        x_ticks,
        y_ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_give_about_five_ticks() {
        assert_eq!(step(0), 1);
        assert_eq!(step(9), 2);
        assert_eq!(step(600), 200);
        assert_eq!(step(1_000_000), 200_000);
        assert_eq!(step(2_340), 500);
    }
}
