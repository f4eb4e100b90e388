//! The bundled fonts: which face draws which character, and the usvg options that use them.
//!
//! A badge draws a tool's name in whatever script it comes in, from fonts compiled into
//! the binary, so it looks the same on every host whatever fonts it has installed:
//!
//! | face | draws |
//! |---|---|
//! | DejaVu Sans (regular, bold) | Latin, Greek, Cyrillic, Hebrew, most Arabic, symbols |
//! | Noto Sans Arabic (subset) | the Arabic letters DejaVu lacks (Urdu, Pashto, Kurdish…) |
//! | Noto Sans Devanagari (subset) | Devanagari |
//! | Noto Sans Thai (subset) | Thai |
//! | Noto Sans CJK SC (subset) | Chinese (Simplified and Traditional), Japanese, Korean |
//! | Noto Color Emoji (subset) | emoji, in colour |
//!
//! Each character takes the first face of that list (in the text's weight) that has it,
//! as CSS font matching does with the `font-family` list written into the SVG
//! ([`FONT_STACK`]), so a browser that has these fonts picks the same face for every
//! character. Emoji-presentation characters and sequences go to the emoji face first,
//! as browsers do. `fonts/README.md` says what each subset covers and how
//! `fonts/subset.py` regenerates it.
//!
//! The font bytes are borrowed from the binary, never copied: only the pages a
//! rendering touches become resident.

use std::sync::{Arc, LazyLock};

use harfrust::{Direction, Script, ShapePlan, ShaperData};
use parking_lot::RwLock;
use skrifa::MetadataProvider;
use skrifa::outline::OutlineGlyphCollection;
use skrifa::raw::TableProvider;
use usvg::fontdb;

/// Embeds a file from `fonts/`.
macro_rules! font_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/", $name))
    };
}

/// What one bundled face is.
struct Spec {
    family: &'static str,
    bold: bool,
    data: &'static [u8],
}

/// Every bundled face, in fallback order within each weight. [`FaceId`]s index it.
const SPECS: [Spec; 11] = [
    Spec {
        family: FAMILY,
        bold: false,
        data: font_file!("DejaVuSans.ttf"),
    },
    Spec {
        family: FAMILY,
        bold: true,
        data: font_file!("DejaVuSans-Bold.ttf"),
    },
    Spec {
        family: "Noto Sans Arabic",
        bold: false,
        data: font_file!("NotoSansArabic-Regular.ttf"),
    },
    Spec {
        family: "Noto Sans Arabic",
        bold: true,
        data: font_file!("NotoSansArabic-Bold.ttf"),
    },
    Spec {
        family: "Noto Sans Devanagari",
        bold: false,
        data: font_file!("NotoSansDevanagari-Regular.ttf"),
    },
    Spec {
        family: "Noto Sans Devanagari",
        bold: true,
        data: font_file!("NotoSansDevanagari-Bold.ttf"),
    },
    Spec {
        family: "Noto Sans Thai",
        bold: false,
        data: font_file!("NotoSansThai-Regular.ttf"),
    },
    Spec {
        family: "Noto Sans Thai",
        bold: true,
        data: font_file!("NotoSansThai-Bold.ttf"),
    },
    Spec {
        family: "Noto Sans CJK SC",
        bold: false,
        data: font_file!("NotoSansCJKsc-Regular.otf"),
    },
    Spec {
        family: "Noto Sans CJK SC",
        bold: true,
        data: font_file!("NotoSansCJKsc-Bold.otf"),
    },
    Spec {
        family: EMOJI_FAMILY,
        bold: false,
        data: font_file!("NotoColorEmoji.ttf"),
    },
];

/// The emoji face, the same in both weights.
pub(crate) const EMOJI: FaceId = FaceId(10);

/// The family of the primary faces.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// The emoji family.
const EMOJI_FAMILY: &str = "Noto Color Emoji";

