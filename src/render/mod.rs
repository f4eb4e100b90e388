//! Badge rendering: verdicts to SVG and PNG.
//!
//! [`Renderer`] draws two styles (the 360×90 card and the 20 px compact badge) in three
//! themes: light, dark, and auto, an SVG that carries both and follows the reader's
//! `prefers-color-scheme` (its PNG is the light one). Text is laid out once ([`shape`]) in
//! the bundled fonts, which cover every script a tool name may come in and emoji
//! ([`font`]); each width is pinned in the SVG with `textLength`, so a browser lays the
//! badge out like the PNG, and the PNG path draws the same placed glyphs (outlines
//! filled, emoji from their colour bitmaps) rather than shaping the text again.

mod cache;
mod card;
mod compact;
mod content;
mod encode;
mod escape;
mod font;
mod mark;
mod measure;
mod palette;
mod png;
mod shape;
mod share;
mod svg;
#[cfg(test)]
mod tests;
mod wrap;

use std::fmt;
use std::sync::Arc;

use crate::verdict::Verdict;

use content::Content;
use measure::{Measurer, Shaped};
use svg::{SvgDoc, TextMode};

pub use card::{HEIGHT as CARD_HEIGHT, WIDTH as CARD_WIDTH};
pub use compact::HEIGHT as COMPACT_HEIGHT;
pub use content::ship_share;
pub use encode::recompress as recompress_png;
pub use mark::{boat_path, check as check_path, cross as cross_path};
pub use share::{HEIGHT as SHARE_HEIGHT, VERSION as SHARE_VERSION, WIDTH as SHARE_WIDTH};

/// Version of the drawing code; bump whenever output changes, as it goes into ETags.
pub const RENDERER_VERSION: u32 = 3;

/// The badge's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Style {
    /// 360×90 card with a verdict stamp, the tool name and the panel tally.
    #[default]
    Card,
    /// 20 px high shields-style badge: "ShipOrSkip | Ship 4–0".
    Compact,
}

impl Style {
    /// Parses `card` or `compact`; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Style, String> {
        match s {
            "card" => Ok(Style::Card),
            "compact" => Ok(Style::Compact),
            _ => Err("style must be card or compact".to_owned()),
        }
    }

    /// The query-parameter spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Card => "card",
            Style::Compact => "compact",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The badge's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Theme {
    /// Dark text on white.
    #[default]
    Light,
    /// Light text on a dark background.
    Dark,
    /// Both: the SVG switches with the reader's `prefers-color-scheme`; a PNG, which
    /// cannot, is the light one.
    Auto,
}

impl Theme {
    /// Parses `light`, `dark` or `auto`; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Theme, String> {
        match s {
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            "auto" => Ok(Theme::Auto),
            _ => Err("theme must be light, dark or auto".to_owned()),
        }
    }

    /// The query-parameter spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }

    /// The theme a PNG is drawn in: a raster image cannot follow the reader, so
    /// `auto` is light.
    pub fn for_raster(self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            theme => theme,
        }
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A style and a theme: everything that selects one drawing of a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Variant {
    /// Card or compact.
    pub style: Style,
    /// Light, dark or auto.
    pub theme: Theme,
}

/// A PNG's scale: device pixels per CSS pixel, from 1 to 4 (a card at 4 is 1440×360).
///
/// The one place the range is checked: everything that asks for a PNG holds a `Scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scale(u8);

/// A scale outside 1 to 4, or not a number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scale must be a whole number from 1 to 4, got {0:?}")]
pub struct BadScale(pub String);

impl Scale {
    /// The default: 2, sharp on high-density screens (a card is 720×180).
    pub const DEFAULT: Scale = Scale(2);
    /// Every scale, smallest first.
    pub const ALL: [Scale; 4] = [Scale(1), Scale(2), Scale(3), Scale(4)];

    /// `n` as a scale, if it is from 1 to 4.
    pub fn new(n: u8) -> Result<Scale, BadScale> {
        match n {
            1..=4 => Ok(Scale(n)),
            _ => Err(BadScale(n.to_string())),
        }
    }

    /// The factor as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Scale {
    fn default() -> Scale {
        Scale::DEFAULT
    }
}

impl std::str::FromStr for Scale {
    type Err = BadScale;

    fn from_str(s: &str) -> Result<Scale, BadScale> {
        s.parse::<u8>()
            .ok()
            .and_then(|n| Scale::new(n).ok())
            .ok_or_else(|| BadScale(s.to_owned()))
    }
}

/// Image format of a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `image/svg+xml`.
    Svg,
    /// `image/png` at a scale.
    Png {
        /// Device pixels per CSS pixel.
        scale: Scale,
    },
}

