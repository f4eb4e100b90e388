//! Text measurement and outlines, from usvg's own layout of the bundled fonts.
//!
//! Measuring with the same engine that rasterizes the PNG (usvg shapes with harfrust)
//! means the widths pinned in the SVG with `textLength` are exactly what the PNG shows.
//! One layout yields both the advance width and the glyph outlines, which the PNG path
//! fills directly instead of shaping the text again.

use std::fmt::Write as _;
use std::sync::Arc;

use super::cache::{BoundedCache, Weigh};
use super::escape::Xml;
use super::font::FAMILY;

/// How many distinct (text, weight, size) layouts are kept.
const CACHE_CAPACITY: usize = 4096;
/// And how many bytes of text and outlines they may hold.
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
    /// The glyph outlines, origin at the start of the baseline; `None` if nothing is drawn.
    pub outline: Option<tiny_skia::Path>,
}

impl Weigh for Shaped {
    fn weight(&self) -> usize {
        let outline = self
            .outline
            .as_ref()
            .map_or(0, |p| std::mem::size_of_val(p.points()) + p.verbs().len());
        std::mem::size_of::<Shaped>() + self.text.len() + outline
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

    /// The layout of `text` (already cleaned) in the bundled font.
    pub(crate) fn shape(
        &self,
        opts: &usvg::Options,
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
            return Arc::new(layout(opts, text, bold, size));
        }
        let shaped = Arc::new(layout(opts, text, bold, size));
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
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).skip(1).collect();
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
        // Binary search for the largest count of kept characters that fits.
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

/// Lays `text` out with usvg, returning its advance width and outlines.
///
/// The text is anchored at its end on x = 0, so the leftmost glyph origin sits at
/// `-width`, whatever the text's direction.
fn layout(opts: &usvg::Options, text: &str, bold: bool, size: f32) -> Shaped {
    let mut svg = String::with_capacity(text.len() + 200);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><text font-family="{FAMILY}" font-size="{size}" font-weight="{}" text-anchor="end">{}</text></svg>"#,
        if bold { "bold" } else { "normal" },
        Xml(text)
    );
    let mut shaped = Shaped {
        text: text.into(),
        bold,
        size,
        width: 0.0,
        outline: None,
    };
    let Ok(tree) = usvg::Tree::from_str(&svg, opts) else {
        return shaped;
    };
    let Some(laid) = find_text(tree.root()) else {
        return shaped;
    };
    let start = laid
        .layouted()
        .iter()
        .flat_map(|span| span.positioned_glyphs.iter())
        .map(|g| g.transform().tx)
        .fold(0.0f32, f32::min);
    shaped.width = -start;
    let mut outline = tiny_skia::PathBuilder::new();
    collect_paths(laid.flattened(), &mut outline);
    shaped.outline = outline
        .finish()
        .and_then(|p| p.transform(tiny_skia::Transform::from_translate(-start, 0.0)));
    shaped
}

/// The first text node in `group` or below it.
fn find_text(group: &usvg::Group) -> Option<&usvg::Text> {
    group.children().iter().find_map(|node| match node {
        usvg::Node::Text(t) => Some(&**t),
        usvg::Node::Group(g) => find_text(g),
        _ => None,
    })
}

/// Appends every glyph path under `group` to `out`.
fn collect_paths(group: &usvg::Group, out: &mut tiny_skia::PathBuilder) {
    for node in group.children() {
        match node {
            usvg::Node::Path(path) => out.push_path(path.data()),
            usvg::Node::Group(g) => collect_paths(g, out),
            _ => {}
        }
    }
}
