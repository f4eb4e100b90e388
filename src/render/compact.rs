//! The compact badge: 20 px high, shields-style, "⛵ ShipOrSkip | ✓ Ship 3–1".
//!
//! The brand part is the brand's violet in the light theme and near-black with violet
//! text and an edge in the dark one. The value part follows the card's stamp: solid
//! with a ✓ for Ship, outlined with a ✗ for Skip.

use super::content::{BRAND, Content, Seal};
use super::mark::{check, cross, draw_mark};
use super::palette::Ink;
use super::svg::{Anchor, Num, SvgDoc, TextMode};
use super::{Renderer, Theme};

/// Compact badge height, px.
pub const HEIGHT: f32 = 20.0;

const CORNER: f32 = 3.0;
const FONT_SIZE: f32 = 11.0;
/// Space each side of a part's content.
const PAD: f32 = 6.0;
/// The mark's box and the ✓/✗'s, and the gap after each.
const MARK: f32 = 12.0;
const ICON: f32 = 9.0;
const GAP: f32 = 4.0;
/// Baseline of both parts' text.
const BASELINE: f32 = 14.0;
/// Widest value text (an error reason can be long).
const MAX_VALUE_W: f32 = 240.0;

/// Draws `content` as a compact badge, its width fitted to the measured text.
pub(crate) fn draw(r: &Renderer, c: &Content, theme: Theme, mode: TextMode) -> SvgDoc {
    let label = r.fit(BRAND, true, FONT_SIZE, FONT_SIZE, MAX_VALUE_W);
    let value = r.fit(&c.value, false, FONT_SIZE, 9.0, MAX_VALUE_W);
    let icon_w = if c.seal == Seal::Error {
        0.0
    } else {
        ICON + GAP
    };
    let label_w = (PAD + MARK + GAP + label.width + PAD).round();
    let value_w = (PAD + icon_w + value.width + PAD).round();
    let width = label_w + value_w;

    let (fill, ink) = match c.seal {
        Seal::Ship => (Ink::Ship, Ink::OnShip),
        Seal::Skip => (Ink::SkipBg, Ink::Skip),
        Seal::Error => (Ink::Neutral, Ink::OnNeutral),
    };
    let mut doc = SvgDoc::open(width, HEIGHT, &c.label, mode, theme);
    // The value colour fills the whole rounded badge; the brand part is drawn over its
    // left side with only its left corners rounded.
    doc.rect(0.0, 0.0, width, HEIGHT, CORNER, fill);
    let label_shape = format!(
        "M{r} 0H{lw}V{h}H{r}A{r} {r} 0 0 1 0 {hr}V{r}A{r} {r} 0 0 1 {r} 0Z",
        r = Num(CORNER),
        lw = Num(label_w),
        h = Num(HEIGHT),
        hr = Num(HEIGHT - CORNER),
    );
    doc.path(&label_shape, Ink::LabelBg);
    doc.outlined_rect((0.0, 0.0, width, HEIGHT), CORNER, None, Ink::Edge, 1.0);
    if c.seal == Seal::Skip {
        // The value part's outline: straight on the left, rounded on the right. It
        // ends where it began rather than closing with Z: tiny-skia draws the round
        // join of a closed path's last corner a little slanted.
        let (i, r) = (0.5, CORNER - 0.5);
        let outline = format!(
            "M{x} {i}H{xr}A{r} {r} 0 0 1 {w} {c}V{cb}A{r} {r} 0 0 1 {xr} {hb}H{x}V{i}",
            x = Num(label_w + i),
            i = Num(i),
            xr = Num(width - CORNER),
            r = Num(r),
            w = Num(width - i),
            c = Num(CORNER),
            cb = Num(HEIGHT - CORNER),
            hb = Num(HEIGHT - i),
        );
        doc.stroke_path(&outline, Ink::Skip, 1.0);
    }

    draw_mark(
        &mut doc,
        PAD,
        (HEIGHT - MARK) / 2.0,
        MARK,
        None,
        Ink::OnLabel,
    );
    doc.text(
        &label,
        PAD + MARK + GAP,
        BASELINE,
        Anchor::Start,
        Ink::OnLabel,
    );
    let icon_centre = (label_w + PAD + ICON / 2.0, HEIGHT / 2.0);
    let radius = ICON / 2.0 + 1.0;
    match c.seal {
        Seal::Ship => doc.stroke_path(&check(icon_centre.0, icon_centre.1, radius), ink, 1.7),
        Seal::Skip => doc.stroke_path(&cross(icon_centre.0, icon_centre.1, radius), ink, 1.7),
        Seal::Error => {}
    }
    doc.text(&value, label_w + PAD + icon_w, BASELINE, Anchor::Start, ink);
    doc
}
