//! The owners' daily chart, laid out on the server.
//!
//! [`DailyChart::new`] turns a tool's daily counts into plain geometry: two panels
//! sharing one date axis, impressions (badge and widget, stacked) above and clicks below
//! on a scale of their own, since clicks are a few percent of impressions and would lie
//! flat on the impressions axis. The `stats.html` template draws each panel's bars as an
//! SVG stretched to the panel (`preserveAspectRatio="none"`, so coordinates here are
//! days across and percent of the panel's height down) and sets every label as HTML
//! around it, so labels keep their pixel size on a 360 px phone and a 1000 px screen
//! alike. No markup is built here, so every label reaches the page through the
//! template's escaping, and the page needs no script at all.

use crate::stats::Day;

/// Most date labels under the axis on a wide screen; more would collide.
const MAX_DATE_LABELS: usize = 8;
/// Share of each day's slot left empty between bars.
const GAP: f64 = 0.25;

/// One day's stacked bar: badge impressions below, widget impressions on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge, in days from the first.
    pub x: f64,
    /// Bar width, in days.
    pub width: f64,
    /// Top of the badge part, in percent of the panel from its top.
    pub badge_y: f64,
    /// Height of the badge part, in percent.
    pub badge_height: f64,
    /// Top of the widget part, in percent.
    pub widget_y: f64,
    /// Height of the widget part, in percent.
    pub widget_height: f64,
    /// Tooltip: the day and its counts.
    pub title: String,
}

/// One day's clicks bar.
#[derive(Debug, Clone, PartialEq)]
pub struct ClickBar {
    /// Left edge, in days from the first.
    pub x: f64,
    /// Bar width, in days.
    pub width: f64,
    /// Top, in percent of the panel from its top.
    pub y: f64,
    /// Height, in percent.
    pub height: f64,
    /// Tooltip: the day and its clicks.
    pub title: String,
}

/// A labelled mark on an axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Position along the axis, in percent: from the panel's top for counts, from the
    /// plot's left for dates.
    pub at: f64,
    /// The label.
    pub label: String,
    /// A date label dropped on narrow screens, where only every other one fits.
    pub minor: bool,
}

/// The chart's geometry, ready for the template.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyChart {
    /// Number of days across (the SVGs' viewBox width).
    pub days: usize,
    /// One bar per day, oldest first.
    pub bars: Vec<Bar>,
    /// Impression gridlines and labels, from 0 up.
    pub y_ticks: Vec<Tick>,
    /// One clicks bar per day, oldest first.
    pub click_bars: Vec<ClickBar>,
    /// Clicks gridlines and labels, from 0 up.
    pub click_ticks: Vec<Tick>,
    /// Date labels under the axis.
    pub x_ticks: Vec<Tick>,
    /// Characters in the longest count label, to size the label column.
    pub label_chars: usize,
    /// Whether every count in the window is zero.
    pub empty: bool,
    /// A sentence describing the chart, for screen readers.
    pub summary: String,
}

