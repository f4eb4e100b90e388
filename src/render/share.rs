//! The share card: a 1200×630 PNG (the Open Graph size) that link previews show.
//!
//! It speaks the card badge's visual language at link-preview size: the tilted verdict
//! stamp (solid with a ✓ for Ship, outlined with a ✗ for Skip), the eyebrow, the tool's
//! name and tagline, then the panel: its split as a bar and each reviewer's call and
//! score, and the ShipOrSkip mark and wordmark. Text is laid out by the badges' own
//! shaping over the bundled fonts, so any script and emoji draw, and the PNG is filled
//! from the same placed glyphs; colours come from the badge palette by role.

use std::sync::{Arc, LazyLock};

use crate::verdict::{Call, Verdict};

use super::content::{BRAND, Content, Seal};
use super::escape::clean;
use super::mark::{check, cross, draw_mark};
use super::measure::Shaped;
use super::palette::Ink;
use super::svg::{Anchor, SvgDoc, TextMode};
use super::wrap::{TitleSizes, wide};
use super::{RenderError, Renderer, Theme, png};

/// Share card width, px (Open Graph's recommended 1.91:1 image).
pub const WIDTH: u32 = 1200;
/// Share card height, px.
pub const HEIGHT: u32 = 630;
/// Version of the share card's drawing; bump whenever its output changes (it goes into
/// ETags with [`super::RENDERER_VERSION`]).
pub const VERSION: u32 = 1;

const W: f32 = WIDTH as f32;
const H: f32 = HEIGHT as f32;
/// Outer margin, px.
const MARGIN: f32 = 72.0;
const RIGHT: f32 = W - MARGIN;
/// The brand strip along the top edge.
const STRIP: f32 = 10.0;

/// The stamp: the card badge's, 2.6 times larger, in the top right corner.
const K: f32 = 2.6;
const STAMP_W: f32 = 90.0 * K;
const STAMP_H: f32 = 66.0 * K;
const STAMP_X: f32 = RIGHT - STAMP_W;
const STAMP_Y: f32 = 66.0;
const STAMP_CORNER: f32 = 9.0 * K;
/// The badge stamp's tilt (`render::card`).
const STAMP_TILT: f32 = -3.012_788;
const STAMP_OUTLINE: f32 = 2.0 * K;
const STAMP_WORD: f32 = 50.0;
const STAMP_DETAIL: f32 = 30.0;
const SEAL_R: f32 = 8.0 * K;
const SEAL_GAP: f32 = 5.0 * K;
const STAMP_TEXT_W: f32 = STAMP_W - 14.0 * K;

/// The column left of the stamp: eyebrow, name and tagline.
const COLUMN_W: f32 = STAMP_X - 48.0 - MARGIN;
const EYEBROW_SIZE: f32 = 24.0;
const NAME: TitleSizes = TitleSizes {
    one_line: 68.0,
    two_lines: 54.0,
    min: 34.0,
    width: COLUMN_W,
};
const TAGLINE_SIZE: f32 = 28.0;
const TAGLINE_LEADING: f32 = 38.0;

/// The panel: a heading line, the split bar, and the reviewers' cells.
const PANEL_SIZE: f32 = 26.0;
const PANEL_Y: f32 = 344.0;
const BAR_Y: f32 = 364.0;
const BAR_H: f32 = 18.0;
const CELLS_Y: f32 = 408.0;
const CELLS_BOTTOM: f32 = 548.0;
const CELL_GAP: f32 = 16.0;
const COLUMNS: usize = 5;
const CELL_W: f32 = (RIGHT - MARGIN - CELL_GAP * (COLUMNS as f32 - 1.0)) / COLUMNS as f32;

/// The footer: pricing and category on the left, the brand lockup on the right.
const FOOT_Y: f32 = 598.0;
const FOOT_SIZE: f32 = 22.0;
const BRAND_SIZE: f32 = 30.0;
const MARK_SIZE: f32 = 36.0;
const MARK_GAP: f32 = 10.0;

/// DejaVu Sans capital height in em.
const CAP_HEIGHT: f32 = 0.729;

/// Rasterized text runs of share cards, apart from the badges' so that a burst of
/// share cards never evicts the runs every badge reuses.
static SPRITES: LazyLock<png::Sprites> = LazyLock::new(png::Sprites::new);

