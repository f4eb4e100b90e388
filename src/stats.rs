//! Counts read back for a tool, in the contract's JSON shape.

use crate::counts::{CountRow, Kind};
use crate::store::{Store, StoreResult};
use crate::verdict::Slug;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
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
pub async fn read(store: &Store, slug: &Slug, days: Days) -> StoreResult<Stats> {
    let (from, to) = days.ending(OffsetDateTime::now_utc().date());
    let rows = store.counts(slug, from, to).await?;
    Ok(summarize(slug, from, to, &rows))
}

/// The entry of `host` among the referrers, made when first seen.
fn referrer<'m, 'a>(
    referrers: &'m mut HashMap<&'a str, Referrer>,
    host: &'a str,
) -> &'m mut Referrer {
    referrers.entry(host).or_insert_with(|| Referrer {
        host: host.to_owned(),
        ..Referrer::default()
    })
}

/// Folds count rows into totals, a zero-filled daily series and top referrers.
pub fn summarize(slug: &Slug, from: Date, to: Date, rows: &[CountRow]) -> Stats {
    let mut totals = Totals::default();
    let mut daily: BTreeMap<Date, Day> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        daily.insert(
            day,
            Day {
                date: day.to_string(),
                ..Day::default()
            },
        );
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    let mut referrers: HashMap<&str, Referrer> = HashMap::new();
    for row in rows {
        let n = row.n;
        let d = daily.get_mut(&row.day);
        match row.kind {
            Kind::Badge => {
                totals.badge_impressions += n;
                if let Some(d) = d {
                    d.badge_impressions += n;
                }
                referrer(&mut referrers, &row.referrer).impressions += n;
            }
            Kind::Widget => {
                totals.widget_impressions += n;
                if let Some(d) = d {
                    d.widget_impressions += n;
                }
                referrer(&mut referrers, &row.referrer).impressions += n;
            }
            Kind::Click => {
                totals.clicks += n;
                if let Some(d) = d {
                    d.clicks += n;
                }
                referrer(&mut referrers, &row.referrer).clicks += n;
            }
            // Bots are totalled, never shown as a referrer's or a day's readers.
            Kind::Bot => totals.bot_requests += n,
        }
    }
    let mut referrers: Vec<Referrer> = referrers.into_values().collect();
    referrers.sort_by(|a, b| {
        (b.impressions, b.clicks)
            .cmp(&(a.impressions, a.clicks))
            .then_with(|| a.host.cmp(&b.host))
    });
    referrers.truncate(TOP_REFERRERS);
    Stats {
        slug: slug.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        totals,
        daily: daily.into_values().collect(),
        referrers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row(day: Date, kind: Kind, referrer: &str, n: u64) -> CountRow {
        CountRow {
            slug: Slug::parse("a").unwrap(),
            day,
            kind,
            referrer: referrer.into(),
            n,
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
    fn summary_zero_fills_days_and_ranks_referrers() {
        let rows = [
            row(date!(2026 - 11 - 20), Kind::Badge, "a.example", 5),
            row(date!(2026 - 11 - 20), Kind::Click, "a.example", 1),
            row(date!(2026 - 11 - 22), Kind::Widget, "b.example", 7),
            row(date!(2026 - 11 - 22), Kind::Bot, "(direct)", 3),
        ];
        let s = summarize(
            &Slug::parse("a").unwrap(),
            date!(2026 - 11 - 20),
            date!(2026 - 11 - 22),
            &rows,
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
        assert_eq!(s.daily.len(), 3);
        assert_eq!(s.daily[1].badge_impressions, 0);
        assert_eq!(s.referrers[0].host, "b.example");
        assert_eq!((s.referrers[1].impressions, s.referrers[1].clicks), (5, 1));
        assert_eq!(s.referrers.len(), 2, "bots are not referrers");
    }
}
