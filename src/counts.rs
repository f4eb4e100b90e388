//! What is counted, as types: the kind of a load and one stored counter row.
//!
//! Counts are typed from the request to the SQL edge; only [`crate::store`] turns
//! them into text and numbers, and back.

use crate::verdict::Slug;
use std::fmt;
use time::Date;

/// What a counted request was.
///
/// Ordered by stored name, like the rows in the database, so that every instance
/// sorts a flush batch (and so takes row locks) in one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A badge image load.
    Badge,
    /// An iframe widget load.
    Widget,
    /// A click through to the review.
    Click,
    /// A request from a bot, a prefetch or a HEAD.
    Bot,
}

impl Kind {
    /// Every kind, in storage order.
    pub const ALL: [Kind; 4] = [Kind::Badge, Kind::Widget, Kind::Click, Kind::Bot];

    /// The name stored in the `kind` column and used in metrics and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Badge => "badge",
            Kind::Widget => "widget",
            Kind::Click => "click",
            Kind::Bot => "bot",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Ord for Kind {
    fn cmp(&self, other: &Kind) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Kind) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Referrer bucket of a load that carried no usable `Referer`.
pub const DIRECT: &str = "(direct)";
/// Referrer bucket for hosts past a tool's daily cap of distinct hosts.
pub const OTHER_HOST: &str = "(other)";

/// Longest referrer host kept; DNS names are at most 253 characters.
pub const MAX_HOST_LEN: usize = 253;

/// Whether `referrer` is what a count row may hold: [`DIRECT`], [`OTHER_HOST`], or a
/// host as the tally keeps it (lowercase letters, digits and `.-_:[]`, at most
/// [`MAX_HOST_LEN`] characters); otherwise what is wrong with it.
pub fn check_referrer(referrer: &str) -> Result<(), &'static str> {
    if referrer == DIRECT || referrer == OTHER_HOST {
        return Ok(());
    }
    if referrer.is_empty() {
        return Err("must be a host, (direct) or (other); it is empty");
    }
    if referrer.len() > MAX_HOST_LEN {
        return Err("a host is at most 253 characters");
    }
    let clean = referrer.bytes().all(|b| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
    });
    if !clean {
        return Err(
            "must be a lowercase host (letters, digits and . - _ : [ ] only), (direct) or (other)",
        );
    }
    Ok(())
}

/// One counter: a tool, a UTC day, a kind and a referrer host, and how many.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountRow {
    /// The tool.
    pub slug: Slug,
    /// The UTC day.
    pub day: Date,
    /// What was counted.
    pub kind: Kind,
    /// Referrer host, [`DIRECT`] or [`OTHER_HOST`].
    pub referrer: String,
    /// How many.
    pub n: u64,
}

impl CountRow {
    /// Whether two rows count the same thing (everything but `n` is equal).
    pub fn same_key(&self, other: &CountRow) -> bool {
        (&self.slug, self.day, self.kind, &self.referrer)
            == (&other.slug, other.day, other.kind, &other.referrer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_are_hosts_or_buckets() {
        for ok in [
            "(direct)",
            "(other)",
            "example.com",
            "a-b_c.example:8080",
            "[::1]",
        ] {
            assert_eq!(check_referrer(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Example.com", "a b", "a,b", "(none)", &"a".repeat(254)] {
            assert!(check_referrer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("impression"), None);
    }
}
