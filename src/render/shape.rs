//! Laying text out: which bundled face draws each character, and where each glyph goes.
//!
//! This is the one text layout both outputs use: the SVG pins its widths with it and the
//! PNG draws its glyphs. It shapes with harfrust, the shaper usvg uses, with the same
//! bidi handling and features, so a run in one face lays out exactly as usvg lays it out
//! (a test keeps them in agreement). It differs from usvg in how it falls back: usvg
//! shapes the whole string with each fallback face and gives up when two faces disagree
//! on the glyph count (an emoji sequence, a flag, a ligature), leaving missing-glyph
//! boxes; here each character cluster picks its face first, as a browser does, and each
//! run of one face is shaped on its own, with the text around it as context so Arabic
//! letters still join across a change of face.

use std::ops::Range;

use harfrust::{Direction, ShapeOptions, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};
use unicode_properties::{EmojiStatus, GeneralCategoryGroup, UnicodeEmoji, UnicodeGeneralCategory};

use super::font::{EMOJI, FONTS, FaceId, Fonts};

/// One glyph placed on the baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Glyph {
    /// The face it comes from.
    pub face: FaceId,
    /// Its id in that face; 0 is the missing-glyph box.
    pub id: u32,
    /// Its origin, px right of the start of the text.
    pub x: f32,
    /// Its origin, px below the baseline.
    pub y: f32,
}

/// Laid-out text: glyphs in visual order, left to right.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// The glyphs.
    pub glyphs: Vec<Glyph>,
    /// The advance width, px.
    pub width: f32,
}

/// A stretch of text in one face and one direction, shaped on its own.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Piece {
    /// Its bytes in the text.
    pub range: Range<usize>,
    /// The face that draws it.
    pub face: FaceId,
    /// Whether it runs right to left.
    pub rtl: bool,
}

/// Lays `text` out at `size` px in the bundled faces of the weight.
pub(crate) fn layout(text: &str, bold: bool, size: f32) -> Layout {
    let fonts = &*FONTS;
    let mut out = Layout {
        glyphs: Vec::with_capacity(text.len()),
        width: 0.0,
    };
    for piece in pieces(fonts, text, bold) {
        shape_piece(fonts, &piece, text, size, &mut out);
    }
    out
}

/// `text` split into pieces of one face and direction, in visual order (left to right).
pub(crate) fn pieces(fonts: &Fonts, text: &str, bold: bool) -> Vec<Piece> {
    if text.is_ascii() {
        // DejaVu Sans has every printable ASCII character, and ASCII runs left to right:
        // no itemizing needed for most names.
        return vec![Piece {
            range: 0..text.len(),
            face: fonts.primary(bold),
            rtl: false,
        }];
    }
    let faces = assign_faces(fonts, text, bold);
    if !text.chars().any(is_right_to_left) {
        // Without a right-to-left character the whole text is one left-to-right run
        // (bidi controls were dropped when the text was cleaned).
        return faces
            .into_iter()
            .map(|(range, face)| Piece {
                range,
                face,
                rtl: false,
            })
            .collect();
    }
    in_visual_order(text, &faces)
}

/// The face runs of `text` cut where its bidi runs change, in visual order.
fn in_visual_order(text: &str, faces: &[(Range<usize>, FaceId)]) -> Vec<Piece> {
    let bidi = BidiInfo::new(text, Some(Level::ltr()));
    let mut out = Vec::new();
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let first = out.len();
            out.extend(
                faces
                    .iter()
                    .filter(|(range, _)| range.start < run.end && run.start < range.end)
                    .map(|(range, face)| Piece {
                        range: range.start.max(run.start)..range.end.min(run.end),
                        face: *face,
                        rtl,
                    }),
            );
            // Within a right-to-left run, its pieces run right to left too.
            if rtl {
                out[first..].reverse();
            }
        }
    }
    out
}

