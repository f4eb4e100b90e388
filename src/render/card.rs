//! The card badge: 360×90, a verdict stamp on the left, name and tally on the right.

use super::Renderer;
use super::content::{BRAND, Content};
use super::palette::Palette;
use super::svg::{Anchor, SvgDoc, TextMode};

/// Card width, px.
pub const WIDTH: f32 = 360.0;
/// Card height, px.
pub const HEIGHT: f32 = 90.0;

const CORNER: f32 = 12.0;
const STAMP_X: f32 = 10.0;
const STAMP_Y: f32 = 10.0;
const STAMP_W: f32 = 92.0;
const STAMP_H: f32 = 70.0;
const STAMP_CORNER: f32 = 8.0;
/// Left edge of the text column, and its width up to a 16 px right margin.
const COLUMN_X: f32 = STAMP_X + STAMP_W + 14.0;
const COLUMN_W: f32 = WIDTH - 16.0 - COLUMN_X;
/// DejaVu Sans capital height in em (1493 of 2048 units).
const CAP_HEIGHT: f32 = 0.729;
/// Widest stamp text, leaving 8 px each side inside the stamp.
const STAMP_TEXT_W: f32 = STAMP_W - 16.0;

/// Draws `content` as a card.
pub(crate) fn draw(r: &Renderer, c: &Content, p: &Palette, mode: TextMode) -> SvgDoc {
    let mut doc = SvgDoc::open(WIDTH, HEIGHT, &c.label, mode);
    doc.framed_rect(WIDTH, HEIGHT, CORNER, p.card_bg, p.card_border);
    doc.rect(STAMP_X, STAMP_Y, STAMP_W, STAMP_H, STAMP_CORNER, c.fill);

    doc.begin_text();
    let centre = STAMP_X + STAMP_W / 2.0;
    let big = r.fit(c.stamp, true, c.stamp_size, 12.0, STAMP_TEXT_W);
    match &c.stamp_detail {
        // Two lines, centred as a block: the caps of "SHIP" and of "75%" sit 8 px apart.
        Some(detail) => {
            let small = r.fit(detail, true, 16.0, 10.0, STAMP_TEXT_W);
            doc.text(&big, centre, 42.0, Anchor::Middle, p.on_fill);
            doc.text(&small, centre, 64.0, Anchor::Middle, p.on_fill);
        }
        // One line, its capitals centred in the stamp.
        None => {
            let baseline = (STAMP_Y + STAMP_H / 2.0 + CAP_HEIGHT * big.size / 2.0).round();
            doc.text(&big, centre, baseline, Anchor::Middle, p.on_fill);
        }
    }

    let headline = r.fit(&c.headline, true, 18.0, 12.0, COLUMN_W);
    let detail = r.fit(&c.detail, false, 12.5, 10.0, COLUMN_W);
    let brand = r.fit(BRAND, true, 11.5, 11.5, COLUMN_W);
    doc.text(&headline, COLUMN_X, 35.0, Anchor::Start, p.name);
    doc.text(&detail, COLUMN_X, 55.0, Anchor::Start, p.muted);
    doc.text(&brand, COLUMN_X, 75.0, Anchor::Start, p.brand);
    doc.end_text();
    doc
}
