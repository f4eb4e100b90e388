//! The compact badge: 20 px high, shields-style, "ShipOrSkip | Ship 4–0".

use super::Renderer;
use super::content::{BRAND, Content};
use super::palette::Palette;
use super::svg::{Anchor, Num, SvgDoc, TextMode};

/// Compact badge height, px.
pub const HEIGHT: f32 = 20.0;

const CORNER: f32 = 3.0;
const FONT_SIZE: f32 = 11.0;
/// Space each side of a part's text.
const PAD: f32 = 6.0;
/// Baseline of both parts' text.
const BASELINE: f32 = 14.0;
/// Widest value text (an error reason can be long).
const MAX_VALUE_W: f32 = 240.0;

/// Draws `content` as a compact badge, its width fitted to the measured text.
pub(crate) fn draw(r: &Renderer, c: &Content, p: &Palette, mode: TextMode) -> SvgDoc {
    let label = r.fit(BRAND, false, FONT_SIZE, FONT_SIZE, MAX_VALUE_W);
    let value = r.fit(&c.value, false, FONT_SIZE, 9.0, MAX_VALUE_W);
    let label_w = (label.width + 2.0 * PAD).round();
    let value_w = (value.width + 2.0 * PAD).round();
    let width = label_w + value_w;

    let mut doc = SvgDoc::open(width, HEIGHT, &c.label, mode);
    // The value colour fills the whole rounded badge; the label part is drawn over its
    // left side with only its left corners rounded.
    doc.rect(0.0, 0.0, width, HEIGHT, CORNER, c.fill);
    let label_shape = format!(
        "M{r} 0H{lw}V{h}H{r}A{r} {r} 0 0 1 0 {hr}V{r}A{r} {r} 0 0 1 {r} 0Z",
        r = Num(CORNER),
        lw = Num(label_w),
        h = Num(HEIGHT),
        hr = Num(HEIGHT - CORNER),
    );
    doc.path(&label_shape, p.label_bg);
    doc.begin_text();
    doc.text(&label, label_w / 2.0, BASELINE, Anchor::Middle, p.on_fill);
    doc.text(
        &value,
        label_w + value_w / 2.0,
        BASELINE,
        Anchor::Middle,
        p.on_fill,
    );
    doc.end_text();
    doc
}