/// Shapes one piece of `text`, with the text around it as context, and appends its
/// glyphs to `out`.
fn shape_piece(fonts: &Fonts, piece: &Piece, text: &str, size: f32, out: &mut Layout) {
    let (id, range) = (piece.face, piece.range.clone());
    let face = fonts.face(id);
    let shaper = face.shaper();
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(&text[range.clone()]);
    buffer.set_direction(if piece.rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    buffer.set_pre_context(&text[..range.start]);
    buffer.set_post_context(&text[range.end..]);
    buffer.guess_segment_properties();
    // No strong character means no script, which the plan must know as such.
    let script = Some(buffer.script()).filter(|&s| s != harfrust::script::UNKNOWN);
    let plan = face.plan(buffer.direction(), script);
    let shaped = shaper.shape(buffer, ShapeOptions::new().plan(Some(&plan)));
    let scale = size / face.units_per_em;
    for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
        out.glyphs.push(Glyph {
            face: id,
            id: info.glyph_id,
            x: out.width + pos.x_offset as f32 * scale,
            y: -(pos.y_offset as f32) * scale,
        });
        out.width += pos.x_advance as f32 * scale;
    }
}

/// Splits `text` into runs of one face, in logical order.
///
/// Each character cluster takes the first face of the weight's fallback chain that has
/// all of its characters; an emoji-presentation cluster takes the emoji face first.
fn assign_faces(fonts: &Fonts, text: &str, bold: bool) -> Vec<(Range<usize>, FaceId)> {
    let mut out: Vec<(Range<usize>, FaceId)> = Vec::new();
    for cluster in clusters(text) {
        let face = pick_face(fonts, &text[cluster.clone()], bold);
        match out.last_mut() {
            Some((range, last)) if *last == face => range.end = cluster.end,
            _ => out.push((cluster, face)),
        }
    }
    out
}

/// `text`'s character clusters, in order: a base and the marks, joiners, variation
/// selectors, emoji modifiers, keycaps and tags that attach to it, or a pair of
/// regional indicators (a flag). These are what one face must draw whole.
pub(crate) fn clusters(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, first) = chars.next()?;
        let mut end = start + first.len_utf8();
        let mut previous = first;
        let mut flags = usize::from(is_regional_indicator(first));
        while let Some(&(i, c)) = chars.peek() {
            let pairs_flag = is_regional_indicator(c) && flags % 2 == 1;
            if !(attaches(c) || previous == ZWJ || pairs_flag) {
                break;
            }
            flags += usize::from(is_regional_indicator(c));
            previous = c;
            end = i + c.len_utf8();
            chars.next();
        }
        Some(start..end)
    })
}

/// The face for one character cluster.
fn pick_face(fonts: &Fonts, cluster: &str, bold: bool) -> FaceId {
    let shown = || cluster.chars().filter(|&c| !is_ignorable(c));
    let has_all = |face: FaceId| shown().all(|c| fonts.face(face).has(c));
    if is_emoji_cluster(cluster) && has_all(EMOJI) {
        return EMOJI;
    }
    let first = cluster.chars().next().unwrap_or(' ');
    fonts
        .chain(bold)
        .find(|&face| has_all(face))
        .or_else(|| fonts.chain(bold).find(|&face| fonts.face(face).has(first)))
        .unwrap_or(fonts.primary(bold))
}

/// Whether `c` could make any of the text run right to left: a character of a
/// right-to-left script (bidi classes R and AL, and the Arabic digits, AN, which sit in
/// the same blocks) or a right-to-left mark.
fn is_right_to_left(c: char) -> bool {
    matches!(
        c,
        '\u{0590}'..='\u{08FF}'
            | '\u{200F}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}'
    )
}

/// The zero-width joiner.
const ZWJ: char = '\u{200D}';

/// Whether `c` belongs to the cluster before it.
fn attaches(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Mark
        || c == ZWJ
        || is_variation_selector(c)
        || matches!(c, '\u{1F3FB}'..='\u{1F3FF}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}')
}