/// The smallest "nice" axis top (1, 2 or 5 times a power of ten, times `intervals`) at
/// or above `max`, and its step.
fn nice_scale(max: u64, intervals: u64) -> (u64, u64) {
    if max == 0 {
        return (intervals, 1);
    }
    let mut magnitude = 1_u64;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            if step * intervals >= max {
                return (step * intervals, step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
        if magnitude >= u64::MAX / 40 {
            return (max, max.max(1));
        }
    }
}

/// Rounds to a hundredth, so the SVG stays short.
fn r(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
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

/// Gridline positions and labels for a scale of `top` in `step`s.
fn count_ticks(top: u64, step: u64) -> Vec<Tick> {
    (0..=top / step)
        .map(|k| Tick {
            at: r(100.0 - 100.0 * (k * step) as f64 / top as f64),
            label: (k * step).to_string(),
            minor: false,
        })
        .collect()
}

/// Date labels: at most [`MAX_DATE_LABELS`], always today's; every other one, counted
/// back from today, is minor.
fn date_ticks(days: &[Day]) -> Vec<Tick> {
    let n = days.len();
    let at = |i: usize| r(100.0 * (i as f64 + 0.5) / n as f64);
    let every = n.div_ceil(MAX_DATE_LABELS).max(1);
    let mut shown: Vec<usize> = (0..n).filter(|i| i.is_multiple_of(every)).collect();
    // Always name the last day (today); drop a label it would collide with.
    if n > 0 && !(n - 1).is_multiple_of(every) {
        if n > 1 && (n - 1) % every < every.div_ceil(2) {
            shown.pop();
        }
        shown.push(n - 1);
    }
    let count = shown.len();
    shown
        .into_iter()
        .enumerate()
        .map(|(k, i)| Tick {
            at: at(i),
            label: short_date(&days[i].date),
            minor: (count - 1 - k) % 2 == 1,
        })
        .collect()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl DailyChart {
    /// Lays out `days` (oldest first).
    pub fn new(days: &[Day]) -> DailyChart {
        let max = days
            .iter()
            .map(|d| d.badge_impressions + d.widget_impressions)
            .max()
            .unwrap_or(0);
        let max_clicks = days.iter().map(|d| d.clicks).max().unwrap_or(0);
        let (top, step) = nice_scale(max, 4);
        let (click_top, click_step) = nice_scale(max_clicks, 2);
        let pct = |n: u64, top: u64| 100.0 * n as f64 / top as f64;

        let width = 1.0 - GAP;
        let mut bars = Vec::with_capacity(days.len());
        let mut click_bars = Vec::with_capacity(days.len());
        for (i, d) in days.iter().enumerate() {
            let x = r(i as f64 + GAP / 2.0);
            let badge = pct(d.badge_impressions, top);
            let widget = pct(d.widget_impressions, top);
            bars.push(Bar {
                x,
                width,
                badge_y: r(100.0 - badge),
                badge_height: r(badge),
                widget_y: r(100.0 - badge - widget),
                widget_height: r(widget),
                title: format!(
                    "{}: {} badge, {} widget",
                    d.date, d.badge_impressions, d.widget_impressions
                ),
            });
            let clicks = pct(d.clicks, click_top);
            click_bars.push(ClickBar {
                x,
                width,
                y: r(100.0 - clicks),
                height: r(clicks),
                title: format!("{}: {}", d.date, plural(d.clicks, "click", "clicks")),
            });
        }

        let y_ticks = count_ticks(top, step);
        let click_ticks = count_ticks(click_top, click_step);
        let label_chars = y_ticks
            .iter()
            .chain(&click_ticks)
            .map(|t| t.label.len())
            .max()
            .unwrap_or(1);

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
            days: days.len().max(1),
            bars,
            y_ticks,
            click_bars,
            click_ticks,
            x_ticks: date_ticks(days),
            label_chars,
            empty: max == 0 && max_clicks == 0,
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
        assert_eq!(nice_scale(0, 4), (4, 1));
        assert_eq!(nice_scale(3, 4), (4, 1));
        assert_eq!(nice_scale(7, 4), (8, 2));
        assert_eq!(nice_scale(9, 4), (20, 5));
        assert_eq!(nice_scale(41, 4), (80, 20));
        assert_eq!(nice_scale(1234, 4), (2000, 500));
        assert_eq!(nice_scale(3, 2), (4, 2));
        for max in [1, 13, 99, 100, 101, 77_777] {
            for intervals in [2, 4] {
                let (top, step) = nice_scale(max, intervals);
                assert!(top >= max && top % step == 0, "{max}: {top} {step}");
            }
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
        assert_eq!((c.days, c.bars.len()), (3, 3));
        assert!(!c.empty);
        assert_eq!(c.y_ticks.last().unwrap().label, "8");
        for (i, b) in c.bars.iter().enumerate() {
            assert!(b.x >= i as f64 && b.x + b.width <= i as f64 + 1.0);
            assert!(b.widget_y >= -0.01);
            assert!((b.badge_y + b.badge_height - 100.0).abs() < 0.02);
            assert!((b.widget_y + b.widget_height - b.badge_y).abs() < 0.02);
        }
        // The tallest day reaches the top of the scale; its badge part is 6 of 8 units.
        let first = &c.bars[0];
        assert!((first.badge_height + first.widget_height - 100.0).abs() < 0.02);
        assert!((first.badge_height - 75.0).abs() < 0.02);
        assert_eq!(c.bars[1].badge_height, 0.0);
        assert!(c.bars[2].title.contains("2026-11-22: 1 badge, 3 widget"));
        assert_eq!(c.x_ticks.first().unwrap().label, "Nov 20");
        assert_eq!(c.x_ticks.last().unwrap().label, "Nov 22");
    }

    #[test]
    fn clicks_have_their_own_scale() {
        // 3 clicks against 800 impressions: on a shared axis they would be 0.4% high.
        let days = [day("2026-11-20", 700, 100, 3), day("2026-11-21", 400, 0, 1)];
        let c = DailyChart::new(&days);
        assert_eq!(c.y_ticks.last().unwrap().label, "800");
        assert_eq!(c.click_ticks.last().unwrap().label, "4");
        assert_eq!(c.click_ticks.len(), 3);
        assert!((c.click_bars[0].height - 75.0).abs() < 0.02);
        assert!((c.click_bars[0].y + c.click_bars[0].height - 100.0).abs() < 0.02);
        assert_eq!(c.click_bars[1].title, "2026-11-21: 1 click");
        assert_eq!(c.label_chars, 3);
    }

    #[test]
    fn every_other_date_is_minor_counting_back_from_today() {
        let days: Vec<Day> = (1..=30)
            .map(|d| day(&format!("2026-11-{d:02}"), 1, 0, 0))
            .collect();
        let c = DailyChart::new(&days);
        assert!(c.x_ticks.len() <= MAX_DATE_LABELS + 1);
        let last = c.x_ticks.last().unwrap();
        assert_eq!((last.label.as_str(), last.minor), ("Nov 30", false));
        let major: Vec<_> = c.x_ticks.iter().filter(|t| !t.minor).collect();
        assert!(major.len() <= MAX_DATE_LABELS.div_ceil(2) + 1);
        for pair in c.x_ticks.windows(2) {
            assert!(pair[0].minor != pair[1].minor, "{pair:?}");
            assert!(pair[0].at < pair[1].at);
        }
        assert!(c.x_ticks.iter().all(|t| (0.0..=100.0).contains(&t.at)));
    }

    #[test]
    fn an_empty_window_still_draws_axes() {
        let days: Vec<Day> = (1..=30)
            .map(|d| day(&format!("2026-11-{d:02}"), 0, 0, 0))
            .collect();
        let c = DailyChart::new(&days);
        assert!(c.empty);
        assert_eq!(c.y_ticks.len(), 5);
        assert_eq!(c.x_ticks.last().unwrap().label, "Nov 30");
        assert!(c.summary.contains("0 impressions"));
        let none = DailyChart::new(&[]);
        assert!(none.bars.is_empty() && none.empty && none.x_ticks.is_empty());
    }

    #[test]
    fn dates_read_short() {
        assert_eq!(short_date("2026-01-05"), "Jan 5");
        assert_eq!(short_date("garbage"), "garbage");
    }
}
