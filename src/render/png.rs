//! Rasterizing an SVG to PNG: usvg → resvg → tiny-skia → png.
//!
//! A badge's text is not rasterized by usvg: it is drawn from the renderer's own layout
//! (outline glyphs filled, colour glyphs drawn from their bitmaps), exactly as resvg
//! draws the same glyphs, and kept as sprites.

use std::sync::Arc;

use skrifa::MetadataProvider;

use super::RenderError;
use super::cache::{BoundedCache, Weigh};
use super::font::FONTS;
use super::measure::Shaped;
use super::shape::Glyph;
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

/// A text run rasterized, and where it goes on the badge.
pub(crate) struct Sprite {
    ink: SpriteInk,
    left: i32,
    top: i32,
    /// What was rasterized, to rule out a digest collision.
    key: SpriteKey,
}

/// A sprite's pixels.
enum SpriteInk {
    /// Outlines only (almost every run): how much of each pixel they cover. Laid on in
    /// the run's colour exactly as filling the outlines in place would be, so the
    /// badge's edges come in the same shades whether text is cached or not.
    Coverage(tiny_skia::Mask),
    /// With colour glyphs (emoji): the run in colour, drawn over the badge.
    Colour(tiny_skia::Pixmap),
}

impl Weigh for Sprite {
    fn weight(&self) -> usize {
        let pixels = match &self.ink {
            SpriteInk::Coverage(mask) => mask.data().len(),
            SpriteInk::Colour(pixmap) => pixmap.data().len(),
        };
        std::mem::size_of::<Sprite>() + pixels + self.key.0.len()
    }
}