/// One reviewer's cell.
struct Cell {
    role: String,
    score: String,
    call: Call,
}

/// Everything a share card shows.
struct Card {
    content: Content,
    tagline: String,
    /// Ship and skip votes, when the panel voted.
    split: Option<(u32, u32)>,
    cells: Vec<Cell>,
    /// Pricing and category, joined.
    footnote: String,
}

impl Card {
    fn verdict(v: &Verdict) -> Card {
        let footnote = [v.pricing.as_str(), v.category.as_str()]
            .iter()
            .map(|s| clean(s))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        Card {
            content: Content::verdict(v),
            tagline: clean(&v.tagline).into_owned(),
            split: (v.panel.total() > 0).then_some((v.panel.ship, v.panel.skip)),
            cells: v
                .reviews
                .iter()
                .map(|r| Cell {
                    role: clean(&r.role).into_owned(),
                    score: r.score.map_or_else(|| "–".to_owned(), |s| s.to_string()),
                    call: r.verdict,
                })
                .collect(),
            footnote,
        }
    }

    fn error(reason: &str) -> Card {
        let content = Content::error(reason);
        Card {
            tagline: content.detail.clone(),
            content,
            split: None,
            cells: Vec::new(),
            footnote: String::new(),
        }
    }
}

impl Renderer {
    /// The share card of a verdict: a 1200×630 PNG in `theme` (`auto` draws light).
    pub fn share_card_png(&self, v: &Verdict, theme: Theme) -> Result<Vec<u8>, RenderError> {
        self.share_png(&Card::verdict(v), theme)
    }

    /// A share card saying what is wrong ("unknown tool"), in the badges' error style.
    pub fn share_error_png(&self, reason: &str, theme: Theme) -> Result<Vec<u8>, RenderError> {
        self.share_png(&Card::error(reason), theme)
    }

    /// The share card of a verdict as SVG with its text as `<text>`, for looking at.
    pub fn share_card_svg(&self, v: &Verdict, theme: Theme) -> String {
        self.share_draw(&Card::verdict(v), theme, TextMode::Text)
            .finish()
    }

    fn share_png(&self, card: &Card, theme: Theme) -> Result<Vec<u8>, RenderError> {
        let (shapes, runs) = self
            .share_draw(card, theme.for_raster(), TextMode::Deferred)
            .finish_with_runs();
        png::rasterize(&self.opts, &SPRITES, &shapes, &runs, 1)
    }

    fn share_draw(&self, card: &Card, theme: Theme, mode: TextMode) -> SvgDoc {
        let c = &card.content;
        let mut doc = SvgDoc::open(W, H, &c.label, mode, theme);
        doc.rect(0.0, 0.0, W, H, 0.0, Ink::CardBg);
        doc.rect(0.0, 0.0, W, STRIP, 0.0, Ink::Brand);
        draw_stamp(self, &mut doc, c);

        // Eyebrow, name, tagline.
        let eyebrow = self.fit(c.eyebrow, true, EYEBROW_SIZE, 18.0, COLUMN_W);
        let name = self.title(&c.headline, NAME);
        let (eyebrow_y, names, tagline_y, tagline_lines) = if name.len() > 1 {
            (102.0, [164.0, 226.0], 276.0, 1)
        } else {
            (108.0, [182.0, 182.0], 236.0, 2)
        };
        doc.text(&eyebrow, MARGIN, eyebrow_y, Anchor::Start, Ink::Brand);
        for (line, y) in name.iter().zip(names) {
            doc.text(line, MARGIN, y, Anchor::Start, Ink::Name);
        }
        let tagline = self.lines(&card.tagline, TAGLINE_SIZE, COLUMN_W, tagline_lines);
        for (i, line) in tagline.iter().enumerate() {
            let y = tagline_y + i as f32 * TAGLINE_LEADING;
            doc.text(line, MARGIN, y, Anchor::Start, Ink::Muted);
        }

        if c.seal != Seal::Error {
            self.draw_panel(&mut doc, card);
        }

        // Footer.
        let brand = self.fit(BRAND, true, BRAND_SIZE, BRAND_SIZE, W);
        let lockup = MARK_SIZE + MARK_GAP + brand.width;
        let mark_x = RIGHT - lockup;
        let cap_middle = FOOT_Y - CAP_HEIGHT * brand.size / 2.0;
        draw_mark(
            &mut doc,
            mark_x,
            cap_middle - MARK_SIZE / 2.0,
            MARK_SIZE,
            Some(Ink::Brand),
            Ink::CardBg,
        );
        doc.text(&brand, RIGHT, FOOT_Y, Anchor::End, Ink::Brand);
        if !card.footnote.is_empty() {
            let room = mark_x - MARGIN - 32.0;
            let foot = self.fit(&card.footnote, false, FOOT_SIZE, 18.0, room);
            doc.text(&foot, MARGIN, FOOT_Y, Anchor::Start, Ink::Muted);
        }
        doc
    }

