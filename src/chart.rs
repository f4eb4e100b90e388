//! The owners' daily chart, laid out on the server.
//!
//! [`DailyChart::new`] turns a tool's daily counts into plain geometry (bars, a
//! clicks line, axis ticks and labels); the `stats.html` template draws that as an
//! inline SVG. No markup is built here, so every label reaches the page through
//! the template's escaping, and the page needs no script at all.

use crate::stats::Day;

/// Width of the chart's drawing, in SVG user units.
pub const WIDTH: u32 = 720;
/// Height of the chart's drawing, in SVG user units.
pub const HEIGHT: u32 = 240;
/// Room left of the plot for the count labels.
const LEFT: f64 = 44.0;
/// Room right of the plot.
const RIGHT: f64 = 12.0;
/// Room above the plot.
const TOP: f64 = 14.0;
/// Room below the plot for the date labels.
const BOTTOM: f64 = 28.0;
/// Most date labels under the axis; more would collide.
const MAX_DATE_LABELS: usize = 8;

/// One day's stacked bar: badge impressions below, widget impressions on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Bar width.
    pub width: f64,
    /// Top of the badge part.
    pub badge_y: f64,
    /// Height of the badge part.
    pub badge_height: f64,
    /// Top of the widget part.
    pub widget_y: f64,
    /// Height of the widget part.
    pub widget_height: f64,
    /// Tooltip: the day and its counts.
    pub title: String,
}

/// A labelled mark on an axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Position along the axis (x for dates, y for counts).
    pub at: f64,
    /// The label.
    pub label: String,
}

/// A point of the clicks line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
}

/// The chart's geometry, ready for the template.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyChart {
    /// Drawing width.
    pub width: u32,
    /// Drawing height.
    pub height: u32,
    /// Left edge of the plot area.
    pub plot_left: f64,
    /// Right edge of the plot area.
    pub plot_right: f64,
    /// Top edge of the plot area.
    pub plot_top: f64,
    /// The baseline (bottom edge of the plot area).
    pub baseline: f64,
    /// One bar per day, oldest first.
    pub bars: Vec<Bar>,
    /// The clicks line, one point per day.
    pub clicks: Vec<Point>,
    /// `points` attribute of the clicks polyline.
    pub clicks_path: String,
    /// Count gridlines, from 0 up.
    pub y_ticks: Vec<Tick>,
    /// Date labels under the axis.
    pub x_ticks: Vec<Tick>,
    /// Whether every count in the window is zero.
    pub empty: bool,
    /// A sentence describing the chart, for screen readers.
    pub summary: String,
}

/// The smallest "nice" axis top (1, 2 or 5 times a power of ten) at or above `max`, and its step.
fn nice_scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (4, 1);
    }
    let mut magnitude = 1_u64;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            // Four intervals read well at this height.
            if step * 4 >= max {
                return (step * 4, step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
        if magnitude >= u64::MAX / 40 {
            return (max, max.max(1));
        }
    }
}

/// Rounds to a tenth of a unit, so the SVG stays short.
fn r(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `2026-11-20` → `Nov 20`.
fn short_date(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = date.splitn(3, '-');
    let (_, month, day) = (parts.next(), parts.next(), parts.next());
    match (
        month.and_then(|m| m.parse::<usize>().ok()),
        day.and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(m @ 1..=12), Some(d)) => format!("{} {d}", MONTHS[m - 1]),
        _ => date.to_owned(),
    }
}

