//! Encoding a rendered pixmap as PNG: an exact palette image whenever the pixels allow,
//! 8-bit RGBA when they do not.
//!
//! A badge is flat fills with anti-aliased edges between them: a card at scale 2 has
//! 150–180 distinct RGBA colours in 129,600 pixels. Stored as one palette index per
//! pixel instead of four samples, the same pixels deflate to a third of the bytes. The
//! palette holds every colour exactly, so decoding it gives back the very pixels that
//! were rendered; an image with more than 256 colours (a gradient, a photo) is written
//! as RGBA.
//!
//! The first encoding deflates the unfiltered indices with zlib at a low level; the
//! re-encoding of a badge served again deflates them with Zopfli (the `zopfli` crate),
//! which searches for the cheapest parse and block split: 13–16 % below zlib's best
//! level (BENCHMARKS.md, "PNG bytes").
//!
//! oxipng does this reduction and more, but as a search over encodings, on a bundled C
//! deflater: at its fastest preset it takes ~1.8 ms for a card at scale 2, several
//! times the palette pass and deflating here. Building the palette is one pass over the
//! pixels, so it is done here and the png crate writes the image.

use std::borrow::Cow;
use std::num::NonZeroU64;

use super::RenderError;

/// How hard the encoder works for fewer bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effort {
    /// For the first response: zlib at a low level (fdeflate for RGBA).
    Fast,
    /// For a badge that has proved to be served again: Zopfli for a palette image, zlib
    /// at its best level otherwise.
    Thorough,
}

/// A pixmap as PNG, quickly: the encoding of a badge's first response.
pub(crate) fn encode(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, RenderError> {
    let (width, height) = (pixmap.width(), pixmap.height());
    let palette = palette_allowed()
        .then(|| Palette::of(pixmap.data(), demultiplied))
        .flatten();
    let image = match palette {
        Some(palette) => palette.into_image(width, height),
        None => Image::rgba(Cow::Owned(demultiply(pixmap)), width, height),
    };
    write_png(&image, Effort::Fast, image.samples.len() / 8)
}

/// Re-encodes a PNG made by [`encode`] with the slow, thorough settings: the same
/// pixels in fewer bytes.
///
/// A badge is rendered once and then served many times, so the render cache swaps the
/// fast first encoding for this one off the request path: every later response is
/// smaller, and the cold-render time is unchanged. Any PNG decodes here (a non-badge
/// RGBA image gets the palette check too); what it holds is written again losslessly.
pub fn recompress(png_bytes: &[u8]) -> Result<Vec<u8>, RenderError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().map_err(RenderError::Decode)?;
    let size = reader.output_buffer_size().ok_or(RenderError::Size {
        width: f32::INFINITY,
        height: f32::INFINITY,
    })?;
    let mut pixels = vec![0; size];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(RenderError::Decode)?;
    pixels.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let image = if (frame.color_type, frame.bit_depth) == RGBA8 {
        let palette = palette_allowed()
            .then(|| Palette::of(&pixels, |straight| straight))
            .flatten();
        match palette {
            Some(palette) => palette.into_image(width, height),
            None => Image::rgba(Cow::Borrowed(&pixels), width, height),
        }
    } else {
        let info = reader.info();
        Image {
            width,
            height,
            color: frame.color_type,
            depth: frame.bit_depth,
            samples: Cow::Borrowed(&pixels),
            palette: info.palette.as_ref().map(|p| p.to_vec()),
            trns: info.trns.as_ref().map(|t| t.to_vec()),
        }
    };
    write_png(&image, Effort::Thorough, png_bytes.len())
}

/// The colour type and depth of the RGBA image a pixmap becomes.
const RGBA8: (png::ColorType, png::BitDepth) = (png::ColorType::Rgba, png::BitDepth::Eight);

/// Samples ready for the PNG writer, and how to read them.
#[derive(Debug)]
struct Image<'a> {
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    /// Rows of samples, each padded to a whole byte.
    samples: Cow<'a, [u8]>,
    /// `PLTE`: red, green, blue of each palette entry.
    palette: Option<Vec<u8>>,
    /// `tRNS`: the alpha of the first palette entries (the others are opaque).
    trns: Option<Vec<u8>>,
}