/// Everything that changes a rasterized run's pixels: its text, weight and size, its
/// colour, the scale, and where it sits (position and rotation).
type SpriteKey = (Box<str>, bool, u32, &'static str, u8, [u32; 5]);

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
        let (degrees, cx, cy) = run.turn.unwrap_or_default();
        let key = (
            s.text.clone(),
            s.bold,
            s.size.to_bits(),
            run.fill,
            scale,
            [run.x, run.y, degrees, cx, cy].map(f32::to_bits),
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
fn rasterize_run(run: &Run, scale: u8, key: SpriteKey) -> Option<Sprite> {
    let ink = Ink::of(&run.shaped);
    let at = run.placement(f32::from(scale));
    let bounds = ink.bounds(at)?;
    // One spare pixel each side: anti-aliasing can touch the pixel past the bounds.
    let left = bounds.left().floor() as i32 - 1;
    let top = bounds.top().floor() as i32 - 1;
    let width = (bounds.right().ceil() as i32 - left + 1).max(1) as u32;
    let height = (bounds.bottom().ceil() as i32 - top + 1).max(1) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
    ink.draw(
        &mut pixmap,
        run.fill,
        at.post_translate(-left as f32, -top as f32),
    );
    // An opaque fill over transparent pixels leaves each pixel's coverage as its alpha.
    let ink = if ink.bitmaps.is_empty() {
        SpriteInk::Coverage(tiny_skia::Mask::from_pixmap(
            pixmap.as_ref(),
            tiny_skia::MaskType::Alpha,
        ))
    } else {
        SpriteInk::Colour(pixmap)
    };
    Some(Sprite {
        ink,
        left,
        top,
        key,
    })
}

/// Lays `coverage` on `pixmap` in `fill` with its top-left at (`left`, `top`), as
/// tiny-skia fills an opaque colour: a covered pixel takes the colour, a partly
/// covered one moves towards it by its coverage (`(d·(255−c) + s·c + 255) >> 8`, the
/// blend its pipeline uses for anti-aliased edges).
fn fill_coverage(
    pixmap: &mut tiny_skia::Pixmap,
    coverage: &tiny_skia::Mask,
    left: i32,
    top: i32,
    fill: &str,
) {
    let [r, g, b] = rgb(fill);
    let colour = [r, g, b, 255];
    let (width, height) = (pixmap.width() as i32, pixmap.height() as i32);
    let mask_w = coverage.width() as i32;
    let x0 = left.max(0);
    let x1 = (left + mask_w).min(width);
    if x0 >= x1 {
        return;
    }
    let pixels = pixmap.data_mut();
    for (row, cover) in coverage.data().chunks_exact(mask_w as usize).enumerate() {
        let y = top + row as i32;
        if !(0..height).contains(&y) {
            continue;
        }
        let cover = &cover[(x0 - left) as usize..(x1 - left) as usize];
        let start = (y * width + x0) as usize * 4;
        let out = &mut pixels[start..start + cover.len() * 4];
        for (&c, px) in cover.iter().zip(out.chunks_exact_mut(4)) {
            match c {
                0 => {}
                255 => px.copy_from_slice(&colour),
                c => {
                    let (c, keep) = (u16::from(c), 255 - u16::from(c));
                    for (d, s) in px.iter_mut().zip(colour) {
                        *d = ((u16::from(*d) * keep + u16::from(s) * c + 255) >> 8) as u8;
                    }
                }
            }
        }
    }
}

/// What a run puts on the badge: its outline glyphs as one path, and its colour glyphs.
struct Ink {
    outline: Option<tiny_skia::Path>,
    bitmaps: Vec<Bitmap>,
}

/// A colour glyph: a PNG image from the emoji face's bitmap strike, placed as usvg
/// places it (`PositionedGlyph::cbdt_transform`).
struct Bitmap {
    png: &'static [u8],
    width: f32,
    height: f32,
    /// From the image's pixels to the run's coordinates (px, origin at the start of
    /// the baseline).
    place: tiny_skia::Transform,
}

impl Ink {
    /// The outline and the colour glyphs of `shaped`.
    fn of(shaped: &Shaped) -> Ink {
        Ink::of_glyphs(shaped, 0..shaped.glyphs().len())
    }

    /// The outline and the colour glyphs of the glyphs in `range`.
    fn of_glyphs(shaped: &Shaped, range: std::ops::Range<usize>) -> Ink {
        let bitmaps = shaped.glyphs()[range.clone()]
            .iter()
            .filter_map(|glyph| bitmap(glyph, shaped.size))
            .collect();
        Ink {
            outline: shaped.outline_of(range),
            bitmaps,
        }
    }

    /// Where the ink may fall once drawn with `at`.
    fn bounds(&self, at: tiny_skia::Transform) -> Option<tiny_skia::Rect> {
        let mut rects = Vec::with_capacity(1 + self.bitmaps.len());
        if let Some(outline) = &self.outline {
            rects.push(outline.bounds().transform(at)?);
        }
        for b in &self.bitmaps {
            let rect = tiny_skia::Rect::from_xywh(0.0, 0.0, b.width, b.height)?;
            rects.push(rect.transform(at.pre_concat(b.place))?);
        }
        let mut rects = rects.into_iter();
        let first = rects.next()?;
        rects.try_fold(first, |acc, r| {
            tiny_skia::Rect::from_ltrb(
                acc.left().min(r.left()),
                acc.top().min(r.top()),
                acc.right().max(r.right()),
                acc.bottom().max(r.bottom()),
            )
        })
    }

    /// Draws the run with `at`: outlines filled the way resvg fills a path
    /// (anti-aliased, non-zero winding, source-over), bitmaps the way resvg draws an
    /// image (bicubic sampling, edges padded).
    fn draw(&self, pixmap: &mut tiny_skia::Pixmap, fill: &str, at: tiny_skia::Transform) {
        if let Some(outline) = &self.outline {
            let mut paint = tiny_skia::Paint::default();
            let [r, g, b] = rgb(fill);
            paint.set_color_rgba8(r, g, b, 255);
            paint.anti_alias = true;
            pixmap.fill_path(outline, &paint, tiny_skia::FillRule::Winding, at, None);
        }
        for b in &self.bitmaps {
            let Ok(image) = tiny_skia::Pixmap::decode_png(b.png) else {
                continue;
            };
            let Some(rect) = tiny_skia::Rect::from_xywh(0.0, 0.0, b.width, b.height) else {
                continue;
            };
            let paint = tiny_skia::Paint {
                shader: tiny_skia::Pattern::new(
                    image.as_ref(),
                    tiny_skia::SpreadMode::Pad,
                    tiny_skia::FilterQuality::Bicubic,
                    1.0,
                    tiny_skia::Transform::identity(),
                ),
                ..tiny_skia::Paint::default()
            };
            pixmap.fill_rect(rect, &paint, at.pre_concat(b.place), None);
        }
    }
}

/// The colour bitmap of `glyph`, if its face draws with bitmaps.
fn bitmap(glyph: &Glyph, size: f32) -> Option<Bitmap> {
    let face = FONTS.face(glyph.face);
    if !face.colour {
        return None;
    }
    let strikes = face.font.bitmap_strikes();
    let image = strikes.glyph_for_size(
        skrifa::prelude::Size::unscaled(),
        skrifa::GlyphId::new(glyph.id),
    )?;
    let skrifa::bitmap::BitmapData::Png(png) = image.data else {
        return None;
    };
    // usvg: the glyph's transform, scaled from font units to image pixels, the image's
    // top-left corner raised by its bearing above the baseline.
    let pixel = size / image.ppem_x;
    let place = tiny_skia::Transform::from_translate(glyph.x, glyph.y)
        .pre_scale(pixel, pixel)
        .pre_translate(image.inner_bearing_x, -image.inner_bearing_y);
    Some(Bitmap {
        png,
        width: image.width as f32,
        height: image.height as f32,
        place,
    })
}

/// Draws the glyphs `range` of `shaped` alone, in black on transparent, with `at`, on
/// a `width`×`height` pixmap: what tests look at to see that every glyph draws.
#[cfg(test)]
pub(crate) fn draw_glyphs(
    shaped: &Shaped,
    range: std::ops::Range<usize>,
    (width, height): (u32, u32),
    at: tiny_skia::Transform,
) -> tiny_skia::Pixmap {
    let mut pixmap = tiny_skia::Pixmap::new(width, height).expect("a test pixmap");
    Ink::of_glyphs(shaped, range).draw(&mut pixmap, "#000000", at);
    pixmap
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
        let cache = (scale <= SPRITE_MAX_SCALE).then_some(sprites);
        draw_run(&mut pixmap, run, scale, cache);
    }
    super::encode::encode(&pixmap)
}

/// Draws `run` on `pixmap` at `scale`: from its cached sprite when given a cache, else
/// by filling its outlines in place. Both give the same pixels.
pub(crate) fn draw_run(
    pixmap: &mut tiny_skia::Pixmap,
    run: &Run,
    scale: u8,
    cache: Option<&Sprites>,
) {
    let Some(cache) = cache else {
        Ink::of(&run.shaped).draw(pixmap, run.fill, run.placement(f32::from(scale)));
        return;
    };
    let Some(sprite) = cache.get(run, scale) else {
        return;
    };
    match &sprite.ink {
        SpriteInk::Coverage(coverage) => {
            fill_coverage(pixmap, coverage, sprite.left, sprite.top, run.fill);
        }
        SpriteInk::Colour(colour) => pixmap.draw_pixmap(
            sprite.left,
            sprite.top,
            colour.as_ref(),
            &tiny_skia::PixmapPaint::default(),
            tiny_skia::Transform::identity(),
            None,
        ),
    }
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
