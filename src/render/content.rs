//! What a badge says, apart from how it is drawn.

use crate::verdict::{Call, Verdict, Votes};

use super::escape::clean;
use super::palette::Palette;

/// The brand shown on every badge.
pub(crate) const BRAND: &str = "ShipOrSkip";

/// The words and colours of one badge, for either style.
pub(crate) struct Content {
    /// The accessible name: `aria-label` and `<title>`.
    pub label: String,
    /// The stamp's large word, e.g. "SHIP".
    pub stamp: &'static str,
    /// The stamp word's font size, px.
    pub stamp_size: f32,
    /// The stamp's second line, e.g. "75%".
    pub stamp_detail: Option<String>,
    /// The stamp and compact value background.
    pub fill: &'static str,
    /// The card's headline: the tool name, or what went wrong.
    pub headline: String,
    /// The card's second line.
    pub detail: String,
    /// The compact badge's value, e.g. "Ship 4–0".
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

impl Content {
    /// A verdict badge. The percent is the contract's panel ship share, so a Skip
    /// stamp says whose share it is: "SKIP 25% ship" when one of four said ship.
    pub(crate) fn verdict(v: &Verdict, palette: &Palette) -> Content {
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
            stamp: match v.verdict {
                Call::Ship => "SHIP",
                Call::Skip => "SKIP",
            },
            stamp_size: 21.0,
            stamp_detail: percent.map(|p| match v.verdict {
                Call::Ship => format!("{p}%"),
                Call::Skip => format!("{p}% ship"),
            }),
            fill: match v.verdict {
                Call::Ship => palette.ship,
                Call::Skip => palette.skip,
            },
            headline: name,
            detail: format!("{} · expert panel", v.tally_words()),
            value,
        }
    }

    /// An error badge saying what is wrong, e.g. "unknown tool".
    pub(crate) fn error(reason: &str, palette: &Palette) -> Content {
        let reason = match clean(reason) {
            r if r.chars().all(invisible) => "badge unavailable".into(),
            r => r.into_owned(),
        };
        Content {
            label: format!("Badge error: {reason} — {BRAND}"),
            stamp: "?",
            stamp_size: 36.0,
            stamp_detail: None,
            fill: palette.neutral,
            headline: reason.clone(),
            detail: "No verdict to show".to_owned(),
            value: reason,
        }
    }
}