/// The `font-family` written into badges.
///
/// The bundled families in fallback order, so a browser that has them picks the face
/// the PNG uses for every character; Verdana stands in for DejaVu Sans where it is
/// missing (a wide screen face of close proportions), and the emoji family comes after
/// the generic family because emoji fonts map digits and spaces too. `textLength`
/// keeps the widths pinned whatever the browser ends up using. Names are unquoted
/// (valid CSS for names made of identifiers): every cached SVG carries this list.
pub(crate) const FONT_STACK: &str = "DejaVu Sans,Verdana,Noto Sans Arabic,Noto Sans Devanagari,\
Noto Sans Thai,Noto Sans CJK SC,sans-serif,Noto Color Emoji";

/// Index of a bundled face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FaceId(pub u8);

/// One parsed face, ready to shape and draw.
pub(crate) struct Face {
    /// Bold or regular.
    pub bold: bool,
    /// The parsed font.
    pub font: skrifa::FontRef<'static>,
    /// Font units per em.
    pub units_per_em: f32,
    /// Whether its glyphs are colour bitmaps rather than outlines.
    pub colour: bool,
    charmap: skrifa::charmap::Charmap<'static>,
    outlines: OutlineGlyphCollection<'static>,
    /// The face's shaper, built once: the faces live as long as the process.
    shaper: harfrust::Shaper<'static>,
    /// Shaping plans by direction and script: compiling one costs more than shaping a
    /// name, and a face sees only a handful of combinations.
    plans: RwLock<Vec<Plan>>,
}

/// A compiled shaping plan and the direction and script it serves.
type Plan = (Direction, Option<Script>, Arc<ShapePlan>);

impl Face {
    /// Parses a bundled face; the build would be broken if this failed.
    fn load(spec: &Spec) -> Face {
        let font = skrifa::FontRef::new(spec.data).expect("a bundled font parses");
        // FONT_STACK names these families for browsers: they must be the files' own.
        let family = font
            .localized_strings(skrifa::string::StringId::FAMILY_NAME)
            .english_or_first()
            .map(|name| name.to_string());
        assert_eq!(
            family.as_deref(),
            Some(spec.family),
            "bundled font's family"
        );
        let units_per_em = f32::from(font.head().map(|h| h.units_per_em()).unwrap_or(1000));
        Face {
            bold: spec.bold,
            units_per_em,
            colour: !font.bitmap_strikes().is_empty(),
            charmap: font.charmap(),
            outlines: font.outline_glyphs(),
            // Leaked once per face per process: the shaper borrows it for ever.
            shaper: Box::leak(Box::new(ShaperData::new(&font)))
                .shaper(&font)
                .build(),
            plans: RwLock::new(Vec::new()),
            font,
        }
    }

    /// Whether the face has a glyph for `c`.
    pub(crate) fn has(&self, c: char) -> bool {
        self.charmap.map(c).is_some_and(|g| g.to_u32() != 0)
    }

    /// The glyph `c` maps to.
    #[cfg(test)]
    pub(crate) fn font_charmap_glyph(&self, c: char) -> Option<u32> {
        self.charmap.map(c).map(|g| g.to_u32())
    }

    /// The face's shaper.
    pub(crate) fn shaper(&self) -> &harfrust::Shaper<'static> {
        &self.shaper
    }

    /// The shaping plan for `direction` and `script`, compiled once.
    pub(crate) fn plan(&self, direction: Direction, script: Option<Script>) -> Arc<ShapePlan> {
        let find = |plans: &[Plan]| {
            plans
                .iter()
                .find(|(d, s, _)| *d == direction && *s == script)
                .map(|(_, _, plan)| plan.clone())
        };
        if let Some(plan) = find(&self.plans.read()) {
            return plan;
        }
        let mut plans = self.plans.write();
        if let Some(plan) = find(&plans) {
            return plan;
        }
        let plan = Arc::new(ShapePlan::new(&self.shaper, direction, script, None, &[]));
        plans.push((direction, script, plan.clone()));
        plan
    }

    /// The outline of glyph `id`, in font units (y up).
    pub(crate) fn outline(&self, id: u32, out: &mut impl skrifa::outline::OutlinePen) {
        if let Some(glyph) = self.outlines.get(skrifa::GlyphId::new(id)) {
            let settings = skrifa::outline::DrawSettings::unhinted(
                skrifa::prelude::Size::unscaled(),
                skrifa::prelude::LocationRef::default(),
            );
            let _ = glyph.draw(settings, out);
        }
    }
}

