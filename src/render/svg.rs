//! Writing badge SVG: the document frame, shapes, and text runs.
//!
//! Text is written one of two ways. For browsers, as `<text>` with its measured width
//! pinned by `textLength`, so the layout holds whatever font the browser ends up using.
//! For rasterizing, either as `<path>` outlines from the measurement cache, or left out
//! of the SVG and handed back as runs that the PNG path fills itself, so rasterizing
//! never shapes text again.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use tiny_skia::PathSegment;

use super::Theme;
use super::escape::Xml;
use super::font::FONT_STACK;
use super::measure::Shaped;
use super::palette::{Ink, Palette};

/// A number written with at most two decimals and no trailing zeros.
#[derive(Clone, Copy)]
pub(crate) struct Num(pub f32);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = (self.0 * 100.0).round() as i64;
        if hundredths < 0 {
            f.write_str("-")?;
        }
        let abs = hundredths.unsigned_abs();
        let (int, frac) = (abs / 100, abs % 100);
        match frac {
            0 => write!(f, "{int}"),
            f2 if f2 % 10 == 0 => write!(f, "{int}.{}", f2 / 10),
            f2 => write!(f, "{int}.{f2:02}"),
        }
    }
}

/// How text runs are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TextMode {
    /// `<text>` elements, for serving.
    Text,
    /// `<path>` outlines: an SVG that needs no fonts.
    Outlines,
    /// Left out of the SVG and kept as [`Run`]s, for the PNG path to fill.
    Deferred,
}

/// A run of text placed on the badge, kept for the PNG path.
pub(crate) struct Run {
    /// The laid-out text.
    pub shaped: Arc<Shaped>,
    /// Left end of the baseline, px.
    pub x: f32,
    /// Baseline, px.
    pub y: f32,
    /// Fill colour, `#rrggbb`.
    pub fill: &'static str,
    /// The rotation of the group the run sits in: degrees about (`cx`, `cy`), px.
    pub turn: Option<(f32, f32, f32)>,
}

impl Run {
    /// From the run's own coordinates (px, origin at the start of its baseline) to the
    /// badge's, at `scale` device pixels per px.
    pub(crate) fn placement(&self, scale: f32) -> tiny_skia::Transform {
        let mut at = tiny_skia::Transform::from_scale(scale, scale);
        if let Some((degrees, cx, cy)) = self.turn {
            at = at.pre_concat(tiny_skia::Transform::from_rotate_at(degrees, cx, cy));
        }
        at.pre_translate(self.x, self.y)
    }
}

/// Where a run of text is anchored horizontally.
#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    /// `x` is where the text starts.
    Start,
    /// `x` is the text's centre.
    Middle,
    /// `x` is where the text ends.
    End,
}

/// An SVG document being written.
pub(crate) struct SvgDoc {
    out: String,
    mode: TextMode,
    runs: Vec<Run>,
    /// The colours written into attributes: the theme's, or light for `auto`.
    palette: &'static Palette,
    /// Whether the dark colours go into a `prefers-color-scheme` rule too.
    auto: bool,
    /// Inks used as fill and as stroke (bit = [`Ink::index`]), for that rule.
    fills: u32,
    strokes: u32,
    /// Where the style element goes: right after the title.
    style_at: usize,
    /// The open rotated group's angle and centre, if any.
    rotation: Option<(f32, f32, f32)>,
}

