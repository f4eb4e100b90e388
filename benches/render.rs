//! Badge rendering speed.
//!
//! "Cold" means no rendered-badge cache: every iteration calls the renderer and builds
//! the badge from the verdict (or rasterizes from the SVG string). The renderer's text
//! measurement cache IS warm — it is filled by the first iteration, as it is in a
//! running service after the first request for a tool.
//!
//! The `*_new_tool` benches are the first badge of a tool never drawn before: every
//! iteration names a new tool, so its name is laid out (and for a PNG, drawn) afresh;
//! only the runs every badge shares (stamp, tally, brand) come from the renderer's caches.
//! `*_new_tool` names are ASCII ("Tool number 17"); `*_new_tool_any_script` names take
//! turns through every script the bundled fonts cover, emoji included.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use verdict_badges::render::{Renderer, Style, Theme, Variant, recompress_png};
use verdict_badges::verdict::{Verdict, demo_verdicts};

fn sample() -> Verdict {
    demo_verdicts()
        .into_iter()
        .find(|v| v.slug.as_str() == "smolvlm-3b")
        .expect("sample verdict")
}

/// Verdicts like `base` for tools never drawn before: each call names a new one.
fn new_tools(base: &Verdict) -> impl FnMut() -> Verdict + '_ {
    let mut n = 0_u64;
    move || {
        n += 1;
        Verdict {
            name: format!("Tool number {n}"),
            ..base.clone()
        }
    }
}

/// A name in each script the bundled fonts cover.
const SCRIPT_NAMES: [&str; 12] = [
    "Café Crème",
    "Ελληνικός Βοηθός",
    "Яндекс ГигаЧат",
    "مساعد الذكاء",
    "עוזר בינה",
    "通义千问",
    "語音助手",
    "ひらがなカタカナ",
    "클로바노트",
    "हिन्दी सहायक",
    "ผู้ช่วยภาษาไทย",
    "Ollama 🦙 👩‍💻",
];

/// Verdicts like `base` for never-drawn tools whose names take turns through
/// [`SCRIPT_NAMES`].
fn new_tools_any_script(base: &Verdict) -> impl FnMut() -> Verdict + '_ {
    let mut n = 0_usize;
    move || {
        n += 1;
        Verdict {
            name: format!("{} {n}", SCRIPT_NAMES[n % SCRIPT_NAMES.len()]),
            ..base.clone()
        }
    }
}

const CARD: Variant = Variant {
    style: Style::Card,
    theme: Theme::Light,
};
const COMPACT: Variant = Variant {
    style: Style::Compact,
    theme: Theme::Light,
};

fn svg(c: &mut Criterion) {
    let r = Renderer::new();
    let v = sample();
    c.bench_function("svg_card_cold", |b| {
        b.iter(|| r.badge_svg(black_box(&v), CARD))
    });
    c.bench_function("svg_compact_cold", |b| {
        b.iter(|| r.badge_svg(black_box(&v), COMPACT))
    });
    let mut tools = new_tools(&v);
    c.bench_function("svg_card_new_tool", |b| {
        b.iter_batched(
            &mut tools,
            |fresh| r.badge_svg(&fresh, CARD),
            BatchSize::SmallInput,
        )
    });
    let mut tools = new_tools_any_script(&v);
    c.bench_function("svg_card_new_tool_any_script", |b| {
        b.iter_batched(
            &mut tools,
            |fresh| r.badge_svg(&fresh, CARD),
            BatchSize::SmallInput,
        )
    });
}

fn png(c: &mut Criterion) {
    let r = Renderer::new();
    let v = sample();
    // What the service does for a PNG: build the outlined SVG, then rasterize it.
    for (name, scale) in [("png_card_scale1_cold", 1), ("png_card_scale2_cold", 2)] {
        c.bench_function(name, |b| b.iter(|| r.badge_png(black_box(&v), CARD, scale)));
    }
    let mut tools = new_tools(&v);
    for (name, scale) in [
        ("png_card_scale1_new_tool", 1),
        ("png_card_scale2_new_tool", 2),
    ] {
        c.bench_function(name, |b| {
            b.iter_batched(
                &mut tools,
                |fresh| r.badge_png(&fresh, CARD, scale),
                BatchSize::SmallInput,
            )
        });
    }
    let mut tools = new_tools_any_script(&v);
    c.bench_function("png_card_scale2_new_tool_any_script", |b| {
        b.iter_batched(
            &mut tools,
            |fresh| r.badge_png(&fresh, CARD, 2),
            BatchSize::SmallInput,
        )
    });
    // For comparison: rasterizing the served SVG, which shapes its text again.
    let text_svg = r.badge_svg(&v, CARD);
    for (name, scale) in [
        ("png_card_scale1_from_text_svg", 1),
        ("png_card_scale2_from_text_svg", 2),
    ] {
        c.bench_function(name, |b| b.iter(|| r.png(black_box(&text_svg), scale)));
    }
    // The thorough re-encoding a hot badge gets in the background, off the request path.
    let cold = r.badge_png(&v, CARD, 2).expect("renders");
    c.bench_function("png_card_scale2_reencode", |b| {
        b.iter(|| recompress_png(black_box(&cold)))
    });
}

/// The 1200×630 share card (`/api/card/{slug}.png`): cold as above (no rendered-card
/// cache; text layouts and the card's shared text runs warm), and for a tool never
/// drawn before.
fn share(c: &mut Criterion) {
    let r = Renderer::new();
    let v = sample();
    c.bench_function("share_card_cold", |b| {
        b.iter(|| r.share_card_png(black_box(&v), Theme::Light))
    });
    let mut tools = new_tools(&v);
    c.bench_function("share_card_new_tool", |b| {
        b.iter_batched(
            &mut tools,
            |fresh| r.share_card_png(&fresh, Theme::Light),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, svg, png, share);
criterion_main!(benches);
