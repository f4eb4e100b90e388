//! Writes example share cards: `cargo run --example share_cards [-- OUT_DIR]`.
//!
//! Without arguments it regenerates the share cards the README shows, in `docs/badges/`:
//! the 1200×630 card of a Ship sample in the light and the dark theme, and of a Skip
//! sample in the light theme, each re-encoded as the service re-encodes a hot card.

use std::path::PathBuf;

use verdict_badges::render::{Renderer, Theme, recompress_png};
use verdict_badges::verdict::{Verdict, demo_verdicts};

fn sample(slug: &str) -> Verdict {
    demo_verdicts()
        .into_iter()
        .find(|v| v.slug.as_str() == slug)
        .unwrap_or_else(|| panic!("no sample {slug}"))
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("docs")
                .join("badges")
        });
    std::fs::create_dir_all(&dir).expect("the output directory");
    let r = Renderer::new();
    for (slug, theme) in [
        ("smolvlm-3b", Theme::Light),
        ("smolvlm-3b", Theme::Dark),
        ("example-prompt-wrapper", Theme::Light),
    ] {
        let png = r
            .share_card_png(&sample(slug), theme)
            .expect("the share card renders");
        // As the service sends a card once it is hot: re-encoded thoroughly, same pixels.
        let png = recompress_png(&png).expect("re-encodes");
        let path = dir.join(format!("{slug}-share-{theme}.png"));
        std::fs::write(&path, &png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        println!("{} ({} bytes)", path.display(), png.len());
    }
}
