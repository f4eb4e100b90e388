//! SVG rendering with arbitrary strings in every field: the output parses as XML,
//! holds no script, event handler or foreign element, and rasterizes without a panic.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::sync::LazyLock;
use verdict_badges::render::{Renderer, Style, Theme, Variant};
use verdict_badges::verdict::Verdict;

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    tagline: String,
    category: String,
    pricing: String,
    role: String,
    ship: u8,
    skip: u8,
    skip_verdict: bool,
    score: Option<u8>,
    reason: String,
    compact: bool,
    dark: bool,
}

const ALLOWED: &[&str] = &[
    "svg", "title", "desc", "g", "rect", "path", "text", "tspan", "linearGradient", "stop",
    "clipPath", "defs", "circle", "line", "mask",
];

fn check(svg: &str) {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert!(!svg.to_ascii_lowercase().contains("<script"));
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name();
        assert_eq!(tag.namespace(), Some("http://www.w3.org/2000/svg"), "{svg}");
        assert!(ALLOWED.contains(&tag.name()), "unexpected element {}", tag.name());
        for attr in node.attributes() {
            let name = attr.name().to_ascii_lowercase();
            assert!(!name.starts_with("on"), "event handler {name}");
            // Text may say anything (aria-label repeats the name); nothing may link or load.
            assert!(!matches!(name.as_str(), "href" | "src" | "style"), "attribute {name}");
        }
    }
}

fuzz_target!(|input: Input| {
    let variant = Variant {
        style: if input.compact { Style::Compact } else { Style::Card },
        theme: if input.dark { Theme::Dark } else { Theme::Light },
    };
    let record = json!({
        "slug": "fuzzed-tool", "name": input.name, "tagline": input.tagline,
        "category": input.category, "pricing": input.pricing,
        "verdict": if input.skip_verdict { "skip" } else { "ship" },
        "panel": { "ship": input.ship % 51, "skip": input.skip % 51 },
        "reviews": [{ "role": input.role, "verdict": "ship", "score": input.score.map(|s| s % 101) }],
        "updated_at": "2026-11-20T09:00:00Z",
    });
    if let Ok(verdict) = Verdict::from_json(&record) {
        let svg = RENDERER.badge_svg(&verdict, variant);
        check(&svg);
        RENDERER.png(&svg, 1).expect("a badge SVG rasterizes");
        RENDERER.badge_png(&verdict, variant, 1).expect("a badge rasterizes");
    }
    let error = RENDERER.error_svg(&input.reason, variant);
    check(&error);
});
