//! The bundled fonts and the usvg options that use them.
//!
//! The badges measure and rasterize text with DejaVu Sans only, loaded from bytes compiled
//! into the binary, so a badge looks the same on every host whatever fonts it has installed.

use std::sync::Arc;

use usvg::fontdb;

/// DejaVu Sans Book, the regular face.
const REGULAR: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/DejaVuSans.ttf"));
/// DejaVu Sans Bold.
const BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fonts/DejaVuSans-Bold.ttf"
));

/// The family name both bundled faces carry.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// The `font-family` written into badges: the bundled font first, so browsers that have it
/// match the PNG exactly, then look-alikes; `textLength` keeps the widths pinned either way.
pub(crate) const FONT_STACK: &str = "'DejaVu Sans',Verdana,Geneva,sans-serif";

/// A font database holding only the bundled faces.
///
/// Every generic family points at DejaVu Sans: usvg always appends `serif` to a text's
/// family list, and a generic family naming a font that is not loaded would make text
/// silently vanish.
fn database() -> fontdb::Database {
    let mut db = fontdb::Database::new();
    db.load_font_data(REGULAR.to_vec());
    db.load_font_data(BOLD.to_vec());
    assert_eq!(db.len(), 2, "the bundled DejaVu fonts parse");
    db.set_serif_family(FAMILY);
    db.set_sans_serif_family(FAMILY);
    db.set_monospace_family(FAMILY);
    db.set_cursive_family(FAMILY);
    db.set_fantasy_family(FAMILY);
    db
}

/// Parsing options shared by every measurement and rasterization.
///
/// Images are never resolved, neither data URLs nor paths: a badge has none, and an SVG
/// handed to [`crate::render::Renderer::png`] must not make the service read files.
pub(crate) fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: Arc::new(database()),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}
