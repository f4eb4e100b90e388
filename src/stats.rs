//! Counts read back for a tool, in the contract's JSON shape.

use crate::store::{DayTotals, Store, StoreResult, WindowCounts};
use crate::verdict::Slug;
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

/// Longest window a stats request may ask for, in days.
pub const MAX_DAYS: u32 = 366;
/// Window when none is asked for.
pub const DEFAULT_DAYS: u32 = 30;
/// Referrer hosts listed, most impressions first.
pub const TOP_REFERRERS: usize = 100;

/// Totals over the window.
#[derive(Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Totals {
    /// Badge loads by readers.
    pub badge_impressions: u64,
    /// Widget loads by readers.
    pub widget_impressions: u64,
    /// Clicks through to the review.
    pub clicks: u64,
    /// Requests from bots, prefetches and HEAD.
    pub bot_requests: u64,
}

/// One UTC day's counts.
#[derive(Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// Badge loads by readers.
    pub badge_impressions: u64,
    /// Widget loads by readers.
    pub widget_impressions: u64,
    /// Clicks through to the review.
    pub clicks: u64,
}

/// Counts from one referrer host.
#[derive(Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Referrer {
    /// Host, `(direct)` or `(other)`.
    pub host: String,
    /// Badge and widget loads from this host.
    pub impressions: u64,
    /// Clicks from this host.
    pub clicks: u64,
}

/// A tool's stats over a window of days: the body of `GET /api/stats/{slug}`.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Stats {
    /// The tool.
    pub slug: String,
    /// First day, inclusive.
    #[schema(format = Date)]
    pub from: String,
    /// Last day (today, UTC), inclusive.
    #[schema(format = Date)]
    pub to: String,
    /// Sums over the window.
    pub totals: Totals,
    /// Every day of the window, oldest first, zeros included.
    pub daily: Vec<Day>,
    /// Top referrer hosts by impressions.
    pub referrers: Vec<Referrer>,
}

/// A stats window: how many UTC days back, today included, from 1 to [`MAX_DAYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days(u32);

/// A `days` value outside 1 to [`MAX_DAYS`], or not a number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("days must be a whole number from 1 to {MAX_DAYS}, got {0:?}")]
pub struct BadDays(pub String);

impl Default for Days {
    fn default() -> Days {
        Days(DEFAULT_DAYS)
    }
}

impl Days {
    /// `n` days, if `n` is from 1 to [`MAX_DAYS`].
    pub fn new(n: u32) -> Result<Days, BadDays> {
        if (1..=MAX_DAYS).contains(&n) {
            Ok(Days(n))
        } else {
            Err(BadDays(n.to_string()))
        }
    }

    /// How many days.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The first and last UTC day of the window ending on `today`.
    pub fn ending(self, today: Date) -> (Date, Date) {
        (today - Duration::days(i64::from(self.0) - 1), today)
    }
}

impl std::str::FromStr for Days {
    type Err = BadDays;

    fn from_str(s: &str) -> Result<Days, BadDays> {
        s.parse::<u32>()
            .ok()
            .and_then(|n| Days::new(n).ok())
            .ok_or_else(|| BadDays(s.to_owned()))
    }
}

/// Reads a tool's stats for the last `days` UTC days, today included.
///
/// Totals, days and top referrers are summed in SQL from the aggregates (see
/// [`crate::store`]), in one statement: the cost follows the window's days and
/// referrers, not the number of count rows behind them.
pub async fn read(store: &Store, slug: &Slug, days: Days) -> StoreResult<Stats> {
    let (from, to) = days.ending(OffsetDateTime::now_utc().date());
    let window = store.window_counts(slug, from, to, TOP_REFERRERS).await?;
    Ok(assemble(slug, from, to, window))
}