    /// The panel's heading, its split bar and the reviewers' cells.
    fn draw_panel(&self, doc: &mut SvgDoc, card: &Card) {
        let heading = format!("Expert panel · {}", card.content.detail);
        let heading = self.fit(&heading, true, PANEL_SIZE, 20.0, RIGHT - MARGIN);
        doc.text(&heading, MARGIN, PANEL_Y, Anchor::Start, Ink::Name);

        // The split: ship votes solid, skip votes outlined, like the two stamps, so they
        // differ by more than hue; no votes, an empty track.
        let bar_w = RIGHT - MARGIN;
        let r = BAR_H / 2.0;
        match card.split {
            Some((ship, skip)) => {
                let total = f64::from(ship) + f64::from(skip);
                let ship_w = (f64::from(bar_w) * f64::from(ship) / total) as f32;
                let gap = if ship > 0 && skip > 0 { 6.0 } else { 0.0 };
                if skip > 0 {
                    let x = MARGIN + ship_w + gap / 2.0;
                    let w = (RIGHT - x).max(BAR_H);
                    doc.outlined_rect(
                        (RIGHT - w, BAR_Y, w, BAR_H),
                        r,
                        Some(Ink::SkipBg),
                        Ink::Skip,
                        2.5,
                    );
                }
                if ship > 0 {
                    let w = (ship_w - gap / 2.0).max(BAR_H);
                    doc.rect(MARGIN, BAR_Y, w, BAR_H, r, Ink::Ship);
                }
            }
            None => doc.rect(MARGIN, BAR_Y, bar_w, BAR_H, r, Ink::CardBorder),
        }

        if card.cells.is_empty() {
            let none = self.fit(
                "No panel reviews listed",
                false,
                PANEL_SIZE,
                20.0,
                RIGHT - MARGIN,
            );
            doc.text(&none, MARGIN, CELLS_Y + 44.0, Anchor::Start, Ink::Muted);
            return;
        }
        let rows = card.cells.len().div_ceil(COLUMNS);
        let cell_h = (CELLS_BOTTOM - CELLS_Y - CELL_GAP * (rows as f32 - 1.0)) / rows as f32;
        for (i, cell) in card.cells.iter().enumerate() {
            let x = MARGIN + (i % COLUMNS) as f32 * (CELL_W + CELL_GAP);
            let y = CELLS_Y + (i / COLUMNS) as f32 * (cell_h + CELL_GAP);
            doc.outlined_rect(
                (x, y, CELL_W, cell_h),
                14.0,
                Some(Ink::CardBg),
                Ink::CardBorder,
                2.0,
            );
            if rows == 1 {
                self.draw_tall_cell(doc, cell, x, y);
            } else {
                self.draw_short_cell(doc, cell, x, y, cell_h);
            }
        }
    }

    /// A cell of a single row: role, score, and the call beneath, centred.
    fn draw_tall_cell(&self, doc: &mut SvgDoc, cell: &Cell, x: f32, y: f32) {
        let cx = x + CELL_W / 2.0;
        let role = self.fit(&cell.role, false, 21.0, 15.0, CELL_W - 24.0);
        doc.text(&role, cx, y + 34.0, Anchor::Middle, Ink::Muted);
        let score = self.fit(&cell.score, true, 44.0, 30.0, CELL_W - 24.0);
        doc.text(&score, cx, y + 84.0, Anchor::Middle, Ink::Name);
        call_pill(self, doc, cell.call, cx, y + 100.0, 28.0, 18.0);
    }