impl DailyChart {
    /// Lays out `days` (oldest first) in a [`WIDTH`]×[`HEIGHT`] drawing.
    pub fn new(days: &[Day]) -> DailyChart {
        let plot_left = LEFT;
        let plot_right = f64::from(WIDTH) - RIGHT;
        let plot_top = TOP;
        let baseline = f64::from(HEIGHT) - BOTTOM;
        let plot_height = baseline - plot_top;

        let max = days
            .iter()
            .map(|d| (d.badge_impressions + d.widget_impressions).max(d.clicks))
            .max()
            .unwrap_or(0);
        let (top, step) = nice_scale(max);
        let y_of = |n: u64| baseline - plot_height * (n as f64) / (top as f64);

        let n = days.len().max(1);
        let slot = (plot_right - plot_left) / n as f64;
        let gap = (slot * 0.25).min(6.0);
        let bar_width = (slot - gap).max(1.0);

        let mut bars = Vec::with_capacity(days.len());
        let mut clicks = Vec::with_capacity(days.len());
        for (i, d) in days.iter().enumerate() {
            let x = plot_left + slot * i as f64 + gap / 2.0;
            let badge_top = y_of(d.badge_impressions);
            let widget_top = y_of(d.badge_impressions + d.widget_impressions);
            bars.push(Bar {
                x: r(x),
                width: r(bar_width),
                badge_y: r(badge_top),
                badge_height: r(baseline - badge_top),
                widget_y: r(widget_top),
                widget_height: r(badge_top - widget_top),
                title: format!(
                    "{}: {} badge, {} widget, {} {}",
                    d.date,
                    d.badge_impressions,
                    d.widget_impressions,
                    d.clicks,
                    if d.clicks == 1 { "click" } else { "clicks" }
                ),
            });
            clicks.push(Point {
                x: r(x + bar_width / 2.0),
                y: r(y_of(d.clicks)),
            });
        }
        let clicks_path = clicks
            .iter()
            .map(|p| format!("{},{}", p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ");

        let y_ticks = (0..=top / step)
            .map(|k| Tick {
                at: r(y_of(k * step)),
                label: (k * step).to_string(),
            })
            .collect();

        let every = days.len().div_ceil(MAX_DATE_LABELS).max(1);
        let mut x_ticks: Vec<Tick> = days
            .iter()
            .enumerate()
            .filter(|(i, _)| i.is_multiple_of(every))
            .map(|(i, d)| Tick {
                at: r(plot_left + slot * (i as f64 + 0.5)),
                label: short_date(&d.date),
            })
            .collect();
        // Always name the last day (today); drop a label it would collide with.
        if let Some(last) = days.last()
            && !(days.len() - 1).is_multiple_of(every)
        {
            if days.len() > 1 && (days.len() - 1) % every < every.div_ceil(2) {
                x_ticks.pop();
            }
            x_ticks.push(Tick {
                at: r(plot_left + slot * (days.len() as f64 - 0.5)),
                label: short_date(&last.date),
            });
        }

        let impressions: u64 = days
            .iter()
            .map(|d| d.badge_impressions + d.widget_impressions)
            .sum();
        let total_clicks: u64 = days.iter().map(|d| d.clicks).sum();
        let summary = match (days.first(), days.last()) {
            (Some(first), Some(last)) => format!(
                "Daily impressions and clicks from {} to {}: {impressions} impressions, {total_clicks} clicks in all.",
                first.date, last.date
            ),
            _ => "No days to show.".to_owned(),
        };

        DailyChart {
            width: WIDTH,
            height: HEIGHT,
            plot_left,
            plot_right,
            plot_top,
            baseline,
            bars,
            clicks,
            clicks_path,
            y_ticks,
            x_ticks,
            empty: max == 0,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, badge: u64, widget: u64, clicks: u64) -> Day {
        Day {
            date: date.into(),
            badge_impressions: badge,
            widget_impressions: widget,
            clicks,
        }
    }

    #[test]
    fn scales_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_scale(0), (4, 1));
        assert_eq!(nice_scale(3), (4, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(9), (20, 5));
        assert_eq!(nice_scale(41), (80, 20));
        assert_eq!(nice_scale(1234), (2000, 500));
        for max in [1, 13, 99, 100, 101, 77_777] {
            let (top, step) = nice_scale(max);
            assert!(top >= max && top % step == 0, "{max}: {top} {step}");
        }
    }

    #[test]
    fn bars_stack_and_stay_inside_the_plot() {
        let days = [
            day("2026-11-20", 6, 2, 1),
            day("2026-11-21", 0, 0, 0),
            day("2026-11-22", 1, 3, 4),
        ];
        let c = DailyChart::new(&days);
        assert_eq!(c.bars.len(), 3);
        assert!(!c.empty);
        let top = c.y_ticks.last().unwrap();
        assert_eq!(top.label, "8");
        for b in &c.bars {
            assert!(b.x >= c.plot_left && b.x + b.width <= c.plot_right + 0.1);
            assert!(b.widget_y >= c.plot_top - 0.1);
            assert!((b.badge_y + b.badge_height - c.baseline).abs() < 0.2);
            assert!((b.widget_y + b.widget_height - b.badge_y).abs() < 0.2);
        }
        // The tallest day reaches the top of the scale; its badge part is 6 of 8 units.
        let first = &c.bars[0];
        let full = c.baseline - c.plot_top;
        assert!(((first.badge_height + first.widget_height) - full).abs() < 0.3);
        assert!((first.badge_height - full * 0.75).abs() < 0.3);
        assert_eq!(c.bars[1].badge_height, 0.0);
        assert_eq!(c.clicks.len(), 3);
        assert_eq!(c.clicks_path.split(' ').count(), 3);
        assert!(
            c.bars[2]
                .title
                .contains("2026-11-22: 1 badge, 3 widget, 4 clicks")
        );
        assert_eq!(c.x_ticks.first().unwrap().label, "Nov 20");
        assert_eq!(c.x_ticks.last().unwrap().label, "Nov 22");
    }

    #[test]
    fn an_empty_window_still_draws_axes() {
        let days: Vec<Day> = (1..=30)
            .map(|d| day(&format!("2026-11-{d:02}"), 0, 0, 0))
            .collect();
        let c = DailyChart::new(&days);
        assert!(c.empty);
        assert_eq!(c.y_ticks.len(), 5);
        assert!(c.x_ticks.len() <= MAX_DATE_LABELS + 1);
        assert_eq!(c.x_ticks.last().unwrap().label, "Nov 30");
        assert!(c.summary.contains("0 impressions"));
        let none = DailyChart::new(&[]);
        assert!(none.bars.is_empty() && none.empty);
    }

    #[test]
    fn dates_read_short() {
        assert_eq!(short_date("2026-01-05"), "Jan 5");
        assert_eq!(short_date("garbage"), "garbage");
    }
}