impl<'a> Image<'a> {
    /// Straight-alpha RGBA pixels as they are.
    fn rgba(samples: Cow<'a, [u8]>, width: u32, height: u32) -> Image<'a> {
        Image {
            width,
            height,
            color: png::ColorType::Rgba,
            depth: png::BitDepth::Eight,
            samples,
            palette: None,
            trns: None,
        }
    }

    /// Whether the samples are palette indices.
    fn indexed(&self) -> bool {
        self.color == png::ColorType::Indexed
    }
}

/// Writes `image` as one PNG, with room for `expected` bytes reserved up front.
fn write_png(image: &Image, effort: Effort, expected: usize) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(expected);
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(image.color);
    encoder.set_depth(image.depth);
    if let Some(palette) = &image.palette {
        encoder.set_palette(palette.as_slice());
    }
    if let Some(trns) = &image.trns {
        encoder.set_trns(trns.as_slice());
    }
    if effort == Effort::Thorough && image.indexed() && image.samples.len() <= OPTIMAL_MAX {
        // Palette indices, unfiltered, through Zopfli.
        let row = image.samples.len() / image.height.max(1) as usize;
        let mut rows = Vec::with_capacity(image.samples.len() + image.height as usize);
        for samples in image.samples.chunks(row.max(1)) {
            rows.push(0);
            rows.extend_from_slice(samples);
        }
        let mut writer = encoder.write_header()?;
        let mut idat = Vec::with_capacity(expected);
        zopfli::compress(ZOPFLI, zopfli::Format::Zlib, rows.as_slice(), &mut idat)
            .map_err(|e| RenderError::Encode(e.into()))?;
        writer.write_chunk(png::chunk::IDAT, &idat)?;
        writer.finish()?;
        return Ok(out);
    }
    let (compression, filter) = settings(effort, image.indexed());
    encoder.set_deflate_compression(compression);
    encoder.set_filter(filter);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&image.samples)?;
    writer.finish()?;
    Ok(out)
}

/// Largest palette image, in bytes of samples, that the thorough encoding parses
/// with Zopfli (a card at scale 2 is 129,600; at scale 3, 291,600): its CPU grows with
/// the image, and bigger badges are rarer, so they get zlib's level 9.
const OPTIMAL_MAX: usize = 1 << 18;

/// Zopfli's effort for the re-encoding. Measured on the sample card at scale 2 (light,
/// dark bytes; one core, release): 1 iteration and 3 block splits, 7,303 / 7,427 B in
/// ~196 ms; 15 splits, 7,136 / 7,250 B in ~482 ms; Zopfli's defaults (15 iterations),
/// 7,048 / 7,160 B in ~1.06 s; no splitting, 7,525 / 7,690 B, over the 7,500 B aim.
/// Every badge asked for twice is re-encoded once, so the cheapest setting that keeps
/// a fair margin under the aim is the one taken.
const ZOPFLI: zopfli::Options = zopfli::Options {
    iteration_count: NonZeroU64::MIN,
    iterations_without_improvement: NonZeroU64::MAX,
    maximum_block_splits: 3,
};

/// zlib's level for a palette image's first encoding.
const COLD_LEVEL: u8 = 2;

/// Compression and row filter for an effort, measured on the cards and compact badges
/// at scale 2 (BENCHMARKS.md, "PNG bytes").
fn settings(effort: Effort, indexed: bool) -> (png::DeflateCompression, png::Filter) {
    use png::{DeflateCompression, Filter};
    match (effort, indexed) {
        // Palette indices are not magnitudes, so predicting them from their neighbours
        // only scrambles the runs deflate would find: unfiltered rows are the smallest,
        // as the PNG specification advises for palette images. fdeflate finds nothing
        // in them (only the matches filtering makes: with Paeth the light card at scale
        // 2 is ~10.8 KB); zlib at level 2 makes 9.6 KB of them, for ~0.3 ms more. Level
        // 3 would be smaller still, but too close to the re-encoding's bytes for it to
        // save the fifth that makes re-encoding worth its CPU.
        (Effort::Fast, true) => (DeflateCompression::Level(COLD_LEVEL), Filter::NoFilter),
        (Effort::Fast, false) => (DeflateCompression::FdeflateUltraFast, Filter::Paeth),
        // Palette images small enough go through Zopfli instead (`write_png`).
        (Effort::Thorough, true) => (DeflateCompression::Level(9), Filter::NoFilter),
        // More than 256 colours: a gradient or a photo, which filtering is made for.
        (Effort::Thorough, false) => (DeflateCompression::Level(9), Filter::Adaptive),
    }
}