    /// A cell of two rows: role above, score and call side by side.
    fn draw_short_cell(&self, doc: &mut SvgDoc, cell: &Cell, x: f32, y: f32, h: f32) {
        let role = self.fit(&cell.role, false, 18.0, 13.0, CELL_W - 24.0);
        doc.text(&role, x + 12.0, y + 24.0, Anchor::Start, Ink::Muted);
        let score = self.fit(&cell.score, true, 24.0, 18.0, 60.0);
        doc.text(&score, x + 12.0, y + h - 10.0, Anchor::Start, Ink::Name);
        let pill_cx = x + CELL_W - 12.0 - 44.0;
        call_pill(self, doc, cell.call, pill_cx, y + h - 32.0, 22.0, 13.0);
    }

    /// `text` (cleaned) in regular weight on at most `max_lines` lines of `width`,
    /// broken at spaces (or between characters of scripts without spaces); the last
    /// line ends in "…" when the text goes on.
    fn lines(&self, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<Arc<Shaped>> {
        let mut out = Vec::with_capacity(max_lines);
        let mut rest = text.trim();
        while !rest.is_empty() && out.len() < max_lines {
            let last = out.len() + 1 == max_lines;
            let whole = self.measurer.shape(&self.opts, rest, false, size);
            if whole.width <= width || last {
                out.push(self.fit(rest, false, size, size, width));
                break;
            }
            // The longest first line that fits, ending at a break.
            let breaks = line_breaks(rest);
            let fits = breaks.partition_point(|&(end, _)| {
                self.measurer
                    .shape(&self.opts, rest[..end].trim_end(), false, size)
                    .width
                    <= width
            });
            let Some(&(end, start)) = fits.checked_sub(1).and_then(|i| breaks.get(i)) else {
                out.push(self.fit(rest, false, size, size, width));
                break;
            };
            out.push(
                self.measurer
                    .shape(&self.opts, rest[..end].trim_end(), false, size),
            );
            rest = rest[start..].trim_start();
        }
        out
    }
}

/// Where `text` may break: (end of this line, start of the next), at spaces and
/// between two characters of scripts written without spaces.
fn line_breaks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == ' ' {
            if i > 0 {
                out.push((i, i + 1));
            }
        } else if prev.is_some_and(|p| wide(p) || wide(c)) && prev != Some(' ') {
            out.push((i, i));
        }
        prev = Some(c);
    }
    out
}

/// A reviewer's call as a small stamp centred on `cx`, top at `y`: solid with a ✓ for
/// Ship, outlined with a ✗ for Skip.
fn call_pill(r: &Renderer, doc: &mut SvgDoc, call: Call, cx: f32, y: f32, h: f32, size: f32) {
    let word = match call {
        Call::Ship => "SHIP",
        Call::Skip => "SKIP",
    };
    let word = r.fit(word, true, size, size, 200.0);
    let seal = h * 0.34;
    let gap = h * 0.25;
    let pad = h * 0.5;
    let w = pad * 2.0 + seal * 2.0 + gap + word.width;
    let x = cx - w / 2.0;
    let (mx, my) = (x + pad + seal, y + h / 2.0);
    let baseline = (my + CAP_HEIGHT * size / 2.0).round();
    let ink = match call {
        Call::Ship => {
            doc.rect(x, y, w, h, h / 2.0, Ink::Ship);
            doc.stroke_path(&check(mx, my, seal), Ink::OnShip, 2.2);
            Ink::OnShip
        }
        Call::Skip => {
            doc.outlined_rect((x, y, w, h), h / 2.0, Some(Ink::SkipBg), Ink::Skip, 2.0);
            doc.stroke_path(&cross(mx, my, seal), Ink::Skip, 2.2);
            Ink::Skip
        }
    };
    doc.text(&word, mx + seal + gap, baseline, Anchor::Start, ink);
}

