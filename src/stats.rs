//! Counts read back for a tool, in the contract's JSON shape.

use crate::store::{CountRow, Store, StoreResult};
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
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    /// Badge loads by readers.
    pub badge_impressions: i64,
    /// Widget loads by readers.
    pub widget_impressions: i64,
    /// Clicks through to the review.
    pub clicks: i64,
    /// Requests from bots, prefetches and HEAD.
    pub bot_requests: i64,
}

/// One UTC day's counts.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Badge loads by readers.
    pub badge_impressions: i64,
    /// Widget loads by readers.
    pub widget_impressions: i64,
    /// Clicks through to the review.
    pub clicks: i64,
}

/// Counts from one referrer host.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Referrer {
    /// Host, `(direct)` or `(other)`.
    pub host: String,
    /// Badge and widget loads from this host.
    pub impressions: i64,
    /// Clicks from this host.
    pub clicks: i64,
}

/// A tool's stats over a window of days: the body of `GET /api/stats/{slug}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// The tool.
    pub slug: String,
    /// First day, inclusive.
    pub from: String,
    /// Last day (today, UTC), inclusive.
    pub to: String,
    /// Sums over the window.
    pub totals: Totals,
    /// Every day of the window, oldest first, zeros included.
    pub daily: Vec<Day>,
    /// Top referrer hosts by impressions.
    pub referrers: Vec<Referrer>,
}

/// Checks a `days` parameter: 1 to [`MAX_DAYS`].
pub fn parse_days(raw: Option<&str>) -> Result<u32, String> {
    match raw {
        None => Ok(DEFAULT_DAYS),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
            _ => Err(format!(
                "days must be a whole number from 1 to {MAX_DAYS}, got {s:?}"
            )),
        },
    }
}

/// Reads a tool's stats for the last `days` UTC days, today included.
pub async fn read(store: &Store, slug: &Slug, days: u32) -> StoreResult<Stats> {
    let to = OffsetDateTime::now_utc().date();
    let from = to - Duration::days(i64::from(days.max(1)) - 1);
    let rows = store
        .counts(slug, &from.to_string(), &to.to_string())
        .await?;
    Ok(summarize(slug, from, to, &rows))
}

/// Folds count rows into totals, a zero-filled daily series and top referrers.
pub fn summarize(slug: &Slug, from: Date, to: Date, rows: &[CountRow]) -> Stats {
    let mut totals = Totals::default();
    let mut daily: BTreeMap<String, Day> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        daily.insert(
            day.to_string(),
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
        let d = daily.get_mut(&row.day);
        let r = || Referrer {
            host: row.referrer.clone(),
            ..Referrer::default()
        };
        match row.kind.as_str() {
            "badge" => {
                totals.badge_impressions += row.n;
                if let Some(d) = d {
                    d.badge_impressions += row.n;
                }
                referrers.entry(&row.referrer).or_insert_with(r).impressions += row.n;
            }
            "widget" => {
                totals.widget_impressions += row.n;
                if let Some(d) = d {
                    d.widget_impressions += row.n;
                }
                referrers.entry(&row.referrer).or_insert_with(r).impressions += row.n;
            }
            "click" => {
                totals.clicks += row.n;
                if let Some(d) = d {
                    d.clicks += row.n;
                }
                referrers.entry(&row.referrer).or_insert_with(r).clicks += row.n;
            }
            "bot" => totals.bot_requests += row.n,
            _ => {}
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

    fn row(day: &str, kind: &str, referrer: &str, n: i64) -> CountRow {
        CountRow {
            slug: "a".into(),
            day: day.into(),
            kind: kind.into(),
            referrer: referrer.into(),
            n,
        }
    }

    #[test]
    fn days_rules() {
        assert_eq!(parse_days(None), Ok(30));
        assert_eq!(parse_days(Some("366")), Ok(366));
        for bad in ["0", "367", "-1", "x", ""] {
            assert!(parse_days(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn summary_zero_fills_days_and_ranks_referrers() {
        let rows = [
            row("2026-11-20", "badge", "a.example", 5),
            row("2026-11-20", "click", "a.example", 1),
            row("2026-11-22", "widget", "b.example", 7),
            row("2026-11-22", "bot", "(direct)", 3),
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