/// Whether `c` is drawn as nothing whatever the face (shapers hide these), so a face
/// need not have it.
fn is_ignorable(c: char) -> bool {
    is_variation_selector(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Whether `c` is shown as an emoji unless asked otherwise (`Emoji_Presentation=Yes`).
pub(crate) fn prefers_emoji(c: char) -> bool {
    matches!(
        c.emoji_status(),
        EmojiStatus::EmojiPresentation
            | EmojiStatus::EmojiPresentationAndModifierBase
            | EmojiStatus::EmojiPresentationAndEmojiComponent
            | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent
    )
}

/// Whether a cluster is shown as an emoji (UTS #51): an emoji-presentation character,
/// a character followed by the emoji variation selector, a keycap, a modifier sequence or
/// a ZWJ sequence of emoji; never one asking for text presentation.
fn is_emoji_cluster(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if cluster.contains('\u{FE0E}') {
        return false;
    }
    prefers_emoji(first)
        || cluster.contains('\u{FE0F}')
        || (first.is_emoji_char()
            && chars.any(|c| matches!(c, ZWJ | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}')))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::render::escape::Xml;
    use crate::render::font::{self, FAMILY, FONT_STACK};
    use crate::render::measure::Measurer;
    use crate::render::png::draw_glyphs;

    /// A name in every script a tool name may come in, and the family that must draw it
    /// (DejaVu Sans may draw its spaces, digits and punctuation).
    const SCRIPTS: &[(&str, &str, &str)] = &[
        ("Latin", "Café Crème Brûlée Ærø Łódź Ğüç", FAMILY),
        ("Greek", "Ελληνικός Βοηθός Ψ", FAMILY),
        ("Cyrillic", "Яндекс ГигаЧат Ёлка Їжак", FAMILY),
        ("Arabic", "مساعد الذكاء الاصطناعي", FAMILY),
        ("Arabic (Urdu)", "مصنوعی ذہانت ہے", "Noto Sans Arabic"),
        ("Hebrew", "עוזר בינה מלאכותית", FAMILY),
        (
            "Chinese (Simplified)",
            "通义千问 文心一言 智谱清言",
            "Noto Sans CJK SC",
        ),
        (
            "Chinese (Traditional)",
            "語音助手資料分析 臺灣",
            "Noto Sans CJK SC",
        ),
        (
            "Japanese",
            "ひらがな カタカナ 漢字検索ー",
            "Noto Sans CJK SC",
        ),
        ("Korean", "클로바노트 네이버 뤼튼", "Noto Sans CJK SC"),
        ("Devanagari", "हिन्दी सहायक क्षत्रिय", "Noto Sans Devanagari"),
        ("Thai", "ผู้ช่วยภาษาไทย", "Noto Sans Thai"),
        ("Emoji", "🚀🦙👩‍💻🇫🇷❤️1️⃣😀🏴󠁧󠁢󠁳󠁣󠁴󠁿", "Noto Color Emoji"),
    ];

    /// Names that mix scripts, directions and emoji.
    const MIXED: &[&str] = &[
        "通义千问 Qwen 2.5",
        "Ollama 🦙",
        "🚀 Rocket 👩‍💻 Coder 🇫🇷",
        "Claude 3.5 — 日本語 — हिन्दी — ไทย",
        "Office 365 智能助手",
        "שלום mixed עברית text 42",
        "ChatGPT بالعربية (بيتا) 2",
        "مصنوعی ذہانت AI",
        "Z̷a̷l̷g̷o̷ ̷t̷e̷x̷t̷",
        "Copilot ✓ ★ © ™",
        "👍🏽 Thumbs",
    ];

    /// The family of every glyph.
    fn families(layout: &Layout) -> Vec<&'static str> {
        layout.glyphs.iter().map(|g| FONTS.family(g.face)).collect()
    }

    #[test]
    fn every_script_draws_real_glyphs_in_its_face() {
        for &(script, name, family) in SCRIPTS {
            for (bold, size) in [(true, 18.0), (false, 12.5)] {
                let layout = layout(name, bold, size);
                let missing: Vec<_> = layout.glyphs.iter().filter(|g| g.id == 0).collect();
                assert!(missing.is_empty(), "{script} {name:?}: tofu {missing:?}");
                let used = families(&layout);
                assert!(used.contains(&family), "{script}: drawn in {used:?}");
                assert!(
                    used.iter().all(|f| *f == family || *f == FAMILY),
                    "{script}: drawn in {used:?}"
                );
                assert!(layout.width > 0.0, "{script}");
            }
        }
    }

    #[test]
    fn mixed_names_have_no_missing_glyphs() {
        for name in MIXED {
            for bold in [true, false] {
                let layout = layout(name, bold, 18.0);
                assert!(layout.glyphs.iter().all(|g| g.id != 0), "{name:?}: tofu");
            }
        }
        // An emoji wins over DejaVu Sans's black-and-white one unless text is asked for.
        let faces = |text| families(&layout(text, false, 12.0));
        assert_eq!(faces("😀"), ["Noto Color Emoji"]);
        assert!(faces("❤\u{FE0F}").iter().all(|f| *f == "Noto Color Emoji"));
        assert_eq!(faces("❤"), [FAMILY]);
        assert!(faces("😀\u{FE0E}").iter().all(|f| *f == FAMILY));
        // Bold text falls back to bold faces.
        let bold = layout("通义", true, 12.0);
        assert!(bold.glyphs.iter().all(|g| FONTS.face(g.face).bold));
    }

    /// Every glyph is drawn where it is, and emoji are drawn in colour.
    #[test]
    fn every_glyph_of_every_script_leaves_ink() {
        let measurer = Measurer::new();
        let opts = font::options();
        let named = SCRIPTS.iter().map(|&(script, name, _)| (script, name));
        for (script, name) in named.chain(MIXED.iter().map(|&m| ("mixed", m))) {
            let shaped = measurer.shape(&opts, name, true, 18.0);
            let scale = 2.0;
            let size = ((shaped.width * scale) as u32 + 40, 80);
            let at = tiny_skia::Transform::from_scale(scale, scale).pre_translate(10.0, 28.0);
            for (i, glyph) in shaped.glyphs().iter().enumerate() {
                let face = FONTS.face(glyph.face);
                let blank = [' ', '\u{200D}']
                    .iter()
                    .any(|&c| face.font_charmap_glyph(c) == Some(glyph.id));
                let pixmap = draw_glyphs(&shaped, i..i + 1, size, at);
                let inked = pixmap.pixels().iter().filter(|p| p.alpha() > 0).count();
                if blank {
                    continue;
                }
                assert!(
                    inked > 20,
                    "{script} {name:?}: glyph {i} ({glyph:?}) draws nothing"
                );
                if face.colour {
                    let coloured = pixmap.pixels().iter().any(|p| {
                        let p = p.demultiply();
                        let (hi, lo) = (
                            p.red().max(p.green()).max(p.blue()),
                            p.red().min(p.green()).min(p.blue()),
                        );
                        p.alpha() > 128 && hi - lo > 60
                    });
                    assert!(
                        coloured,
                        "{script} {name:?}: emoji glyph {i} is not in colour"
                    );
                }
            }
        }
    }

    /// usvg's layout of `<text>` with the given family list, weight and size: its glyphs
    /// (face, id, origin) and its advance width.
    fn usvg_layout(
        text: &str,
        family: &str,
        bold: bool,
        size: f32,
    ) -> (Vec<(FaceId, u32, f32, f32)>, f32) {
        let svg = usvg_text_svg(text, family, bold, size, "black");
        let tree = usvg::Tree::from_str(&svg, &font::options()).expect("parses");
        let Some(usvg::Node::Text(t)) = tree.root().children().first() else {
            panic!("{text:?}: no text node")
        };
        let glyphs = t
            .layouted()
            .iter()
            .flat_map(|span| &span.positioned_glyphs)
            .map(|g| {
                let ts = g.transform();
                let face = FONTS.face_of(g.font).expect("a bundled face");
                (face, g.id.0, ts.tx - 10.0, ts.ty - 50.0)
            })
            .collect();
        // usvg's text bounding box is built from advances, not ink.
        (glyphs, t.bounding_box().width())
    }

    /// Strings in every script that one face draws whole, where usvg's own fallback
    /// reaches the same face: the layout must match usvg's glyph for glyph.
    const ONE_FACE: &[&str] = &[
        "SmolVLM-3B",
        "AVATAR Wavy ffi Té",
        "Ünïcödé naïve café",
        "3 ships · 1 skip · expert panel",
        "Café Crème Brûlée Ærø Łódź Ğüç",
        "Ελληνικός Βοηθός Ψ",
        "Αθήνα 2024",
        "Яндекс ГигаЧат Ёлка Їжак",
        "Москва, Россия!",
        "مساعد الذكاء الاصطناعي",
        "مرحبا بالعالم ١٢٣",
        "עוזר בינה מלאכותית",
        "שלום עולם",
        "通义千问",
        "数据分析助手",
        "語音助手資料分析",
        "東京タワー検索ー",
        "ひらがなカタカナ",
        "클로바노트",
        "한국어번역기",
        "हिन्दी",
        "क्षत्रियसहायक",
        "नमस्ते",
        "ผู้ช่วยภาษาไทย",
        "สวัสดีครับ",
        "🤖",
        "🚀🦙👩‍💻🇫🇷",
        "🇯🇵🇩🇪",
        "👨‍👩‍👧",
    ];

    /// `text`'s layout in SVG, as usvg makes it.
    fn usvg_text_svg(text: &str, family: &str, bold: bool, size: f32, fill: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="100"><text x="10" y="50" xml:space="preserve" font-family="{}" font-size="{size}" font-weight="{}" fill="{fill}">{}</text></svg>"#,
            Xml(family),
            if bold { "bold" } else { "normal" },
            Xml(text)
        )
    }

    #[test]
    fn layout_agrees_with_usvg_glyph_for_glyph() {
        for &text in ONE_FACE {
            for (bold, size) in [(true, 18.0), (false, 12.5), (false, 11.0)] {
                let ours = layout(text, bold, size);
                let faces: std::collections::HashSet<_> =
                    ours.glyphs.iter().map(|g| g.face).collect();
                assert_eq!(faces.len(), 1, "{text:?} is drawn by one face");
                let (theirs, width) = usvg_layout(text, FONT_STACK, bold, size);
                assert!(
                    (ours.width - width).abs() < 0.01,
                    "{text:?}: {} vs {width}",
                    ours.width
                );
                assert_eq!(ours.glyphs.len(), theirs.len(), "{text:?}");
                for (a, (face, id, x, y)) in ours.glyphs.iter().zip(&theirs) {
                    assert_eq!((a.face, a.id), (*face, *id), "{text:?}");
                    assert!(
                        (a.x - x).abs() < 0.01 && (a.y - y).abs() < 0.01,
                        "{text:?}: {a:?} vs ({x}, {y})"
                    );
                }
            }
        }
    }

    #[test]
    fn each_piece_of_a_mixed_name_lays_out_as_usvg_lays_it_out_alone() {
        let fonts = &*FONTS;
        let samples = SCRIPTS.iter().map(|(_, name, _)| *name);
        for text in samples
            .chain(MIXED.iter().copied())
            .chain(ONE_FACE.iter().copied())
        {
            for bold in [true, false] {
                let size = 18.0;
                for piece in pieces(fonts, text, bold) {
                    // Alone, as usvg sees it: no text around it as context.
                    let piece_text = &text[piece.range.clone()];
                    if piece_text.trim().is_empty() {
                        continue; // usvg keeps no text node for blank text
                    }
                    let alone = Piece {
                        range: 0..piece_text.len(),
                        ..piece.clone()
                    };
                    let mut ours = Layout::default();
                    shape_piece(fonts, &alone, piece_text, size, &mut ours);
                    let (theirs, width) =
                        usvg_layout(piece_text, fonts.family(piece.face), bold, size);
                    assert!(
                        (ours.width - width).abs() < 0.01,
                        "{text:?}: piece {piece_text:?} is {} wide, usvg {width}",
                        ours.width
                    );
                    let mut a: Vec<u32> = ours.glyphs.iter().map(|g| g.id).collect();
                    let mut b: Vec<u32> = theirs.iter().map(|g| g.1).collect();
                    // usvg lays a piece out as a paragraph of its own, which can put a
                    // space at the other end of a right-to-left piece.
                    a.sort_unstable();
                    b.sort_unstable();
                    assert_eq!(a, b, "{text:?}: piece {piece_text:?}");
                    assert!(theirs.iter().all(|g| g.0 == piece.face), "{piece_text:?}");
                }
            }
        }
    }

    #[test]
    fn names_are_cut_between_clusters() {
        let measurer = Measurer::new();
        let opts = font::options();
        let flags = "🇫🇷🇩🇪🇯🇵🇧🇷".repeat(10);
        let marks = "क्षत्रिय ".repeat(20);
        for name in [flags.as_str(), marks.as_str(), "👩‍💻👨‍👩‍👧".repeat(10).as_str()]
        {
            for width in [30.0, 61.0, 97.0, 150.0] {
                let cut = measurer.fit(&opts, name, true, 18.0, 18.0, width);
                let kept = cut.text.strip_suffix('…').expect("cut with an ellipsis");
                assert!(name.starts_with(kept), "{kept:?}");
                let boundaries: Vec<usize> = clusters(name).map(|c| c.start).collect();
                assert!(
                    kept.is_empty() || boundaries.contains(&kept.len()),
                    "{name:?} cut inside a cluster: {kept:?}"
                );
                assert!(cut.width <= width && cut.glyphs().iter().all(|g| g.id != 0));
            }
        }
    }

    /// Text without a right-to-left character skips the bidi algorithm: it must get
    /// what the algorithm would give.
    #[test]
    fn left_to_right_text_needs_no_bidi() {
        let fonts = &*FONTS;
        let samples = SCRIPTS.iter().map(|(_, name, _)| *name);
        for text in samples
            .chain(MIXED.iter().copied())
            .chain(ONE_FACE.iter().copied())
        {
            for bold in [true, false] {
                let faces = assign_faces(fonts, text, bold);
                assert_eq!(
                    pieces(fonts, text, bold),
                    in_visual_order(text, &faces),
                    "{text:?}"
                );
            }
        }
    }

    /// Arabic letters join across a change of face: the alef after heh goal (which only
    /// Noto Sans Arabic has) takes its final form in DejaVu Sans.
    #[test]
    fn arabic_joins_across_faces() {
        let joined = layout("\u{06C1}\u{0627}", false, 12.0);
        let alone = layout("\u{0627}", false, 12.0);
        assert_eq!(families(&joined), ["DejaVu Sans", "Noto Sans Arabic"]);
        assert_eq!(joined.glyphs[0].face, alone.glyphs[0].face);
        assert_ne!(joined.glyphs[0].id, alone.glyphs[0].id, "alef joins");
    }

    /// The PNG path draws each glyph where and as resvg draws it.
    #[test]
    fn glyphs_are_drawn_as_resvg_draws_them() {
        let measurer = Measurer::new();
        let opts = font::options();
        for &text in ONE_FACE {
            let shaped: Arc<_> = measurer.shape(&opts, text, true, 18.0);
            let (w, h) = (((shaped.width as u32) + 20) * 2, 200);
            let at = tiny_skia::Transform::from_scale(2.0, 2.0).pre_translate(10.0, 50.0);
            let ours = draw_glyphs(&shaped, 0..shaped.glyphs().len(), (w, h), at);
            let svg = usvg_text_svg(text, FONT_STACK, true, 18.0, "black");
            let tree = usvg::Tree::from_str(&svg, &opts).expect("parses");
            let mut theirs = tiny_skia::Pixmap::new(w, h).expect("pixmap");
            resvg::render(
                &tree,
                tiny_skia::Transform::from_scale(2.0, 2.0),
                &mut theirs.as_mut(),
            );
            let differing = ours
                .data()
                .iter()
                .zip(theirs.data())
                .filter(|(a, b)| a.abs_diff(**b) > 24)
                .count();
            let inked = theirs.pixels().iter().filter(|p| p.alpha() > 0).count();
            assert!(inked > 0, "{text:?}: resvg drew nothing");
            assert!(
                differing * 200 < inked,
                "{text:?}: {differing} bytes differ of {inked} inked pixels"
            );
        }
    }
}
