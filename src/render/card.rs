//! The card badge, 360×90: a tilted verdict stamp on the left; on the right the
//! eyebrow ("EXPERT PANEL VERDICT"), the tool's name on one line or two, the tally,
//! and the ShipOrSkip mark and wordmark.

use std::sync::Arc;

use super::content::{BRAND, Content, Seal};
use super::mark::{check, cross, draw_mark};
use super::measure::Shaped;
use super::palette::Ink;
use super::svg::{Anchor, SvgDoc, TextMode};
use super::wrap::TitleSizes;
use super::{Renderer, Theme};

/// Card width, px.
pub const WIDTH: f32 = 360.0;
/// Card height, px.
pub const HEIGHT: f32 = 90.0;

const CORNER: f32 = 12.0;

/// The stamp's box before it is tilted, and the tilt: the widget's stamp is tilted by
/// the same 3 degrees. Exactly, it is the angle whose tangent is 1/19 (3.0128°): every
/// edge of the stamp then steps one pixel sideways per 19 pixels, so its anti-aliased
/// pixels repeat every 19 rows and columns and deflate finds them again.
const STAMP_X: f32 = 12.0;
const STAMP_Y: f32 = 12.0;
const STAMP_W: f32 = 90.0;
const STAMP_H: f32 = 66.0;
const STAMP_CORNER: f32 = 9.0;
const STAMP_TILT: f32 = -3.012_788;
/// A Skip stamp's outline.
const STAMP_OUTLINE: f32 = 2.0;
/// The stamp word's size and the second line's.
const STAMP_WORD: f32 = 19.0;
const STAMP_DETAIL: f32 = 11.5;
/// The disc holding the ✓ or ✗, and the gap after it.
const SEAL_R: f32 = 8.0;
const SEAL_GAP: f32 = 5.0;
/// Widest stamp text, leaving 7 px each side inside the stamp.
const STAMP_TEXT_W: f32 = STAMP_W - 14.0;

/// The text column: from 16 px right of the stamp to a 16 px right margin.
const COLUMN_X: f32 = STAMP_X + STAMP_W + 16.0;
const COLUMN_RIGHT: f32 = WIDTH - 16.0;
const COLUMN_W: f32 = COLUMN_RIGHT - COLUMN_X;

/// Text sizes, px. The name never goes below the tally's size.
///
/// Each is chosen so DejaVu's capitals (0.729 em) and, where the text has lowercase,
/// its x-height (0.547 em) come out whole pixels: browsers snap those heights to the
/// pixel grid (hinting) and the PNG does not, so sizes that fall between pixels make
/// every glyph's top edge differ. Multiples of 5.5 px satisfy both; the eyebrow is all
/// capitals (7 px at 9.6 px).
const EYEBROW_SIZE: f32 = 9.6;
const META_SIZE: f32 = 11.0;
const BRAND_SIZE: f32 = 11.0;
const NAME: TitleSizes = TitleSizes {
    one_line: 22.0,
    two_lines: 16.5,
    min: META_SIZE,
    width: COLUMN_W,
};
/// The mark's tile, and the gap between it and the wordmark.
const MARK_SIZE: f32 = 13.0;
const MARK_GAP: f32 = 4.0;
/// Least space between the tally and the brand on their shared line.
const META_GAP: f32 = 12.0;

/// DejaVu Sans capital height in em (1493 of 2048 units).
const CAP_HEIGHT: f32 = 0.729;

/// Baselines of the column's lines, for a name on one line and on two.
struct Rows {
    eyebrow: f32,
    names: [f32; 2],
    meta: f32,
}

const ONE_LINE: Rows = Rows {
    eyebrow: 25.0,
    names: [50.0, 50.0],
    meta: 70.0,
};
const TWO_LINES: Rows = Rows {
    eyebrow: 21.0,
    names: [39.0, 57.0],
    meta: 75.0,
};

/// Draws `content` as a card.
pub(crate) fn draw(r: &Renderer, c: &Content, theme: Theme, mode: TextMode) -> SvgDoc {
    let mut doc = SvgDoc::open(WIDTH, HEIGHT, &c.label, mode, theme);
    doc.outlined_rect(
        (0.0, 0.0, WIDTH, HEIGHT),
        CORNER,
        Some(Ink::CardBg),
        Ink::CardBorder,
        1.0,
    );
    draw_stamp(r, &mut doc, c);

    let name = r.title(&c.headline, NAME);
    let rows = if name.len() > 1 { TWO_LINES } else { ONE_LINE };
    let eyebrow = r.fit(c.eyebrow, true, EYEBROW_SIZE, 8.0, COLUMN_W);
    doc.text(&eyebrow, COLUMN_X, rows.eyebrow, Anchor::Start, Ink::Brand);
    for (line, y) in name.iter().zip(rows.names) {
        doc.text(line, COLUMN_X, y, Anchor::Start, Ink::Name);
    }

    let brand = r.fit(BRAND, true, BRAND_SIZE, BRAND_SIZE, COLUMN_W);
    let lockup = MARK_SIZE + MARK_GAP + brand.width;
    let meta_w = COLUMN_W - lockup - META_GAP;
    let meta = r.fit(&c.detail, false, META_SIZE, 10.0, meta_w);
    doc.text(&meta, COLUMN_X, rows.meta, Anchor::Start, Ink::Muted);
    draw_lockup(&mut doc, &brand, rows.meta);
    doc
}