/// Slots of the colour table: a power of two, four times the most colours it holds, so
/// that a lookup rarely probes more than one slot.
const SLOTS: usize = 1024;

/// Up to 256 distinct colours in the order first seen, with an open-addressed table
/// (linear probing) from each colour to its index, and the last pixel's colour: most
/// pixels repeat it (on a card, one pixel in 18 differs from the one before).
struct ColorTable<F> {
    /// Each slot's pixel, as one word. Pixels are keyed as they are read (premultiplied,
    /// for a pixmap): demultiplying maps distinct pixels to distinct colours, so the
    /// palette has no duplicates.
    keys: [u32; SLOTS],
    /// Each slot's index plus one; zero marks an empty slot.
    slots: [u16; SLOTS],
    /// The colours as the palette stores them.
    colors: Vec<[u8; 4]>,
    /// Turns a pixel into the straight-alpha colour the palette stores.
    straight: F,
    /// The last pixel looked up, and its index.
    last: u32,
    last_index: u8,
}

impl<F: Fn([u8; 4]) -> [u8; 4]> ColorTable<F> {
    /// An empty table whose first lookup is `first`'s.
    fn new(straight: F, first: u32) -> ColorTable<F> {
        ColorTable {
            keys: [0; SLOTS],
            slots: [0; SLOTS],
            colors: Vec::with_capacity(256),
            straight,
            // Differs from `first`, so that it is looked up.
            last: first ^ 1,
            last_index: 0,
        }
    }

    /// The index of the pixel `raw`, its colour added if new; `None` if that would be
    /// the 257th.
    #[inline]
    fn index(&mut self, raw: u32) -> Option<u8> {
        if raw != self.last {
            self.last_index = self.lookup(raw)?;
            self.last = raw;
        }
        Some(self.last_index)
    }

    fn lookup(&mut self, raw: u32) -> Option<u8> {
        // Fibonacci hashing: the top bits of the product spread nearby colours apart.
        let mut slot = (raw.wrapping_mul(0x9E37_79B1) >> (32 - SLOTS.trailing_zeros())) as usize;
        loop {
            match self.slots[slot] {
                0 => {
                    let index = u8::try_from(self.colors.len()).ok()?;
                    self.colors.push((self.straight)(raw.to_ne_bytes()));
                    self.keys[slot] = raw;
                    self.slots[slot] = self.colors.len() as u16;
                    return Some(index);
                }
                // At most 256 colours, so every index fits a byte.
                filled if self.keys[slot] == raw => return Some((filled - 1) as u8),
                _ => slot = (slot + 1) % SLOTS,
            }
        }
    }
}

/// The distinct colours of an image and each pixel's index among them.
struct Palette {
    /// The colours, translucent ones first, as RGBA.
    colors: Vec<[u8; 4]>,
    /// How many of the first colours are not opaque.
    translucent: usize,
    /// One index into `colors` per pixel, row by row.
    indices: Vec<u8>,
}

