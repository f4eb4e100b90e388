//! The vector shapes every badge shares: the ShipOrSkip mark and the ✓ and ✗.
//!
//! They are paths, not font glyphs, so they look the same in every browser and in the
//! PNG, whatever fonts are installed, and a Ship badge differs from a Skip badge by
//! shape as well as by colour.

use std::fmt::Write as _;

use super::palette::Ink;
use super::svg::{Num, SvgDoc};

/// The boat of the mark on a 16-unit grid: a mainsail, a jib and a hull.
const BOAT: [&[(f32, f32)]; 3] = [
    &[(8.7, 2.6), (8.7, 10.0), (13.1, 10.0)],
    &[(7.3, 4.4), (7.3, 10.0), (3.3, 10.0)],
    &[(2.4, 11.3), (13.6, 11.3), (11.7, 13.7), (4.3, 13.7)],
];

/// Path data of closed polygons given on a 16-unit grid, placed at (`x`, `y`) and
/// scaled to `size`.
fn polygons(shapes: &[&[(f32, f32)]], x: f32, y: f32, size: f32) -> String {
    let k = size / 16.0;
    let mut d = String::with_capacity(160);
    for shape in shapes {
        for (i, (px, py)) in shape.iter().enumerate() {
            let cmd = if i == 0 { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{} {}", Num(x + px * k), Num(y + py * k));
        }
        d.push('Z');
    }
    d
}

/// The mark: a `size`-px rounded tile in `tile` with the boat in `glyph`, top left at
/// (`x`, `y`). Without a tile, the boat alone fills the box (for the compact badge,
/// whose brand part is already the tile's colour).
pub(crate) fn draw_mark(
    doc: &mut SvgDoc,
    x: f32,
    y: f32,
    size: f32,
    tile: Option<Ink>,
    glyph: Ink,
) {
    if let Some(tile) = tile {
        doc.rect(x, y, size, size, size * 0.25, tile);
        doc.path(&polygons(&BOAT, x, y, size), glyph);
    } else {
        // The boat spans y 2.6..13.7 of its grid: centre it in the box.
        let grow = size * 1.25;
        let offset = (size - grow) / 2.0;
        doc.path(&polygons(&BOAT, x + offset, y + offset - 0.3, grow), glyph);
    }
}

/// Path data of the mark's boat on a `size`-px tile at the origin, for pages that
/// draw the mark themselves (the widget).
pub fn boat_path(size: f32) -> String {
    polygons(&BOAT, 0.0, 0.0, size)
}

/// Path data of a ✓ centred on (`cx`, `cy`) inside a circle of radius `r`.
pub fn check(cx: f32, cy: f32, r: f32) -> String {
    let p = |dx: f32, dy: f32| format!("{} {}", Num(cx + dx * r), Num(cy + dy * r));
    format!("M{}L{}L{}", p(-0.46, 0.04), p(-0.14, 0.36), p(0.48, -0.34))
}

/// Path data of a ✗ centred on (`cx`, `cy`) inside a circle of radius `r`.
pub fn cross(cx: f32, cy: f32, r: f32) -> String {
    let p = |dx: f32, dy: f32| format!("{} {}", Num(cx + dx * r), Num(cy + dy * r));
    let a = 0.36;
    format!("M{}L{}M{}L{}", p(-a, -a), p(a, a), p(a, -a), p(-a, a))
}
