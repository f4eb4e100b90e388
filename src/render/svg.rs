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

use super::escape::Xml;
use super::font::FONT_STACK;
use super::measure::Shaped;

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
}

/// Where a run of text is anchored horizontally.
#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    /// `x` is where the text starts.
    Start,
    /// `x` is the text's centre.
    Middle,
}

/// An SVG document being written.
pub(crate) struct SvgDoc {
    out: String,
    mode: TextMode,
    runs: Vec<Run>,
}

impl SvgDoc {
    /// Opens an SVG of `width`×`height` labelled `label` for assistive technology.
    pub(crate) fn open(width: f32, height: f32, label: &str, mode: TextMode) -> SvgDoc {
        let mut out = String::with_capacity(if mode == TextMode::Outlines {
            24 * 1024
        } else {
            2048
        });
        let (w, h) = (Num(width), Num(height));
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}"><title>{label}</title>"#,
            label = Xml(label)
        );
        SvgDoc {
            out,
            mode,
            runs: Vec::new(),
        }
    }

    /// A filled rectangle with rounded corners.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rx: f32, fill: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{fill}"/>"#,
            Num(x),
            Num(y),
            Num(w),
            Num(h),
            Num(rx)
        );
    }

    /// A rounded rectangle outlined with a 1 px `stroke`, inside the given box.
    pub(crate) fn framed_rect(&mut self, w: f32, h: f32, rx: f32, fill: &str, stroke: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="0.5" y="0.5" width="{}" height="{}" rx="{}" fill="{fill}" stroke="{stroke}"/>"#,
            Num(w - 1.0),
            Num(h - 1.0),
            Num(rx)
        );
    }

    /// A filled path.
    pub(crate) fn path(&mut self, d: &str, fill: &str) {
        let _ = write!(self.out, r#"<path d="{d}" fill="{fill}"/>"#);
    }

    /// Starts the group that holds every text run, carrying the font stack once.
    pub(crate) fn begin_text(&mut self) {
        let _ = write!(self.out, r#"<g font-family="{FONT_STACK}">"#);
    }

    /// Ends the text group.
    pub(crate) fn end_text(&mut self) {
        self.out.push_str("</g>");
    }

    /// One run of already-laid-out text with its baseline at `y`.
    pub(crate) fn text(
        &mut self,
        shaped: &Arc<Shaped>,
        x: f32,
        y: f32,
        anchor: Anchor,
        fill: &'static str,
    ) {
        let left = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - shaped.width / 2.0,
        };
        match self.mode {
            TextMode::Text => {
                let _ = write!(
                    self.out,
                    r#"<text x="{}" y="{}" font-size="{}"{} fill="{fill}""#,
                    Num(left),
                    Num(y),
                    Num(shaped.size),
                    if shaped.bold {
                        r#" font-weight="bold""#
                    } else {
                        ""
                    },
                );
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
                        r#"<path transform="translate({} {})" fill="{fill}" d=""#,
                        Num(left),
                        Num(y)
                    );
                    write_path_data(&mut self.out, outline);
                    self.out.push_str(r#""/>"#);
                }
            }
            TextMode::Deferred => self.runs.push(Run {
                shaped: shaped.clone(),
                x: left,
                y,
                fill,
            }),
        }
    }

    /// Closes the document.
    pub(crate) fn finish(self) -> String {
        self.finish_with_runs().0
    }

    /// Closes the document, also returning the deferred text runs.
    pub(crate) fn finish_with_runs(mut self) -> (String, Vec<Run>) {
        self.out.push_str("</svg>");
        (self.out, self.runs)
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