impl Palette {
    /// The palette of `pixels` (four bytes each), whose colours `straight` turns into
    /// the straight-alpha RGBA the palette stores, or `None` if they make more than 256
    /// colours.
    ///
    /// Pixels are read four at a time: where all four repeat the last one, as in the
    /// flat fills that make most of a badge, they cost one comparison.
    fn of(pixels: &[u8], straight: impl Fn([u8; 4]) -> [u8; 4]) -> Option<Palette> {
        let word = |px: &[u8]| u32::from_ne_bytes([px[0], px[1], px[2], px[3]]);
        let mut table = ColorTable::new(straight, pixels.get(..4).map_or(0, word));
        let mut indices = vec![0; pixels.len() / 4];
        let mut blocks = pixels.chunks_exact(16);
        let mut outs = indices.chunks_exact_mut(4);
        for (out, block) in (&mut outs).zip(&mut blocks) {
            let four = u128::from_ne_bytes(block.try_into().expect("16 bytes"));
            let four_last = u128::from(table.last) * 0x0000_0001_0000_0001_0000_0001_0000_0001;
            if four == four_last {
                out.fill(table.last_index);
            } else {
                for (index, px) in out.iter_mut().zip(block.chunks_exact(4)) {
                    *index = table.index(word(px))?;
                }
            }
        }
        let rest = blocks.remainder().chunks_exact(4);
        for (index, px) in outs.into_remainder().iter_mut().zip(rest) {
            *index = table.index(word(px))?;
        }
        Some(Palette::translucent_first(table.colors, indices))
    }

    /// Reorders the colours so that the translucent ones come first: `tRNS` then holds
    /// only their alphas.
    fn translucent_first(colors: Vec<[u8; 4]>, mut indices: Vec<u8>) -> Palette {
        let (translucent, opaque): (Vec<_>, Vec<_>) =
            (0..colors.len()).partition(|&i| colors[i][3] != 255);
        let order: Vec<usize> = translucent.iter().chain(&opaque).copied().collect();
        if order.iter().enumerate().any(|(new, &old)| new != old) {
            let mut remap = [0_u8; 256];
            for (new, &old) in order.iter().enumerate() {
                remap[old] = new as u8;
            }
            for index in &mut indices {
                *index = remap[usize::from(*index)];
            }
        }
        Palette {
            colors: order.iter().map(|&i| colors[i]).collect(),
            translucent: translucent.len(),
            indices,
        }
    }

    /// The palette image: `PLTE`, `tRNS` when a colour is translucent, and the indices
    /// packed at the smallest bit depth that holds them.
    fn into_image<'a>(self, width: u32, height: u32) -> Image<'a> {
        let depth = match self.colors.len() {
            0..=2 => png::BitDepth::One,
            3..=4 => png::BitDepth::Two,
            5..=16 => png::BitDepth::Four,
            _ => png::BitDepth::Eight,
        };
        let palette = self
            .colors
            .iter()
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect();
        let trns = (self.translucent > 0).then(|| {
            self.colors[..self.translucent]
                .iter()
                .map(|c| c[3])
                .collect()
        });
        Image {
            width,
            height,
            color: png::ColorType::Indexed,
            depth,
            samples: Cow::Owned(pack(self.indices, width as usize, depth as u8)),
            palette: Some(palette),
            trns,
        }
    }
}

/// Packs one-byte indices `bits` to a sample, most significant first, each row padded
/// to a whole byte as PNG stores them.
fn pack(indices: Vec<u8>, width: usize, bits: u8) -> Vec<u8> {
    if bits == 8 || width == 0 {
        return indices;
    }
    let per_byte = usize::from(8 / bits);
    let row_bytes = width.div_ceil(per_byte);
    let mut packed = Vec::with_capacity(indices.len() / width * row_bytes);
    for row in indices.chunks_exact(width) {
        for group in row.chunks(per_byte) {
            let byte = group.iter().enumerate().fold(0_u8, |byte, (i, &index)| {
                byte | index << (8 - bits * (i as u8 + 1))
            });
            packed.push(byte);
        }
    }
    packed
}

/// The pixmap's pixels with straight alpha, as PNG stores them (tiny-skia keeps them
/// premultiplied).
fn demultiply(pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    let mut rgba = pixmap.data().to_vec();
    for px in rgba.chunks_exact_mut(4) {
        if px[3] != 255 {
            let straight = demultiplied([px[0], px[1], px[2], px[3]]);
            px.copy_from_slice(&straight);
        }
    }
    rgba
}