/// The verdict stamp, the card badge's at 2.6 times its size: solid with a ✓ for Ship,
/// outlined with a ✗ for Skip, grey with a "?" for an error.
fn draw_stamp(r: &Renderer, doc: &mut SvgDoc, c: &Content) {
    let (cx, cy) = (STAMP_X + STAMP_W / 2.0, STAMP_Y + STAMP_H / 2.0);
    doc.begin_rotated(STAMP_TILT, cx, cy);
    let ink = match c.seal {
        Seal::Ship => {
            doc.rect(STAMP_X, STAMP_Y, STAMP_W, STAMP_H, STAMP_CORNER, Ink::Ship);
            Ink::OnShip
        }
        Seal::Skip => {
            doc.outlined_rect(
                (STAMP_X, STAMP_Y, STAMP_W, STAMP_H),
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
        let big = r.fit(c.stamp, true, 96.0, 30.0, STAMP_TEXT_W);
        let baseline = (cy + CAP_HEIGHT * big.size / 2.0).round();
        doc.text(&big, cx, baseline, Anchor::Middle, ink);
        doc.end_group();
        return;
    }
    let seal_w = 2.0 * SEAL_R + SEAL_GAP;
    let word = r.fit(c.stamp, true, STAMP_WORD, 30.0, STAMP_TEXT_W - seal_w);
    let baseline = match &c.stamp_detail {
        Some(_) => STAMP_Y + 32.0 * K,
        None => (cy + CAP_HEIGHT * word.size / 2.0).round(),
    };
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
        Seal::Ship => doc.stroke_path(&check(dx, dy, SEAL_R), Ink::Ship, 2.2 * K),
        _ => doc.stroke_path(&cross(dx, dy, SEAL_R), Ink::SkipBg, 2.2 * K),
    }
    doc.text(&word, left + seal_w, baseline, Anchor::Start, ink);
    if let Some(detail) = &c.stamp_detail {
        let small = r.fit(detail, true, STAMP_DETAIL, 20.0, STAMP_TEXT_W);
        doc.text(&small, cx, STAMP_Y + 50.0 * K, Anchor::Middle, ink);
    }
    doc.end_group();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::font::FONTS;
    use crate::render::png::draw_glyphs;
    use crate::verdict::{Review, demo_verdicts};

    fn sample(slug: &str) -> Verdict {
        demo_verdicts()
            .into_iter()
            .find(|v| v.slug.as_str() == slug)
            .expect("a sample")
    }

    fn size_of(png: &[u8]) -> (u32, u32) {
        let reader = ::png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("a PNG");
        (reader.info().width, reader.info().height)
    }

    #[test]
    fn every_sample_draws_a_1200_by_630_card_in_each_theme() {
        let r = Renderer::new();
        for v in demo_verdicts() {
            let light = r.share_card_png(&v, Theme::Light).unwrap();
            let dark = r.share_card_png(&v, Theme::Dark).unwrap();
            assert_eq!(size_of(&light), (WIDTH, HEIGHT));
            assert_eq!(size_of(&dark), (WIDTH, HEIGHT));
            assert_ne!(light, dark);
            assert_eq!(r.share_card_png(&v, Theme::Auto).unwrap(), light);
        }
        let error = r.share_error_png("unknown tool", Theme::Light).unwrap();
        assert_eq!(size_of(&error), (WIDTH, HEIGHT));
    }

    #[test]
    fn the_card_says_name_tagline_stamp_split_and_every_reviewer() {
        let r = Renderer::new();
        let v = sample("smolvlm-3b");
        let svg = r.share_card_svg(&v, Theme::Light);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        let all = texts.join("\n");
        assert!(all.contains(&v.name), "{all}");
        assert!(all.contains("SHIP") || all.contains("SKIP"), "{all}");
        let percent = v.panel.ship_percent().unwrap();
        assert!(all.contains(&crate::render::ship_share(percent)), "{all}");
        assert!(all.contains(&v.tally_words()), "{all}");
        for review in &v.reviews {
            assert!(texts.contains(&review.role.as_str()), "{all}");
            if let Some(score) = review.score {
                assert!(texts.contains(&score.to_string().as_str()), "{all}");
            }
        }
        // Every text stays on the canvas.
        let tree = usvg::Tree::from_str(&svg, &r.opts).unwrap();
        let bbox = tree.root().abs_bounding_box();
        assert!(
            bbox.left() >= 0.0 && bbox.right() <= W && bbox.bottom() <= H,
            "{bbox:?}"
        );
    }

    #[test]
    fn names_and_taglines_in_any_script_and_emoji_draw_no_missing_glyph_boxes() {
        let r = Renderer::new();
        let mut v = sample("smolvlm-3b");
        v.name = "通义千问 Qwen 🚀 助手 👩‍💻".into();
        v.tagline = "数据分析助手 — 日本語のテキスト 🦙 클로바노트 and more words to wrap".into();
        v.reviews = vec![
            Review {
                role: "審査員 🧪".into(),
                verdict: Call::Ship,
                score: Some(90),
            },
            Review {
                role: "Skeptic".into(),
                verdict: Call::Skip,
                score: None,
            },
        ];
        let card = Card::verdict(&v);
        let (_, runs) = r
            .share_draw(&card, Theme::Light, TextMode::Deferred)
            .finish_with_runs();
        let mut emoji = 0;
        for run in &runs {
            let shaped = &run.shaped;
            assert!(
                shaped.glyphs().iter().all(|g| g.id != 0),
                "{:?}: a missing-glyph box",
                shaped.text
            );
            let size = (
                (shaped.width + 40.0) as u32,
                (shaped.size * 2.0) as u32 + 20,
            );
            let at = tiny_skia::Transform::from_translate(10.0, shaped.size * 1.4);
            for (i, glyph) in shaped.glyphs().iter().enumerate() {
                let face = FONTS.face(glyph.face);
                if face.font_charmap_glyph(' ') == Some(glyph.id)
                    || face.font_charmap_glyph('\u{200D}') == Some(glyph.id)
                {
                    continue;
                }
                emoji += usize::from(face.colour);
                let pixmap = draw_glyphs(shaped, i..i + 1, size, at);
                let inked = pixmap.pixels().iter().filter(|p| p.alpha() > 0).count();
                assert!(inked > 0, "{:?}: glyph {i} draws nothing", shaped.text);
            }
        }
        assert!(emoji >= 3, "the emoji are drawn in colour ({emoji})");
        let texts: Vec<&str> = runs.iter().map(|r| &*r.shaped.text).collect();
        assert!(texts.iter().any(|t| t.contains("通义千问")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("数据分析")), "{texts:?}");
        assert!(r.share_card_png(&v, Theme::Dark).is_ok());
    }

    #[test]
    fn a_long_tagline_wraps_to_two_lines_and_ends_in_an_ellipsis() {
        let r = Renderer::new();
        let long = "A tagline that goes on and on, far longer than one line of the card could ever hold, and then some more words past the second line as well";
        let lines = r.lines(long, TAGLINE_SIZE, COLUMN_W, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.width <= COLUMN_W));
        assert!(!lines[0].text.ends_with('…') && lines[1].text.ends_with('…'));
        assert_eq!(r.lines("Short", TAGLINE_SIZE, COLUMN_W, 2).len(), 1);
        assert!(r.lines("", TAGLINE_SIZE, COLUMN_W, 2).is_empty());
        let cjk = "数据分析助手".repeat(20);
        let lines = r.lines(&cjk, TAGLINE_SIZE, COLUMN_W, 2);
        assert_eq!(lines.len(), 2, "breaks between ideographs");
        assert!(lines.iter().all(|l| l.width <= COLUMN_W));
    }

    #[test]
    fn ten_reviewers_and_no_votes_still_fit() {
        let r = Renderer::new();
        let mut v = sample("smolvlm-3b");
        let one = v.reviews[0].clone();
        v.reviews = vec![one; 10];
        let svg = r.share_card_svg(&v, Theme::Dark);
        let tree = usvg::Tree::from_str(&svg, &r.opts).unwrap();
        let bbox = tree.root().abs_bounding_box();
        assert!(bbox.right() <= W && bbox.bottom() <= H, "{bbox:?}");
        v.panel = crate::verdict::Votes::default();
        v.reviews.clear();
        let svg = r.share_card_svg(&v, Theme::Light);
        assert!(svg.contains("No panel votes yet"), "{svg}");
        assert!(svg.contains("No panel reviews listed"), "{svg}");
        assert!(r.share_card_png(&v, Theme::Light).is_ok());
    }
}
