//! Rasterizing an SVG to PNG: usvg → resvg → tiny-skia → png.

use std::sync::Arc;

use super::RenderError;
use super::cache::{BoundedCache, Weigh};
use super::svg::Run;

/// Largest PNG side we will allocate, px: an SVG handed in from elsewhere must not make
/// the service allocate gigabytes.
const MAX_SIDE: u32 = 4096;

/// Smallest and largest scale factor.
pub(crate) const SCALES: std::ops::RangeInclusive<u8> = 1..=4;

/// Largest scale whose text runs are kept rasterized; bigger ones are rarer and would
/// make the cache heavy, so they are filled each time.
const SPRITE_MAX_SCALE: u8 = 2;
/// How many rasterized text runs are kept (at most ~110 KB each at scale 2)…
const SPRITE_CAPACITY: usize = 256;
/// …and how many bytes of pixels they may hold: the runs shared by every badge (stamp,
/// tally, brand) take a few hundred kilobytes, and a catalogue's names churn.
const SPRITE_BYTES: usize = 8 << 20;

/// A text run rasterized in its colour, and where it goes on the badge.
pub(crate) struct Sprite {
    pixmap: tiny_skia::Pixmap,
    left: i32,
    top: i32,
    /// What was rasterized, to rule out a digest collision.
    key: (Box<str>, bool, u32, &'static str, u8, u32, u32),
}

impl Weigh for Sprite {
    fn weight(&self) -> usize {
        std::mem::size_of::<Sprite>() + self.pixmap.data().len() + self.key.0.len()
    }
}

/// Rasterized text runs, keyed by everything that changes their pixels.
///
/// Filling glyph outlines is most of the cost of a badge PNG, and a badge's runs (the
/// stamp, the tally, the brand, a tool's name) recur on every request, so each is
/// rasterized once per position and scale and then only composited.
pub(crate) struct Sprites {
    cache: BoundedCache<u64, Sprite>,
}

impl Sprites {
    /// An empty sprite cache.
    pub(crate) fn new() -> Self {
        Sprites {
            cache: BoundedCache::new(SPRITE_CAPACITY, SPRITE_BYTES),
        }
    }

    /// The run rasterized at `scale`, from the cache or made now.
    fn get(&self, run: &Run, scale: u8) -> Option<Arc<Sprite>> {
        let s = &run.shaped;
        let key = (
            s.text.clone(),
            s.bold,
            s.size.to_bits(),
            run.fill,
            scale,
            run.x.to_bits(),
            run.y.to_bits(),
        );
        let digest = self.cache.digest(&key);
        if let Some(hit) = self.cache.get(&digest).filter(|hit| hit.key == key) {
            return Some(hit);
        }
        let sprite = Arc::new(rasterize_run(run, scale, key)?);
        self.cache.insert(digest, sprite.clone());
        Some(sprite)
    }
}

/// Rasterizes one run alone, on a transparent pixmap just big enough for it.
fn rasterize_run(
    run: &Run,
    scale: u8,
    key: (Box<str>, bool, u32, &'static str, u8, u32, u32),
) -> Option<Sprite> {
    let outline = run.shaped.outline.as_ref()?;
    let at = tiny_skia::Transform::from_scale(f32::from(scale), f32::from(scale))
        .pre_translate(run.x, run.y);
    let bounds = outline.bounds().transform(at)?;
    // One spare pixel each side: anti-aliasing can touch the pixel past the bounds.
    let left = bounds.left().floor() as i32 - 1;
    let top = bounds.top().floor() as i32 - 1;
    let width = (bounds.right().ceil() as i32 - left + 1).max(1) as u32;
    let height = (bounds.bottom().ceil() as i32 - top + 1).max(1) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
    fill_run(
        &mut pixmap,
        run,
        at.post_translate(-left as f32, -top as f32),
    );
    Some(Sprite {
        pixmap,
        left,
        top,
        key,
    })
}

/// Renders `svg` at `scale` times its size, draws the text `runs` over it, and encodes
/// the result as PNG.
pub(crate) fn rasterize(
    opts: &usvg::Options,
    sprites: &Sprites,
    svg: &str,
    runs: &[Run],
    scale: u8,
) -> Result<Vec<u8>, RenderError> {
    if !SCALES.contains(&scale) {
        return Err(RenderError::Scale(scale));
    }
    let tree = usvg::Tree::from_str(svg, opts)?;
    let factor = f32::from(scale);
    let size = tree.size();
    let (w, h) = (
        (size.width() * factor).ceil(),
        (size.height() * factor).ceil(),
    );
    if !(1.0..=MAX_SIDE as f32).contains(&w) || !(1.0..=MAX_SIDE as f32).contains(&h) {
        return Err(RenderError::Size {
            width: w,
            height: h,
        });
    }
    let mut pixmap = tiny_skia::Pixmap::new(w as u32, h as u32).ok_or(RenderError::Size {
        width: w,
        height: h,
    })?;
    let transform = tiny_skia::Transform::from_scale(factor, factor);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    for run in runs {
        if scale <= SPRITE_MAX_SCALE {
            if let Some(sprite) = sprites.get(run, scale) {
                pixmap.draw_pixmap(
                    sprite.left,
                    sprite.top,
                    sprite.pixmap.as_ref(),
                    &tiny_skia::PixmapPaint::default(),
                    tiny_skia::Transform::identity(),
                    None,
                );
            }
        } else {
            fill_run(&mut pixmap, run, transform.pre_translate(run.x, run.y));
        }
    }
    super::encode::encode(&pixmap)
}

/// Fills one run's cached glyph outlines, the way resvg fills a path: anti-aliased,
/// non-zero winding, source-over.
fn fill_run(pixmap: &mut tiny_skia::Pixmap, run: &Run, at: tiny_skia::Transform) {
    let Some(outline) = &run.shaped.outline else {
        return;
    };
    let mut paint = tiny_skia::Paint::default();
    let [r, g, b] = rgb(run.fill);
    paint.set_color_rgba8(r, g, b, 255);
    paint.anti_alias = true;
    pixmap.fill_path(outline, &paint, tiny_skia::FillRule::Winding, at, None);
}

/// The channels of a `#rrggbb` palette colour (black if malformed, which the palette
/// tests rule out).
fn rgb(hex: &str) -> [u8; 3] {
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    [channel(1), channel(3), channel(5)]
}