impl Format {
    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml; charset=utf-8",
            Format::Png { .. } => "image/png",
        }
    }
}

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The scale is outside 1..=4.
    #[error("scale must be 1 to 4, got {0}")]
    Scale(u8),
    /// The SVG does not parse.
    #[error("invalid SVG: {0}")]
    Svg(#[from] usvg::Error),
    /// The image would be empty or too large to allocate.
    #[error("image size {width}×{height} px is out of range")]
    Size {
        /// Requested width, px.
        width: f32,
        /// Requested height, px.
        height: f32,
    },
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encode(#[from] ::png::EncodingError),
    /// A PNG handed back for re-encoding does not decode.
    #[error("PNG decoding failed: {0}")]
    Decode(::png::DecodingError),
}

/// Draws badges. Built once at start-up and shared (it is `Send + Sync`); it holds the
/// parsed fonts, a bounded cache of text measurements and outlines, and a bounded cache
/// of rasterized text runs for PNGs.
pub struct Renderer {
    opts: usvg::Options<'static>,
    measurer: Measurer,
    sprites: png::Sprites,
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Renderer {
    /// Loads the bundled fonts (compiled in; never read from disk).
    pub fn new() -> Renderer {
        Renderer {
            opts: font::options(),
            measurer: Measurer::new(),
            sprites: png::Sprites::new(),
        }
    }

    /// The verdict badge as SVG, for serving.
    pub fn badge_svg(&self, v: &Verdict, variant: Variant) -> String {
        self.draw(&Content::verdict(v), variant, TextMode::Text)
            .finish()
    }

    /// An error badge of the same size saying what is wrong, e.g. "unknown tool".
    pub fn error_svg(&self, reason: &str, variant: Variant) -> String {
        self.draw(&Content::error(reason), variant, TextMode::Text)
            .finish()
    }

    /// The verdict badge as SVG with its text turned into outlines: it looks the same as
    /// [`Renderer::badge_svg`] and needs no fonts, but its text is no longer text.
    pub fn badge_svg_outlined(&self, v: &Verdict, variant: Variant) -> String {
        self.draw(&Content::verdict(v), variant, TextMode::Outlines)
            .finish()
    }

    /// The verdict badge as PNG at `scale` (1..=4) times its size.
    ///
    /// Same pixels as `png(&badge_svg(..))`, but the text is filled from the cached glyph
    /// outlines instead of being parsed and shaped again.
    pub fn badge_png(
        &self,
        v: &Verdict,
        variant: Variant,
        scale: u8,
    ) -> Result<Vec<u8>, RenderError> {
        self.png_of(&Content::verdict(v), variant, scale)
    }

    /// The error badge as PNG at `scale` (1..=4) times its size.
    pub fn error_png(
        &self,
        reason: &str,
        variant: Variant,
        scale: u8,
    ) -> Result<Vec<u8>, RenderError> {
        self.png_of(&Content::error(reason), variant, scale)
    }

    /// Rasterizes any SVG at `scale` (1..=4) times its size; never panics on bad input.
    pub fn png(&self, svg: &str, scale: u8) -> Result<Vec<u8>, RenderError> {
        png::rasterize(&self.opts, &self.sprites, svg, &[], scale)
    }

    /// Advance width of `text` in px, in the bundled font (bold or regular) at `font_size`.
    pub fn text_width(&self, text: &str, bold: bool, font_size: f32) -> f32 {
        if !(font_size.is_finite() && font_size > 0.0) {
            return 0.0;
        }
        self.measurer
            .shape(&self.opts, &escape::clean(text), bold, font_size)
            .width
    }

    fn png_of(
        &self,
        content: &Content,
        variant: Variant,
        scale: u8,
    ) -> Result<Vec<u8>, RenderError> {
        // Check first, so a bad scale costs nothing.
        if !png::SCALES.contains(&scale) {
            return Err(RenderError::Scale(scale));
        }
        let variant = Variant {
            theme: variant.theme.for_raster(),
            ..variant
        };
        let (shapes, runs) = self
            .draw(content, variant, TextMode::Deferred)
            .finish_with_runs();
        png::rasterize(&self.opts, &self.sprites, &shapes, &runs, scale)
    }

    fn draw(&self, content: &Content, variant: Variant, mode: TextMode) -> SvgDoc {
        match variant.style {
            Style::Card => card::draw(self, content, variant.theme, mode),
            Style::Compact => compact::draw(self, content, variant.theme, mode),
        }
    }

    /// `text` cleaned and fitted into `max_width` (see [`Measurer::fit`]).
    fn fit(&self, text: &str, bold: bool, size: f32, min_size: f32, max_width: f32) -> Arc<Shaped> {
        self.measurer
            .fit(&self.opts, text, bold, size, min_size, max_width)
    }
}