/// One premultiplied colour with straight alpha.
fn demultiplied([r, g, b, alpha]: [u8; 4]) -> [u8; 4] {
    // Almost every pixel of a badge is opaque, and those are already straight; a fully
    // transparent one is all zeros either way.
    if alpha == 255 || alpha == 0 {
        return [r, g, b, alpha];
    }
    match tiny_skia::PremultipliedColorU8::from_rgba(r, g, b, alpha) {
        Some(c) => {
            let c = c.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        }
        None => [r, g, b, alpha],
    }
}

#[cfg(not(test))]
fn palette_allowed() -> bool {
    true
}

#[cfg(test)]
fn palette_allowed() -> bool {
    !RGBA_ONLY.with(std::cell::Cell::get)
}

#[cfg(test)]
thread_local! {
    static RGBA_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every pixmap encoded as RGBA, as before palettes: the reference the
/// palette images are compared with.
#[cfg(test)]
pub(crate) fn rgba_only<T>(f: impl FnOnce() -> T) -> T {
    RGBA_ONLY.with(|only| only.set(true));
    let out = f();
    RGBA_ONLY.with(|only| only.set(false));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes any PNG to straight RGBA, 8 bits a sample, with its colour type and depth.
    pub(crate) fn decode(bytes: &[u8]) -> (Vec<u8>, png::ColorType, png::BitDepth, usize) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().expect("a valid PNG");
        let info = reader.info();
        let (color, depth) = (info.color_type, info.bit_depth);
        let trns = info.trns.as_ref().map_or(0, |t| t.len());
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut buf).expect("frame");
        assert_eq!(frame.color_type, png::ColorType::Rgba);
        buf.truncate(frame.buffer_size());
        (buf, color, depth, trns)
    }

    /// A `width`×`height` pixmap whose pixel `i` (row by row) is `color(i)`, premultiplied
    /// as tiny-skia keeps it.
    fn pixmap(width: u32, height: u32, color: impl Fn(usize) -> [u8; 4]) -> tiny_skia::Pixmap {
        let mut pixmap = tiny_skia::Pixmap::new(width, height).expect("size");
        for (i, px) in pixmap.pixels_mut().iter_mut().enumerate() {
            let [r, g, b, a] = color(i);
            *px = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
        }
        pixmap
    }

    /// `n` distinct colours (distinct after premultiplying too): the first fully
    /// transparent, every fourth translucent, the rest opaque.
    fn colors(n: usize) -> Vec<[u8; 4]> {
        (0..n)
            .map(|i| {
                let alpha = match i {
                    0 => 0,
                    _ if i % 4 == 1 => 128,
                    _ => 255,
                };
                [i as u8, (i * 11) as u8, 40, alpha]
            })
            .collect()
    }

    #[test]
    fn palette_images_decode_to_the_rendered_pixels_at_every_depth() {
        for (n, depth) in [
            (1, png::BitDepth::One),
            (2, png::BitDepth::One),
            (3, png::BitDepth::Two),
            (4, png::BitDepth::Two),
            (5, png::BitDepth::Four),
            (16, png::BitDepth::Four),
            (17, png::BitDepth::Eight),
            (256, png::BitDepth::Eight),
        ] {
            let palette = colors(n);
            // Odd widths leave part of each row's last byte as padding.
            for width in [1, 7, 13, 64] {
                let image = pixmap(width, 9, |i| palette[i * 7 % n]);
                let straight = demultiply(&image);
                let distinct: std::collections::HashSet<&[u8]> = straight.chunks_exact(4).collect();
                let translucent = distinct.iter().filter(|c| c[3] != 255).count();
                let bytes = encode(&image).expect("encodes");
                let (pixels, color, got_depth, trns) = decode(&bytes);
                assert_eq!(pixels, straight, "{n} colours, width {width}");
                assert_eq!(color, png::ColorType::Indexed, "{n} colours, width {width}");
                assert_eq!(distinct.len(), n.min(width as usize * 9));
                if distinct.len() == n {
                    assert_eq!(got_depth, depth, "{n} colours, width {width}");
                }
                assert_eq!(trns, translucent, "tRNS holds only the translucent colours");
                let again = recompress(&bytes).expect("re-encodes");
                assert_eq!(decode(&again).0, straight, "{n} colours, width {width}");
            }
        }
    }

    #[test]
    fn runs_that_start_and_end_inside_a_block_of_four_keep_their_colours() {
        for n in [3, 20] {
            let palette = colors(n);
            for run in [1, 2, 3, 4, 5, 8, 17, 1000] {
                for width in [3, 16, 29] {
                    let image = pixmap(width, 7, |i| palette[i / run % n]);
                    let bytes = encode(&image).expect("encodes");
                    let (pixels, color, ..) = decode(&bytes);
                    assert_eq!(color, png::ColorType::Indexed);
                    assert_eq!(
                        pixels,
                        demultiply(&image),
                        "{n} colours, runs of {run}, width {width}"
                    );
                }
            }
        }
    }

    #[test]
    fn more_than_256_colours_stay_rgba_and_lossless() {
        // 257 colours: one too many for a palette.
        let image = pixmap(257, 3, |i| [(i % 257) as u8, (i % 257 / 256) as u8, 7, 255]);
        let straight = demultiply(&image);
        let bytes = encode(&image).expect("encodes");
        let (pixels, color, depth, _) = decode(&bytes);
        assert_eq!((color, depth), RGBA8);
        assert_eq!(pixels, straight);
        let again = recompress(&bytes).expect("re-encodes");
        assert_eq!(decode(&again).0, straight);
        assert_eq!(decode(&again).1, png::ColorType::Rgba);
        // A gradient with translucency: every alpha 0–255 over a changing colour.
        let image = pixmap(256, 4, |i| {
            [(i / 4) as u8, (i % 256) as u8, 200, (i % 256) as u8]
        });
        let bytes = encode(&image).expect("encodes");
        let (pixels, color, ..) = decode(&bytes);
        assert_eq!(color, png::ColorType::Rgba);
        assert_eq!(pixels, demultiply(&image));
    }

    #[test]
    fn translucent_colours_come_first_so_trns_stays_short() {
        // Opaque white first, then a translucent red, then opaque black.
        let rgba = [
            [255, 255, 255, 255],
            [255, 0, 0, 100],
            [0, 0, 0, 255],
            [255, 0, 0, 100],
        ]
        .concat();
        let palette = Palette::of(&rgba, |straight| straight).expect("3 colours");
        assert_eq!(palette.translucent, 1);
        assert_eq!(
            palette.colors,
            [[255, 0, 0, 100], [255, 255, 255, 255], [0, 0, 0, 255]]
        );
        assert_eq!(palette.indices, [1, 0, 2, 0]);
        let image = palette.into_image(2, 2);
        assert_eq!(image.trns.as_deref(), Some(&[100][..]));
        assert_eq!(image.depth, png::BitDepth::Two);
        // Row 1: indices 1, 0 → 0b01_00_0000; row 2: 2, 0 → 0b10_00_0000.
        assert_eq!(&image.samples[..], [0b0100_0000, 0b1000_0000]);
    }

    #[test]
    fn opaque_images_have_no_trns() {
        let image = pixmap(40, 40, |i| [(i % 40 * 6) as u8, 0, 0, 255]);
        let bytes = encode(&image).expect("encodes");
        let (pixels, color, depth, trns) = decode(&bytes);
        assert_eq!(
            (color, depth, trns),
            (png::ColorType::Indexed, png::BitDepth::Eight, 0)
        );
        assert_eq!(pixels, demultiply(&image));
    }

    #[test]
    fn recompress_refuses_what_is_not_a_png() {
        assert!(matches!(recompress(b"<svg/>"), Err(RenderError::Decode(_))));
        let bytes = encode(&pixmap(9, 9, |_| [1, 2, 3, 255])).expect("encodes");
        assert!(matches!(
            recompress(&bytes[..bytes.len() - 20]),
            Err(RenderError::Decode(_))
        ));
    }
}