/// The mark and the wordmark, right-aligned on the baseline `y`. The mark's tile sits
/// on whole pixels, so its straight sides are sharp; the boat is cut out of it in the
/// card's colour.
fn draw_lockup(doc: &mut SvgDoc, brand: &Arc<Shaped>, y: f32) {
    let left = (COLUMN_RIGHT - brand.width - MARK_GAP - MARK_SIZE).round();
    let cap_middle = y - CAP_HEIGHT * brand.size / 2.0;
    draw_mark(
        doc,
        left,
        (cap_middle - MARK_SIZE / 2.0).round(),
        MARK_SIZE,
        Some(Ink::Brand),
        Ink::CardBg,
    );
    doc.text(brand, COLUMN_RIGHT, y, Anchor::End, Ink::Brand);
}

/// The verdict stamp, tilted like the widget's: solid with a ✓ for Ship, outlined with
/// a ✗ for Skip, grey with a "?" for an error.
fn draw_stamp(r: &Renderer, doc: &mut SvgDoc, c: &Content) {
    let (cx, cy) = (STAMP_X + STAMP_W / 2.0, STAMP_Y + STAMP_H / 2.0);
    let frame = (STAMP_X, STAMP_Y, STAMP_W, STAMP_H);
    doc.begin_rotated(STAMP_TILT, cx, cy);
    // One edge each: a second, thin line inside it would draw four more slanted edges,
    // a sixth of a card's PNG bytes.
    let ink = match c.seal {
        Seal::Ship => {
            doc.rect(STAMP_X, STAMP_Y, STAMP_W, STAMP_H, STAMP_CORNER, Ink::Ship);
            Ink::OnShip
        }
        Seal::Skip => {
            doc.outlined_rect(
                frame,
                STAMP_CORNER,
                Some(Ink::SkipBg),
                Ink::Skip,
                STAMP_OUTLINE,
            );
            Ink::Skip
        }
        Seal::Error => {
            doc.rect(
                STAMP_X,
                STAMP_Y,
                STAMP_W,
                STAMP_H,
                STAMP_CORNER,
                Ink::Neutral,
            );
            Ink::OnNeutral
        }
    };

    if c.seal == Seal::Error {
        let big = r.fit(c.stamp, true, 36.0, 12.0, STAMP_TEXT_W);
        let baseline = (cy + CAP_HEIGHT * big.size / 2.0).round();
        doc.text(&big, cx, baseline, Anchor::Middle, ink);
        doc.end_group();
        return;
    }

    let seal_w = 2.0 * SEAL_R + SEAL_GAP;
    let word = r.fit(c.stamp, true, STAMP_WORD, 12.0, STAMP_TEXT_W - seal_w);
    let baseline = match &c.stamp_detail {
        Some(_) => 44.0,
        // One line: its capitals centred in the stamp.
        None => (cy + CAP_HEIGHT * word.size / 2.0).round(),
    };
    // The disc and the word, centred as one row; the disc sits on the capitals' middle.
    let left = cx - (seal_w + word.width) / 2.0;
    let (dx, dy) = (left + SEAL_R, baseline - CAP_HEIGHT * word.size / 2.0);
    doc.rect(
        dx - SEAL_R,
        dy - SEAL_R,
        2.0 * SEAL_R,
        2.0 * SEAL_R,
        SEAL_R,
        ink,
    );
    match c.seal {
        Seal::Ship => doc.stroke_path(&check(dx, dy, SEAL_R), Ink::Ship, 2.2),
        _ => doc.stroke_path(&cross(dx, dy, SEAL_R), Ink::SkipBg, 2.2),
    }
    doc.text(&word, left + seal_w, baseline, Anchor::Start, ink);
    if let Some(detail) = &c.stamp_detail {
        let small = r.fit(detail, true, STAMP_DETAIL, 9.0, STAMP_TEXT_W);
        doc.text(&small, cx, 62.0, Anchor::Middle, ink);
    }
    doc.end_group();
}