impl SvgDoc {
    /// Opens an SVG of `width`×`height` in `theme`, labelled `label` for assistive
    /// technology.
    pub(crate) fn open(
        width: f32,
        height: f32,
        label: &str,
        mode: TextMode,
        theme: Theme,
    ) -> SvgDoc {
        let mut out = String::with_capacity(if mode == TextMode::Outlines {
            24 * 1024
        } else {
            3072
        });
        let (w, h) = (Num(width), Num(height));
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" font-family="{FONT_STACK}" text-rendering="geometricPrecision"><title>{label}</title>"#,
            label = Xml(label)
        );
        SvgDoc {
            style_at: out.len(),
            out,
            mode,
            runs: Vec::new(),
            palette: Palette::of(theme),
            auto: theme == Theme::Auto,
            fills: 0,
            strokes: 0,
            rotation: None,
        }
    }

    /// Writes ` fill=".." stroke=".." class=".."` for the given inks.
    fn paint(&mut self, fill: Option<Ink>, stroke: Option<Ink>) {
        let fill_colour = fill.map_or("none", |i| self.palette.ink(i));
        let _ = write!(self.out, r#" fill="{fill_colour}""#);
        if let Some(ink) = stroke {
            let _ = write!(self.out, r#" stroke="{}""#, self.palette.ink(ink));
        }
        if !self.auto {
            return;
        }
        let mut class = String::new();
        if let Some(ink) = fill {
            self.fills |= 1 << ink.index();
            let _ = write!(class, "f{}", ink.index());
        }
        if let Some(ink) = stroke {
            self.strokes |= 1 << ink.index();
            if !class.is_empty() {
                class.push(' ');
            }
            let _ = write!(class, "s{}", ink.index());
        }
        if !class.is_empty() {
            let _ = write!(self.out, r#" class="{class}""#);
        }
    }

    /// A filled rectangle with rounded corners.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rx: f32, fill: Ink) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}""#,
            Num(x),
            Num(y),
            Num(w),
            Num(h),
            Num(rx)
        );
        self.paint(Some(fill), None);
        self.out.push_str("/>");
    }

    /// A rounded rectangle whose `stroke_width` outline lies inside the given box.
    pub(crate) fn outlined_rect(
        &mut self,
        (x, y, w, h): (f32, f32, f32, f32),
        rx: f32,
        fill: Option<Ink>,
        stroke: Ink,
        stroke_width: f32,
    ) {
        let inset = stroke_width / 2.0;
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" stroke-width="{}""#,
            Num(x + inset),
            Num(y + inset),
            Num(w - stroke_width),
            Num(h - stroke_width),
            Num((rx - inset).max(0.0)),
            Num(stroke_width)
        );
        self.paint(fill, Some(stroke));
        self.out.push_str("/>");
    }

    /// A filled path.
    pub(crate) fn path(&mut self, d: &str, fill: Ink) {
        let _ = write!(self.out, r#"<path d="{d}""#);
        self.paint(Some(fill), None);
        self.out.push_str("/>");
    }

    /// A stroked, unfilled path with round caps and joins: the ✓ and ✗.
    pub(crate) fn stroke_path(&mut self, d: &str, stroke: Ink, width: f32) {
        let _ = write!(
            self.out,
            r#"<path d="{d}" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round""#,
            Num(width)
        );
        self.paint(None, Some(stroke));
        self.out.push_str("/>");
    }

    /// Opens a group rotated by `degrees` about (`cx`, `cy`); groups do not nest.
    pub(crate) fn begin_rotated(&mut self, degrees: f32, cx: f32, cy: f32) {
        // The angle in full: the text runs drawn into the PNG turn by the very same.
        let _ = write!(
            self.out,
            r#"<g transform="rotate({degrees} {} {})">"#,
            Num(cx),
            Num(cy)
        );
        self.rotation = Some((degrees, cx, cy));
    }

    /// Closes the rotated group.
    pub(crate) fn end_group(&mut self) {
        self.out.push_str("</g>");
        self.rotation = None;
    }

    /// One run of already-laid-out text with its baseline at `y`.
    pub(crate) fn text(&mut self, shaped: &Arc<Shaped>, x: f32, y: f32, anchor: Anchor, ink: Ink) {
        let left = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - shaped.width / 2.0,
            Anchor::End => x - shaped.width,
        };
        match self.mode {
            TextMode::Text => {
                let _ = write!(
                    self.out,
                    r#"<text x="{}" y="{}" font-size="{}"{}"#,
                    Num(left),
                    Num(y),
                    Num(shaped.size),
                    if shaped.bold {
                        r#" font-weight="bold""#
                    } else {
                        ""
                    },
                );
                self.paint(Some(ink), None);
                if shaped.width > 0.0 {
                    let _ = write!(
                        self.out,
                        r#" textLength="{}" lengthAdjust="spacingAndGlyphs""#,
                        Num(shaped.width)
                    );
                }
                let _ = write!(self.out, ">{}</text>", Xml(&shaped.text));
            }
            TextMode::Outlines => {
                if let Some(outline) = &shaped.outline() {
                    let _ = write!(
                        self.out,
                        r#"<path transform="translate({} {})""#,
                        Num(left),
                        Num(y)
                    );
                    self.paint(Some(ink), None);
                    self.out.push_str(r#" d=""#);
                    write_path_data(&mut self.out, outline);
                    self.out.push_str(r#""/>"#);
                }
            }
            TextMode::Deferred => self.runs.push(Run {
                shaped: shaped.clone(),
                x: left,
                y,
                fill: self.palette.ink(ink),
                turn: self.rotation,
            }),
        }
    }

    /// Closes the document.
    pub(crate) fn finish(self) -> String {
        self.finish_with_runs().0
    }

    /// Closes the document, also returning the deferred text runs.
    pub(crate) fn finish_with_runs(mut self) -> (String, Vec<Run>) {
        if self.auto {
            let style = self.dark_style();
            self.out.insert_str(self.style_at, &style);
        }
        self.out.push_str("</svg>");
        (self.out, self.runs)
    }

    /// The style element of `theme=auto`: every ink used, in its dark colour, when the
    /// reader prefers a dark scheme. Renderers without CSS media queries (resvg among
    /// them) skip the rule and keep the light colours of the attributes.
    fn dark_style(&self) -> String {
        let dark = Palette::dark();
        let mut css = String::from("<style>@media (prefers-color-scheme: dark){");
        for ink in Ink::ALL {
            let bit = 1 << ink.index();
            if self.fills & bit != 0 {
                let _ = write!(css, ".f{}{{fill:{}}}", ink.index(), dark.ink(ink));
            }
            if self.strokes & bit != 0 {
                let _ = write!(css, ".s{}{{stroke:{}}}", ink.index(), dark.ink(ink));
            }
        }
        css.push_str("}</style>");
        css
    }
}

/// Writes `path` as SVG path data.
fn write_path_data(out: &mut String, path: &tiny_skia::Path) {
    let point = |out: &mut String, cmd: char, p: tiny_skia::Point| {
        let _ = write!(out, "{cmd}{} {}", Num(p.x), Num(p.y));
    };
    for segment in path.segments() {
        match segment {
            PathSegment::MoveTo(p) => point(out, 'M', p),
            PathSegment::LineTo(p) => point(out, 'L', p),
            PathSegment::QuadTo(p1, p) => {
                point(out, 'Q', p1);
                point(out, ' ', p);
            }
            PathSegment::CubicTo(p1, p2, p) => {
                point(out, 'C', p1);
                point(out, ' ', p2);
                point(out, ' ', p);
            }
            PathSegment::Close => out.push('Z'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn numbers_are_short() {
        assert_eq!(Num(12.0).to_string(), "12");
        assert_eq!(Num(12.5).to_string(), "12.5");
        assert_eq!(Num(12.345).to_string(), "12.35");
        assert_eq!(Num(-0.05).to_string(), "-0.05");
        assert_eq!(Num(0.004).to_string(), "0");
    }
}
