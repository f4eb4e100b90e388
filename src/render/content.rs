//! What a badge says, apart from how it is drawn.

use crate::verdict::{Call, Verdict, Votes};

use super::escape::clean;

/// The brand shown on every badge.
pub(crate) const BRAND: &str = "ShipOrSkip";

/// The line above a verdict's name, saying what kind of badge this is.
pub(crate) const EYEBROW: &str = "EXPERT PANEL VERDICT";

/// The kind of stamp, which decides its shape and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seal {
    /// A solid stamp with a ✓.
    Ship,
    /// An outlined stamp with a ✗.
    Skip,
    /// A grey stamp with a "?": no verdict to show.
    Error,
}

/// The words of one badge, for either style.
pub(crate) struct Content {
    /// The accessible name: `aria-label` and `<title>`.
    pub label: String,
    /// The stamp's kind.
    pub seal: Seal,
    /// The stamp's large word, e.g. "SHIP".
    pub stamp: &'static str,
    /// The stamp's second line, e.g. "75% ship".
    pub stamp_detail: Option<String>,
    /// The small capitals above the headline.
    pub eyebrow: &'static str,
    /// The card's headline: the tool name, or what went wrong.
    pub headline: String,
    /// The card's secondary line: the tally.
    pub detail: String,
    /// The compact badge's value, e.g. "Ship 3–1".
    pub value: String,
}

/// Whether `c` draws nothing by itself: zero-width spaces and joiners, variation
/// selectors, word joiners, the BOM. A name made only of these would show as blank.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

/// Votes seen from the side of the published call: (agreeing, dissenting).
fn for_call(call: Call, panel: Votes) -> Votes {
    match call {
        Call::Ship => panel,
        Call::Skip => Votes {
            ship: panel.skip,
            skip: panel.ship,
        },
    }
}

/// The panel's ship share in the words every badge and the widget use: "75% ship".
pub fn ship_share(percent: u32) -> String {
    format!("{percent}% ship")
}

impl Content {
    /// A verdict badge. The percent is always the contract's panel *ship* share, and
    /// always says so, on Ship and Skip alike: "75% ship", "25% ship".
    pub(crate) fn verdict(v: &Verdict) -> Content {
        let name = match clean(&v.name) {
            n if n.chars().all(invisible) => "Unnamed tool".into(),
            n => n.into_owned(),
        };
        let call = v.verdict.label();
        let side = for_call(v.verdict, v.panel);
        let percent = v.panel.ship_percent();
        let label = match percent {
            Some(p) => format!("{name}: {call}, {p}% of the expert panel voted ship — {BRAND}"),
            None => format!("{name}: {call}, no expert panel votes yet — {BRAND}"),
        };
        let value = if side.total() > 0 {
            format!("{call} {}–{}", side.ship, side.skip)
        } else {
            call.to_owned()
        };
        Content {
            label,
            seal: match v.verdict {
                Call::Ship => Seal::Ship,
                Call::Skip => Seal::Skip,
            },
            stamp: match v.verdict {
                Call::Ship => "SHIP",
                Call::Skip => "SKIP",
            },
            stamp_detail: percent.map(ship_share),
            eyebrow: EYEBROW,
            headline: name,
            detail: if v.panel.total() > 0 {
                v.tally_words()
            } else {
                "No panel votes yet".to_owned()
            },
            value,
        }
    }

    /// An error badge saying what is wrong, e.g. "unknown tool".
    pub(crate) fn error(reason: &str) -> Content {
        let reason = match clean(reason) {
            r if r.chars().all(invisible) => "badge unavailable".into(),
            r => r.into_owned(),
        };
        Content {
            label: format!("Badge error: {reason} — {BRAND}"),
            seal: Seal::Error,
            stamp: "?",
            stamp_detail: None,
            eyebrow: "VERDICT BADGE",
            headline: reason.clone(),
            detail: "No verdict to show".to_owned(),
            value: reason,
        }
    }
}