/// Every bundled face, parsed once per process.
pub(crate) struct Fonts {
    faces: Vec<Face>,
    /// The faces as usvg sees them, for rasterizing SVG with text.
    database: Arc<fontdb::Database>,
    /// The fontdb ID of each face, by [`FaceId`].
    ids: Vec<fontdb::ID>,
}

/// The bundled faces.
pub(crate) static FONTS: LazyLock<Fonts> = LazyLock::new(Fonts::load);

impl Fonts {
    fn load() -> Fonts {
        let faces: Vec<Face> = SPECS.iter().map(Face::load).collect();
        let mut database = fontdb::Database::new();
        let ids = SPECS
            .iter()
            .map(|spec| {
                let source = fontdb::Source::Binary(Arc::new(spec.data));
                database.load_font_source(source)[0]
            })
            .collect();
        // usvg always appends `serif` to a text's family list, and a generic family
        // naming a font that is not loaded would make text silently vanish.
        database.set_serif_family(FAMILY);
        database.set_sans_serif_family(FAMILY);
        database.set_monospace_family(FAMILY);
        database.set_cursive_family(FAMILY);
        database.set_fantasy_family(FAMILY);
        Fonts {
            faces,
            database: Arc::new(database),
            ids,
        }
    }

    /// The face with this id.
    pub(crate) fn face(&self, id: FaceId) -> &Face {
        &self.faces[usize::from(id.0)]
    }

    /// The family name of a face, as its name table has it.
    #[cfg(test)]
    pub(crate) fn family(&self, id: FaceId) -> &'static str {
        SPECS[usize::from(id.0)].family
    }

    /// The bundled face usvg knows by `id`.
    #[cfg(test)]
    pub(crate) fn face_of(&self, id: fontdb::ID) -> Option<FaceId> {
        let index = self.ids.iter().position(|x| *x == id)?;
        Some(FaceId(index as u8))
    }

    /// The faces a character is looked for in, in order, for the weight.
    pub(crate) fn chain(&self, bold: bool) -> impl Iterator<Item = FaceId> + '_ {
        (0..self.faces.len() as u8)
            .map(FaceId)
            .filter(move |&id| id == EMOJI || self.face(id).bold == bold)
    }

    /// The primary face for the weight: DejaVu Sans, first in [`SPECS`].
    pub(crate) fn primary(&self, bold: bool) -> FaceId {
        FaceId(u8::from(bold))
    }

    /// usvg's fallback for a character its first face lacks: the same order as
    /// [`Fonts::chain`], emoji first for emoji-presentation characters, so that usvg
    /// rendering an SVG picks the faces the badge PNG path picks whenever usvg's own
    /// layout allows it.
    fn fallback(&self, c: char, used: &[fontdb::ID]) -> Option<fontdb::ID> {
        let index = |id: &fontdb::ID| self.ids.iter().position(|x| x == id);
        let bold = used
            .first()
            .and_then(index)
            .is_some_and(|i| self.faces[i].bold);
        let emoji_first = super::shape::prefers_emoji(c).then_some(EMOJI);
        emoji_first
            .into_iter()
            .chain(self.chain(bold))
            .map(|face| self.ids[usize::from(face.0)])
            .find(|id| !used.contains(id) && index(id).is_some_and(|i| self.faces[i].has(c)))
    }
}

/// Parsing options shared by every rasterization of SVG text.
///
/// Images are never resolved, neither data URLs nor paths: a badge has none, and an SVG
/// handed to [`crate::render::Renderer::png`] must not make the service read files.
pub(crate) fn options() -> usvg::Options<'static> {
    let fonts: &'static Fonts = &FONTS;
    usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: fonts.database.clone(),
        font_resolver: usvg::FontResolver {
            select_font: usvg::FontResolver::default_font_selector(),
            select_fallback: Box::new(move |c, used, _| fonts.fallback(c, used)),
        },
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}