/// A tool's daily series for the last `days` UTC days (the CSV download): every day
/// of the window, oldest first, zeros included.
pub async fn read_daily(store: &Store, slug: &Slug, days: Days) -> StoreResult<Series> {
    let (from, to) = days.ending(OffsetDateTime::now_utc().date());
    let totals = store.daily_totals(slug, from, to).await?;
    Ok(Series {
        from: from.to_string(),
        to: to.to_string(),
        daily: zero_filled(from, to, &totals).0,
    })
}

/// The days of a window without their referrers.
#[derive(Debug, PartialEq, Eq)]
pub struct Series {
    /// First day, inclusive.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// Every day of the window, oldest first, zeros included.
    pub daily: Vec<Day>,
}

/// Every day from `from` to `to` with the sums of the days that have counts, and the
/// totals over them.
fn zero_filled(from: Date, to: Date, days: &[DayTotals]) -> (Vec<Day>, Totals) {
    let mut totals = Totals::default();
    let mut out = Vec::with_capacity((to - from).whole_days().max(0) as usize + 1);
    let mut counted = days.iter().peekable();
    let mut day = from;
    while day <= to {
        let mut entry = Day {
            date: day.to_string(),
            ..Day::default()
        };
        // Days outside the window cannot come back from the store; skip them anyway.
        while let Some(c) = counted.next_if(|c| c.day <= day) {
            if c.day < day {
                continue;
            }
            entry.badge_impressions += c.badge;
            entry.widget_impressions += c.widget;
            entry.clicks += c.click;
            totals.badge_impressions += c.badge;
            totals.widget_impressions += c.widget;
            totals.clicks += c.click;
            totals.bot_requests += c.bot;
        }
        out.push(entry);
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    (out, totals)
}

/// The contract's shape from a window's aggregates: zero-filled days, totals over
/// them, the top referrers as the store ranked them.
pub fn assemble(slug: &Slug, from: Date, to: Date, window: WindowCounts) -> Stats {
    let (daily, totals) = zero_filled(from, to, &window.days);
    Stats {
        slug: slug.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        totals,
        daily,
        referrers: window
            .referrers
            .into_iter()
            .map(|r| Referrer {
                host: r.referrer,
                impressions: r.impressions,
                clicks: r.clicks,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(day: Date, badge: u64, widget: u64, click: u64, bot: u64) -> DayTotals {
        DayTotals {
            day,
            badge,
            widget,
            click,
            bot,
        }
    }

    #[test]
    fn days_rules() {
        assert_eq!(Days::default().get(), 30);
        assert_eq!("366".parse::<Days>().map(Days::get), Ok(366));
        for bad in ["0", "367", "-1", "x", ""] {
            assert_eq!(bad.parse::<Days>(), Err(BadDays(bad.into())), "{bad}");
        }
        let (from, to) = Days::new(3).unwrap().ending(date!(2026 - 03 - 01));
        assert_eq!((from, to), (date!(2026 - 02 - 27), date!(2026 - 03 - 01)));
    }

    #[test]
    fn days_are_zero_filled_and_totalled() {
        let window = WindowCounts {
            days: vec![
                day(date!(2026 - 11 - 20), 5, 0, 1, 0),
                day(date!(2026 - 11 - 22), 0, 7, 0, 3),
            ],
            referrers: vec![crate::store::ReferrerTotals {
                referrer: "b.example".into(),
                impressions: 7,
                clicks: 0,
            }],
        };
        let s = assemble(
            &Slug::parse("a").unwrap(),
            date!(2026 - 11 - 20),
            date!(2026 - 11 - 22),
            window,
        );
        assert_eq!(
            s.totals,
            Totals {
                badge_impressions: 5,
                widget_impressions: 7,
                clicks: 1,
                bot_requests: 3
            }
        );
        let dates: Vec<&str> = s.daily.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-20", "2026-11-21", "2026-11-22"]);
        assert_eq!(
            s.daily[1],
            Day {
                date: "2026-11-21".into(),
                ..Day::default()
            }
        );
        assert_eq!((s.daily[2].widget_impressions, s.daily[0].clicks), (7, 1));
        assert_eq!(s.referrers[0].host, "b.example");
    }
}
