//! Text measurement, cached: the width the SVG pins and the glyphs the PNG draws.
//!
//! Measuring lays the text out once ([`super::shape::layout`]) and keeps the placed
//! glyphs; their outlines are drawn only when a PNG needs them, so a name's first SVG
//! costs one shaping and nothing more.

use std::sync::Arc;

use super::cache::{BoundedCache, Weigh};
use super::font::FONTS;
use super::shape::{self, Glyph};

/// How many distinct (text, weight, size) layouts are kept.
const CACHE_CAPACITY: usize = 4096;
/// And how many bytes of text and glyphs they may hold.
const CACHE_BYTES: usize = 4 << 20;

/// The ellipsis appended to text cut to fit.
const ELLIPSIS: char = '…';

/// One laid-out run of text.
pub(crate) struct Shaped {
    /// The text, as measured (already cleaned).
    pub text: Box<str>,
    /// Bold or regular face.
    pub bold: bool,
    /// Font size, px.
    pub size: f32,
    /// Advance width, px.
    pub width: f32,
    /// The placed glyphs, left to right.
    glyphs: Box<[Glyph]>,
}

impl Shaped {
    /// Lays `text` out.
    fn new(text: &str, bold: bool, size: f32) -> Shaped {
        let layout = shape::layout(text, bold, size);
        Shaped {
            text: text.into(),
            bold,
            size,
            width: layout.width,
            glyphs: layout.glyphs.into_boxed_slice(),
        }
    }

    /// The placed glyphs, left to right.
    pub(crate) fn glyphs(&self) -> &[Glyph] {
        &self.glyphs
    }

    /// The outlines of the glyphs drawn in the text's colour, origin at the start of
    /// the baseline; `None` if there are none. Colour glyphs (emoji) are not outlines:
    /// the PNG path draws them from their bitmaps.
    pub(crate) fn outline(&self) -> Option<tiny_skia::Path> {
        self.outline_of(0..self.glyphs.len())
    }

    /// The outline of the glyphs in `range` (see [`Shaped::outline`]).
    pub(crate) fn outline_of(&self, range: std::ops::Range<usize>) -> Option<tiny_skia::Path> {
        let mut pen = Pen {
            path: tiny_skia::PathBuilder::new(),
            at: (0.0, 0.0),
            scale: 0.0,
        };
        for glyph in &self.glyphs[range] {
            let face = FONTS.face(glyph.face);
            if face.colour {
                continue;
            }
            pen.at = (glyph.x, glyph.y);
            pen.scale = self.size / face.units_per_em;
            face.outline(glyph.id, &mut pen);
        }
        pen.path.finish()
    }
}

/// Draws glyph outlines (font units, y up) into a path at a glyph's place (px, y down).
struct Pen {
    path: tiny_skia::PathBuilder,
    at: (f32, f32),
    scale: f32,
}

impl Pen {
    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        (self.at.0 + x * self.scale, self.at.1 - y * self.scale)
    }
}

impl skrifa::outline::OutlinePen for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.path.move_to(x, y);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.path.line_to(x, y);
    }

    fn quad_to(&mut self, cx: f32, cy: f32, x: f32, y: f32) {
        let ((cx, cy), (x, y)) = (self.map(cx, cy), self.map(x, y));
        self.path.quad_to(cx, cy, x, y);
    }

    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        let (c0, c1, p) = (self.map(cx0, cy0), self.map(cx1, cy1), self.map(x, y));
        self.path.cubic_to(c0.0, c0.1, c1.0, c1.1, p.0, p.1);
    }

    fn close(&mut self) {
        self.path.close();
    }
}

impl Weigh for Shaped {
    fn weight(&self) -> usize {
        std::mem::size_of::<Shaped>() + self.text.len() + std::mem::size_of_val(&*self.glyphs)
    }
}

/// Measures text and keeps the results.
pub(crate) struct Measurer {
    cache: BoundedCache<u64, Shaped>,
}

impl Measurer {
    /// A measurer with an empty cache.
    pub(crate) fn new() -> Self {
        Measurer {
            cache: BoundedCache::new(CACHE_CAPACITY, CACHE_BYTES),
        }
    }

    /// The layout of `text` (already cleaned) in the bundled fonts.
    ///
    /// Layout uses the bundled faces directly; the usvg options are taken so callers
    /// need not change if layout ever depends on them again.
    pub(crate) fn shape(
        &self,
        _opts: &usvg::Options,
        text: &str,
        bold: bool,
        size: f32,
    ) -> Arc<Shaped> {
        // Keyed by a digest so a hit allocates nothing; the stored text guards against
        // the (astronomically rare) collision, which is then measured uncached.
        let key = self.cache.digest((text, bold, size.to_bits()));
        if let Some(hit) = self.cache.get(&key) {
            if &*hit.text == text && hit.bold == bold && hit.size == size {
                return hit;
            }
            return Arc::new(Shaped::new(text, bold, size));
        }
        let shaped = Arc::new(Shaped::new(text, bold, size));
        self.cache.insert(key, shaped.clone());
        shaped
    }

    /// Number of cached layouts.
    #[cfg(test)]
    pub(crate) fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// `text` in at most `max_width` px: at `size` if it fits, else shrunk (to no less
    /// than `min_size`), else cut with an ellipsis at `min_size`.
    pub(crate) fn fit(
        &self,
        opts: &usvg::Options,
        text: &str,
        bold: bool,
        size: f32,
        min_size: f32,
        max_width: f32,
    ) -> Arc<Shaped> {
        let full = self.shape(opts, text, bold, size);
        if full.width <= max_width {
            return full;
        }
        // Advances scale linearly with size (no hinting), so one division finds the
        // size; it is rounded down to a quarter pixel to keep cache keys few.
        let shrunk = ((size * max_width / full.width) * 4.0).floor() / 4.0;
        if shrunk >= min_size {
            let at = self.shape(opts, text, bold, shrunk);
            if at.width <= max_width {
                return at;
            }
        }
        self.ellipsize(opts, text, bold, min_size, max_width)
    }

    /// The longest prefix of `text` that, with an ellipsis, fits in `max_width`.
    fn ellipsize(
        &self,
        opts: &usvg::Options,
        text: &str,
        bold: bool,
        size: f32,
        max_width: f32,
    ) -> Arc<Shaped> {
        // Cut only between character clusters: never between a base and its marks, inside
        // an emoji sequence, or between the two halves of a flag.
        let cuts: Vec<usize> = shape::clusters(text).map(|c| c.start).skip(1).collect();
        let with_ellipsis = |n: usize| -> Arc<Shaped> {
            let end = if n == 0 { 0 } else { cuts[n - 1] };
            let mut s = text[..end]
                .trim_end_matches(|c: char| {
                    c.is_whitespace() || c == '\u{200D}' || ('\u{FE00}'..='\u{FE0F}').contains(&c)
                })
                .to_owned();
            s.push(ELLIPSIS);
            self.shape(opts, &s, bold, size)
        };
        // Binary search for the largest count of kept clusters that fits.
        let (mut lo, mut hi) = (0usize, cuts.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if with_ellipsis(mid).width <= max_width {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        with_ellipsis(lo)
    }
}
