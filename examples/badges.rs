//! Writes example badges: `cargo run --example badges [-- OUT_DIR [NAME…]]`.
//!
//! Without arguments it regenerates the images the README shows, in `docs/badges/`:
//! every style in every theme for a Ship and a Skip sample, as SVG and as PNG at scale
//! 2, plus `auto` SVGs. With names, it draws each as a card and a compact badge into
//! OUT_DIR with a `sheet.html` that shows them side by side, for looking at layouts.

use std::path::PathBuf;

use verdict_badges::render::{Renderer, Style, Theme, Variant};
use verdict_badges::verdict::{Verdict, demo_verdicts};

/// The samples the README shows: a Ship and a Skip.
const SAMPLES: [&str; 2] = ["smolvlm-3b", "example-prompt-wrapper"];

fn sample(slug: &str) -> Verdict {
    demo_verdicts()
        .into_iter()
        .find(|v| v.slug.as_str() == slug)
        .unwrap_or_else(|| panic!("no sample {slug}"))
}

fn write(path: PathBuf, bytes: &[u8]) {
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("{}", path.display());
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("badges")
    });
    let names: Vec<String> = args.collect();
    std::fs::create_dir_all(&dir).expect("the output directory");
    let r = Renderer::new();

    if names.is_empty() {
        for slug in SAMPLES {
            let v = sample(slug);
            for style in [Style::Card, Style::Compact] {
                for theme in [Theme::Light, Theme::Dark, Theme::Auto] {
                    let variant = Variant { style, theme };
                    let stem = format!("{slug}-{style}-{theme}");
                    write(
                        dir.join(format!("{stem}.svg")),
                        r.badge_svg(&v, variant).as_bytes(),
                    );
                    // An auto PNG is the light one; the README shows that one.
                    if theme != Theme::Auto {
                        let png = r.badge_png(&v, variant, 2).expect("renders");
                        write(dir.join(format!("{stem}.png")), &png);
                    }
                }
            }
        }
        return;
    }

    let mut sheet = String::from(
        "<!doctype html><meta charset=utf-8><style>body{margin:0;font:12px sans-serif}\
         .t{display:flex;gap:16px;padding:12px;flex-wrap:wrap}.light{background:#f6f8fa}.dark{background:#0d1117}\
         img{display:block}</style>",
    );
    for theme in [Theme::Light, Theme::Dark] {
        sheet.push_str(&format!("<div class='t {theme}'>"));
        for (i, name) in names.iter().enumerate() {
            let mut v = sample(SAMPLES[i % 2]);
            v.name = name.clone();
            for style in [Style::Card, Style::Compact] {
                let variant = Variant { style, theme };
                let stem = format!("{i}-{style}-{theme}");
                write(
                    dir.join(format!("{stem}.svg")),
                    r.badge_svg(&v, variant).as_bytes(),
                );
                let png = r.badge_png(&v, variant, 2).expect("renders");
                write(dir.join(format!("{stem}.png")), &png);
                let height = if style == Style::Card { 90 } else { 20 };
                sheet.push_str(&format!(
                    "<div><img src='{stem}.svg'><img src='{stem}.png' height={height}></div>"
                ));
            }
        }
        sheet.push_str("</div>");
    }
    write(dir.join("sheet.html"), sheet.as_bytes());
}
