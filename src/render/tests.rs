//! Tests across the renderer: every sample in every variant, fitting, measurement,
//! hostile input.

use std::io::Cursor;

use super::*;
use crate::verdict::demo_verdicts;

const VARIANTS: [Variant; 6] = [
    Variant {
        style: Style::Card,
        theme: Theme::Light,
    },
    Variant {
        style: Style::Card,
        theme: Theme::Dark,
    },
    Variant {
        style: Style::Card,
        theme: Theme::Auto,
    },
    Variant {
        style: Style::Compact,
        theme: Theme::Light,
    },
    Variant {
        style: Style::Compact,
        theme: Theme::Dark,
    },
    Variant {
        style: Style::Compact,
        theme: Theme::Auto,
    },
];

const CARD: Variant = Variant {
    style: Style::Card,
    theme: Theme::Light,
};

const COMPACT: Variant = Variant {
    style: Style::Compact,
    theme: Theme::Light,
};

fn sample(slug: &str) -> Verdict {
    demo_verdicts()
        .into_iter()
        .find(|v| v.slug.as_str() == slug)
        .expect("sample exists")
}

fn named(name: &str) -> Verdict {
    Verdict {
        name: name.to_owned(),
        ..sample("smolvlm-3b")
    }
}

/// The decoded pixels of a PNG, as 8-bit RGBA whatever its colour type.
fn png_pixels(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = ::png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(::png::Transformations::EXPAND | ::png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader.next_frame(&mut buf).expect("frame");
    buf.truncate(frame.buffer_size());
    buf
}

/// The colour type a PNG declares.
fn png_color(bytes: &[u8]) -> ::png::ColorType {
    let reader = ::png::Decoder::new(Cursor::new(bytes))
        .read_info()
        .expect("a valid PNG");
    reader.info().color_type
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let reader = ::png::Decoder::new(Cursor::new(bytes))
        .read_info()
        .expect("a valid PNG");
    (reader.info().width, reader.info().height)
}

/// Parses `svg` as XML and checks it holds only the elements and attributes a badge
/// uses: no scripts, handlers, links, or foreign content.
fn assert_safe_svg(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    assert!(!svg.to_ascii_lowercase().contains("<script"), "{svg}");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    // Unhinted text in browsers, as in the PNG.
    assert_eq!(root.attribute("text-rendering"), Some("geometricPrecision"));
    assert!(root.attribute("aria-label").is_some_and(|l| !l.is_empty()));
    assert!(root.children().any(|n| n.has_tag_name("title")));
    for node in doc.descendants().filter(|n| n.is_element()) {
        assert_eq!(
            node.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert!(
            ["svg", "title", "style", "rect", "path", "g", "text"]
                .contains(&node.tag_name().name()),
            "unexpected element {:?}",
            node.tag_name()
        );
        if node.has_tag_name("style") {
            // Only the dark scheme's colours: no imports, no URLs, no other at-rules.
            let css = node.text().unwrap_or("");
            assert!(
                css.starts_with("@media (prefers-color-scheme: dark){"),
                "{css}"
            );
            assert_eq!(css.matches('@').count(), 1, "{css}");
            assert!(!css.contains("url(") && !css.contains('\\'), "{css}");
        }
        for attr in node.attributes() {
            let name = attr.name().to_ascii_lowercase();
            assert!(
                !name.starts_with("on") && !name.contains("href"),
                "attribute {name}"
            );
            assert!(
                !attr.value().contains("url("),
                "external reference in {name}"
            );
        }
    }
    doc
}

/// Every text element's (x, x + textLength) span.
fn text_spans<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<(f32, f32, &'a str)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a| {
                n.attribute(a)
                    .and_then(|v: &str| v.parse::<f32>().ok())
                    .unwrap_or(f32::NAN)
            };
            let x = num("x");
            // Text that measured empty carries no textLength.
            let len = if n.attribute("textLength").is_some() {
                num("textLength")
            } else {
                0.0
            };
            (x, x + len, n.text().unwrap_or(""))
        })
        .collect()
}

#[test]
fn every_sample_renders_in_every_variant() {
    let r = Renderer::new();
    for v in demo_verdicts() {
        for variant in VARIANTS {
            let svg = r.badge_svg(&v, variant);
            let doc = assert_safe_svg(&svg);
            let root = doc.root_element();
            let width: f32 = root
                .attribute("width")
                .and_then(|w| w.parse().ok())
                .expect("width");
            let height: f32 = root
                .attribute("height")
                .and_then(|h| h.parse().ok())
                .expect("height");
            match variant.style {
                Style::Card => assert_eq!((width, height), (360.0, 90.0)),
                Style::Compact => assert_eq!(height, 20.0),
            }
            assert!(svg.contains(&v.name), "{svg}");
            for (x0, x1, text) in text_spans(&doc) {
                assert!(
                    x0 >= 0.0 && x1 <= width,
                    "{text:?} spans {x0}..{x1} of {width}"
                );
            }
            assert_safe_svg(&r.badge_svg_outlined(&v, variant));
            for scale in 1..=2u8 {
                let png = r.png(&svg, scale).expect("png renders");
                let s = u32::from(scale);
                assert_eq!(png_size(&png), (width as u32 * s, height as u32 * s));
                let fast = r
                    .badge_png(&v, variant, scale)
                    .expect("outlined png renders");
                assert_eq!(png_size(&fast), png_size(&png));
            }
        }
    }
}

#[test]
fn card_png_sizes_follow_scale() {
    let r = Renderer::new();
    let v = sample("smolvlm-3b");
    let svg = r.badge_svg(&v, Variant::default());
    assert_eq!(png_size(&r.png(&svg, 1).expect("scale 1")), (360, 90));
    assert_eq!(png_size(&r.png(&svg, 2).expect("scale 2")), (720, 180));
    assert_eq!(png_size(&r.png(&svg, 4).expect("scale 4")), (1440, 360));
    for bad in [0, 5, 255] {
        assert!(matches!(r.png(&svg, bad), Err(RenderError::Scale(s)) if s == bad));
        assert!(r.badge_png(&v, Variant::default(), bad).is_err());
    }
    assert!(matches!(r.png("not svg", 1), Err(RenderError::Svg(_))));
    assert!(
        r.png(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="9"/>"#,
            1
        )
        .is_err()
    );
}

#[test]
fn outlined_png_looks_like_the_text_png() {
    let r = Renderer::new();
    let v = sample("example-prompt-wrapper");
    for variant in VARIANTS {
        let decode = |bytes: Vec<u8>| png_pixels(&bytes);
        for scale in [1, 2, 3] {
            let a = decode(r.png(&r.badge_svg(&v, variant), scale).expect("text png"));
            // badge_png twice: the second time its text comes from the sprite cache.
            let others = [
                r.badge_png(&v, variant, scale).expect("badge png"),
                r.badge_png(&v, variant, scale).expect("badge png"),
                r.png(&r.badge_svg_outlined(&v, variant), scale)
                    .expect("outlined png"),
            ];
            for other in others.map(decode) {
                assert_eq!(a.len(), other.len());
                // Outlines are kept to 1/100 px, so edges may differ by a shade.
                let differing = a
                    .iter()
                    .zip(&other)
                    .filter(|(x, y)| x.abs_diff(**y) > 24)
                    .count();
                assert!(
                    differing * 1000 < a.len(),
                    "{differing} of {} bytes differ",
                    a.len()
                );
            }
        }
    }
}

#[test]
fn a_long_name_wraps_then_ellipsizes_inside_the_card() {
    let r = Renderer::new();
    let long = "Extraordinarily Verbose Tool Name ".repeat(4);
    let long: String = long.chars().take(120).collect();
    for variant in VARIANTS {
        let svg = r.badge_svg(&named(&long), variant);
        let doc = assert_safe_svg(&svg);
        let width: f32 = doc
            .root_element()
            .attribute("width")
            .and_then(|w| w.parse().ok())
            .expect("width");
        let margin = if variant.style == Style::Card {
            16.0
        } else {
            6.0
        };
        for (x0, x1, text) in text_spans(&doc) {
            assert!(
                x0 >= 0.0 && x1 <= width - margin + 0.01,
                "{text:?} spans {x0}..{x1}"
            );
        }
        if variant.style == Style::Card {
            let lines = name_lines(&doc, "");
            assert_eq!(lines.len(), 2, "{lines:?}");
            assert!(lines[0].0.starts_with("Extraordinarily") && !lines[0].0.ends_with('…'));
            assert!(lines[1].0.ends_with('…'), "{lines:?}");
            // usvg agrees that the rendered name ends inside the card.
            let tree = usvg::Tree::from_str(&svg, &r.opts).expect("parses");
            let bbox = tree.root().abs_bounding_box();
            assert!(bbox.right() <= 360.0 && bbox.left() >= 0.0, "{bbox:?}");
        }
    }
    // The accessible name keeps the whole name.
    assert!(
        r.badge_svg(&named(&long), Variant::default())
            .contains(&format!("aria-label=\"{long}:"))
    );
}

/// The card's name lines: bold text in the column at the name's sizes, as (text, size,
/// baseline), top first. `theme` picks nothing; it only names the caller's case.
fn name_lines(doc: &roxmltree::Document<'_>, _case: &str) -> Vec<(String, f32, f32)> {
    let name_fill = super::palette::Palette::of(Theme::Light).ink(super::palette::Ink::Name);
    let dark_fill = super::palette::Palette::of(Theme::Dark).ink(super::palette::Ink::Name);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter(|n| matches!(n.attribute("fill"), Some(f) if f == name_fill || f == dark_fill))
        .map(|n| {
            let num = |a: &str| {
                n.attribute(a)
                    .and_then(|v| v.parse::<f32>().ok())
                    .unwrap_or(f32::NAN)
            };
            (
                n.text().unwrap_or("").to_owned(),
                num("font-size"),
                num("y"),
            )
        })
        .collect()
}

/// The size of the card's tally line.
fn meta_size(doc: &roxmltree::Document<'_>) -> f32 {
    let muted = super::palette::Palette::of(Theme::Light).ink(super::palette::Ink::Muted);
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("fill") == Some(muted))
        .filter_map(|n| n.attribute("font-size")?.parse().ok())
        .next()
        .expect("a tally line")
}

#[test]
fn long_names_wrap_before_they_shrink_and_never_below_the_tally() {
    let r = Renderer::new();
    let cases = [
        ("SmolVLM-3B", 1),
        ("Example Prompt Wrapper", 2),
        ("Mistral 8x24B Mixture-of-Experts", 2),
        (
            "Mistral 8x22B Instruct v2 Open Source (Apache 2.0 weights)",
            2,
        ),
        (&*"Extraordinarily Verbose Tool Name ".repeat(4), 2),
        ("数据分析助手人工智能工具箱专业版本通义千问大模型", 2),
        (&*"W".repeat(60), 1),
    ];
    for (name, lines) in cases {
        let svg = r.badge_svg(&named(name), CARD);
        let doc = assert_safe_svg(&svg);
        let shown = name_lines(&doc, name);
        let meta = meta_size(&doc);
        assert_eq!(shown.len(), lines, "{name}: {shown:?}");
        for (text, size, _) in &shown {
            assert!(
                *size >= meta,
                "{name}: {text:?} at {size} px is below the tally's {meta} px"
            );
        }
        match shown.as_slice() {
            // The card's sizes: 22 px on one line, at most 16.5 px on two.
            [(_, size, _)] if lines == 1 && name.len() < 20 => assert_eq!(*size, 22.0, "{name}"),
            [(_, a, y1), (_, b, y2)] => {
                assert_eq!(a, b, "{name}: both lines one size");
                assert!(*a <= 16.5, "{name}");
                assert!(y2 - y1 >= *a, "{name}: lines {y1} and {y2} overlap");
            }
            _ => {}
        }
    }
}

#[test]
fn a_name_slightly_too_long_is_shrunk_not_cut() {
    let r = Renderer::new();
    let fitted = r.fit("Mistral 8x24B Mixture-of-Experts", true, 18.0, 12.0, 228.0);
    assert!(!fitted.text.ends_with('…'));
    assert!(fitted.size < 18.0 && fitted.width <= 228.0);
}

#[test]
fn measured_widths_match_usvg_layout() {
    let r = Renderer::new();
    let cases = [
        ("SmolVLM-3B", true, 18.0),
        ("3 ships · 1 skip · expert panel", false, 12.5),
        ("ShipOrSkip", false, 11.0),
        ("AVATAR Wavy ffi Té", false, 13.0),
        ("Ünïcödé naïve café", true, 15.0),
    ];
    for (text, bold, size) in cases {
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="50"><text x="10" y="30" font-family="DejaVu Sans" font-size="{size}" font-weight="{}">{text}</text></svg>"#,
            if bold { "bold" } else { "normal" }
        );
        let tree = usvg::Tree::from_str(&svg, &r.opts).expect("parses");
        let usvg::Node::Text(t) = &tree.root().children()[0] else {
            panic!("a text node")
        };
        // usvg's text bounding box is built from advances, not ink.
        let expected = t.bounding_box().width();
        let got = r.text_width(text, bold, size);
        assert!((got - expected).abs() <= 1.0, "{text}: {got} vs {expected}");
        assert!(got > 0.0);
    }
    // Kerning is applied: "AV" is narrower than "A" plus "V".
    let (a, v, av) = (
        r.text_width("A", false, 100.0),
        r.text_width("V", false, 100.0),
        r.text_width("AV", false, 100.0),
    );
    assert!(av < a + v - 1.0, "{av} vs {a} + {v}");
    assert_eq!(r.text_width("x", false, 0.0), 0.0);
    assert_eq!(r.text_width("x", false, f32::NAN), 0.0);
}

#[test]
fn measurements_are_cached_and_bounded() {
    let r = Renderer::new();
    let first = r.text_width("cached text", false, 12.0);
    let len = r.measurer.cache_len();
    assert_eq!(r.text_width("cached text", false, 12.0), first);
    assert_eq!(r.measurer.cache_len(), len);
}

#[test]
fn hostile_names_are_escaped() {
    let r = Renderer::new();
    let hostile = [
        r#"<script>alert(1)</script> & "q""#,
        "]]><!--",
        "--><svg onload=alert(1)>",
        "a'b\"c<d>e&f",
        "<![CDATA[x]]>",
        "&amp; &#x3c;",
        "<foreignObject><iframe src=x>",
    ];
    for name in hostile {
        for variant in VARIANTS {
            let svg = r.badge_svg(&named(name), variant);
            let doc = assert_safe_svg(&svg);
            // The name survives as text, exactly.
            if variant.style == Style::Card {
                // The name survives as text, exactly, on one line or two.
                let shown: String = name_lines(&doc, name)
                    .into_iter()
                    .map(|(t, _, _)| t)
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(
                    shown == name || shown.replace(' ', "") == name.replace(' ', ""),
                    "{name}: {shown:?}"
                );
            }
            assert!(r.badge_png(&named(name), variant, 1).is_ok());
            assert_safe_svg(&r.error_svg(name, variant));
        }
    }
}

#[test]
fn control_characters_are_stripped() {
    let r = Renderer::new();
    let svg = r.badge_svg(
        &named("Bad\u{0}\u{1b}[31mTool\u{7}\u{202E}\tX\u{FFFE}"),
        Variant::default(),
    );
    let doc = assert_safe_svg(&svg);
    assert!(
        !svg.chars()
            .any(|c| c.is_control() || c == '\u{202E}' || c == '\u{FFFE}')
    );
    assert!(
        text_spans(&doc)
            .iter()
            .any(|(_, _, t)| *t == "Bad[31mTool X")
    );
}

#[test]
fn any_script_renders_without_panic() {
    let r = Renderer::new();
    for name in [
        "Café Crème Brûlée",
        "数据分析助手 AI 工具",
        "مساعد الذكاء الاصطناعي",
        "🚀 Rocket 👩‍💻 Coder 🇫🇷",
        "Z̷a̷l̷g̷o̷ ̷t̷e̷x̷t̷",
        "שלום mixed עברית text",
        "\u{FE0F}\u{200D}",
        "   ",
    ] {
        if name.trim().is_empty() || name.starts_with('\u{FE0F}') {
            let svg = r.badge_svg(&named(name), Variant::default());
            assert!(svg.contains(">Unnamed tool</text>"), "{svg}");
        }
        let long = name.repeat(12);
        for n in [name, long.as_str()] {
            for variant in VARIANTS {
                let svg = r.badge_svg(&named(n), variant);
                let doc = assert_safe_svg(&svg);
                for (x0, x1, text) in text_spans(&doc) {
                    assert!(x0 >= 0.0 && x1 <= 360.0, "{text:?} spans {x0}..{x1}");
                }
                assert!(r.png(&svg, 1).is_ok(), "{n}");
                assert!(r.badge_png(&named(n), variant, 1).is_ok(), "{n}");
            }
        }
    }
}

#[test]
fn error_badges_have_the_badge_size_and_say_why() {
    let r = Renderer::new();
    for variant in VARIANTS {
        let svg = r.error_svg("unknown tool", variant);
        let doc = assert_safe_svg(&svg);
        assert!(
            text_spans(&doc)
                .iter()
                .any(|(_, _, t)| *t == "unknown tool")
        );
        let height = doc.root_element().attribute("height");
        assert_eq!(
            height,
            Some(if variant.style == Style::Card {
                "90"
            } else {
                "20"
            })
        );
        assert!(r.error_png("bad style", variant, 2).is_ok());
    }
}

#[test]
fn every_badge_says_the_ship_share_the_same_way() {
    let r = Renderer::new();
    for v in demo_verdicts() {
        let p = v.panel.ship_percent().expect("the samples have votes");
        let svg = r.badge_svg(&v, CARD);
        assert!(svg.contains(&format!(">{p}% ship</text>")), "{svg}");
        assert!(!svg.contains(&format!(">{p}%</text>")), "{svg}");
    }
    let v = sample("example-prompt-wrapper");
    let svg = r.badge_svg(&v, CARD);
    assert!(
        svg.contains(">SKIP</text>") && svg.contains(">25% ship</text>"),
        "{svg}"
    );
    assert!(svg.contains(
        "aria-label=\"Example Prompt Wrapper: Skip, 25% of the expert panel voted ship — ShipOrSkip\""
    ));
    assert!(svg.contains(">EXPERT PANEL VERDICT</text>"), "{svg}");
    let compact = r.badge_svg(&v, COMPACT);
    assert!(compact.contains(">Skip 3–1</text>"), "{compact}");
}

/// The d attributes of the stroked paths made of straight lines only: the ✓ and ✗.
fn marks(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("xml");
    doc.descendants()
        .filter(|n| n.has_tag_name("path") && n.attribute("stroke-linecap") == Some("round"))
        .filter(|n| n.attribute("fill") == Some("none"))
        .filter_map(|n| n.attribute("d").map(str::to_owned))
        .filter(|d| d.chars().all(|c| c.is_ascii_digit() || " .-ML".contains(c)))
        .collect()
}

/// Mean luminance (0..1) of the PNG's pixels in the box, ignoring hue.
fn mean_luminance(png: &[u8], (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
    let (w, _) = png_size(png);
    let px = png_pixels(png);
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * w + x) * 4) as usize;
            let hex = format!("#{:02x}{:02x}{:02x}", px[i], px[i + 1], px[i + 2]);
            sum += super::palette::tests::luminance(&hex);
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn ship_and_skip_differ_in_shape_and_lightness_not_only_hue() {
    let r = Renderer::new();
    let ship = sample("smolvlm-3b");
    let skip = sample("example-prompt-wrapper");
    for variant in VARIANTS {
        let (a, b) = (
            marks(&r.badge_svg(&ship, variant)),
            marks(&r.badge_svg(&skip, variant)),
        );
        // A ✓ is one stroke (one M), a ✗ two.
        assert_eq!(a.len(), 1, "{variant:?}: {a:?}");
        assert_eq!(b.len(), 1, "{variant:?}: {b:?}");
        assert_eq!(a[0].matches('M').count(), 1, "{variant:?} ✓: {}", a[0]);
        assert_eq!(b[0].matches('M').count(), 2, "{variant:?} ✗: {}", b[0]);
        // The same marks in the PNG's drawing (outlined SVG).
        assert_eq!(marks(&r.badge_svg_outlined(&ship, variant)), a);
    }
    // In grey too the stamps differ: a solid Ship stamp against an outlined Skip one
    // (darker on white, lighter on the dark card).
    for theme in [Theme::Light, Theme::Dark] {
        let variant = Variant {
            style: Style::Card,
            theme,
        };
        let stamp = (20, 20, 94, 70);
        let a = mean_luminance(&r.badge_png(&ship, variant, 1).unwrap(), stamp);
        let b = mean_luminance(&r.badge_png(&skip, variant, 1).unwrap(), stamp);
        let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
        assert!(ratio >= 2.0, "{theme:?}: ship {a:.3} vs skip {b:.3}");
    }
}

#[test]
fn auto_carries_both_palettes_and_switches_with_a_media_query() {
    let r = Renderer::new();
    for slug in ["smolvlm-3b", "example-prompt-wrapper"] {
        let v = sample(slug);
        for style in [Style::Card, Style::Compact] {
            let at = |theme| r.badge_svg(&v, Variant { style, theme });
            let (auto, light, dark) = (at(Theme::Auto), at(Theme::Light), at(Theme::Dark));
            assert_safe_svg(&auto);
            let style_start = auto.find("<style>").expect("a style element");
            let style_end = auto.find("</style>").expect("closed") + "</style>".len();
            let css = &auto[style_start..style_end];
            assert!(
                css.starts_with("<style>@media (prefers-color-scheme: dark){"),
                "{css}"
            );
            // Without its classes and style rule, auto is exactly the light badge.
            let mut plain = format!("{}{}", &auto[..style_start], &auto[style_end..]);
            while let Some(i) = plain.find(" class=\"") {
                let end = i + 8 + plain[i + 8..].find('"').expect("closed") + 1;
                plain.replace_range(i..end, "");
            }
            assert_eq!(plain, light, "{slug} {style}");
            // Every colour of the dark badge is in the rule, and the rule has no others.
            let colours = |s: &str| {
                let mut c: Vec<String> = s
                    .match_indices('#')
                    .map(|(i, _)| s[i..i + 7].to_owned())
                    .collect();
                c.sort();
                c.dedup();
                c
            };
            let dark_colours = colours(&dark);
            assert_eq!(colours(css), dark_colours, "{slug} {style}");
        }
    }
}

#[test]
fn an_auto_png_is_the_light_png() {
    let r = Renderer::new();
    let v = sample("example-prompt-wrapper");
    for style in [Style::Card, Style::Compact] {
        let light = Variant {
            style,
            theme: Theme::Light,
        };
        let auto = Variant {
            style,
            theme: Theme::Auto,
        };
        for scale in [1, 2] {
            assert_eq!(
                r.badge_png(&v, auto, scale).unwrap(),
                r.badge_png(&v, light, scale).unwrap()
            );
        }
        // Rasterizing the auto SVG itself (as `render --format png` does) gives the
        // light pixels too: resvg skips the media rule.
        let a = png_pixels(&r.png(&r.badge_svg(&v, auto), 1).unwrap());
        let b = png_pixels(&r.png(&r.badge_svg(&v, light), 1).unwrap());
        assert!(a == b, "{style}: the auto SVG rasterizes differently");
    }
    assert_eq!(
        r.error_png(
            "unknown tool",
            Variant {
                style: Style::Card,
                theme: Theme::Auto
            },
            1
        )
        .unwrap(),
        r.error_png("unknown tool", CARD, 1).unwrap()
    );
}

#[test]
fn no_panel_votes_reads_without_a_percent() {
    let r = Renderer::new();
    let mut v = sample("smolvlm-3b");
    v.panel = crate::verdict::Votes::default();
    let svg = r.badge_svg(&v, Variant::default());
    assert_safe_svg(&svg);
    assert!(
        !svg.contains('%') && svg.contains("no expert panel votes yet"),
        "{svg}"
    );
}

#[test]
fn parse_and_as_str_round_trip() {
    for s in [Style::Card, Style::Compact] {
        assert_eq!(Style::parse(s.as_str()), Ok(s));
    }
    for t in [Theme::Light, Theme::Dark, Theme::Auto] {
        assert_eq!(Theme::parse(t.as_str()), Ok(t));
    }
    assert!(Style::parse("huge").unwrap_err().contains("card"));
    assert!(Theme::parse("blue").unwrap_err().contains("auto"));
    assert_eq!(Theme::Auto.for_raster(), Theme::Light);
    assert_eq!(Theme::Dark.for_raster(), Theme::Dark);
    assert_eq!(
        Variant::default(),
        Variant {
            style: Style::Card,
            theme: Theme::Light
        }
    );
}

#[test]
fn renderer_is_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Renderer>();
}

/// A badge PNG as the service draws it: the verdict badge or the error badge.
fn draw_png(r: &Renderer, v: &Verdict, error: bool, variant: Variant, scale: u8) -> Vec<u8> {
    if error {
        r.error_png("unknown tool", variant, scale)
    } else {
        r.badge_png(v, variant, scale)
    }
    .expect("renders")
}

#[test]
fn badge_pngs_are_exact_palette_images_of_the_rgba_render() {
    let r = Renderer::new();
    for slug in ["smolvlm-3b", "example-prompt-wrapper"] {
        let v = sample(slug);
        for variant in VARIANTS {
            for scale in png::SCALES {
                for error in [false, true] {
                    let case = format!("{slug} {variant:?} @{scale} error: {error}");
                    let rgba = encode::rgba_only(|| draw_png(&r, &v, error, variant, scale));
                    assert_eq!(png_color(&rgba), ::png::ColorType::Rgba, "{case}");
                    let pixels = png_pixels(&rgba);
                    let cold = draw_png(&r, &v, error, variant, scale);
                    assert_eq!(png_color(&cold), ::png::ColorType::Indexed, "{case}");
                    assert!(png_pixels(&cold) == pixels, "{case}: cold pixels differ");
                    assert!(cold.len() < rgba.len(), "{case}");
                    let warm = super::recompress_png(&cold).expect("re-encodes");
                    assert_eq!(png_color(&warm), ::png::ColorType::Indexed, "{case}");
                    assert!(png_pixels(&warm) == pixels, "{case}: warm pixels differ");
                    assert!(warm.len() < cold.len(), "{case}");
                }
            }
        }
    }
}

/// The sample card (26,132 B cold and 14,061 B re-encoded as RGBA) in both themes. The
/// byte counts are deterministic for a given build; a longer name makes more edges and
/// more bytes (BENCHMARKS.md, "PNG bytes").
#[test]
fn a_scale_2_card_is_at_most_10_000_bytes_cold_and_7_500_re_encoded() {
    let r = Renderer::new();
    for theme in [Theme::Light, Theme::Dark] {
        let variant = Variant {
            style: Style::Card,
            theme,
        };
        let cold = r
            .badge_png(&sample("smolvlm-3b"), variant, 2)
            .expect("renders");
        let warm = super::recompress_png(&cold).expect("re-encodes");
        assert!(cold.len() <= 10_000, "{theme}: {} B cold", cold.len());
        assert!(warm.len() <= 7_500, "{theme}: {} B warm", warm.len());
    }
}

#[test]
fn an_image_of_more_than_256_colours_stays_rgba_and_lossless() {
    let r = Renderer::new();
    // A gradient under a translucent one: thousands of colours, some translucent.
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">
        <defs>
          <linearGradient id="a"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
          <linearGradient id="b" x2="0" y2="1"><stop offset="0" stop-color="#0f0" stop-opacity="0"/><stop offset="1" stop-color="#ff0" stop-opacity=".8"/></linearGradient>
        </defs>
        <rect width="300" height="30" fill="url(#a)"/>
        <rect y="10" width="300" height="30" fill="url(#b)"/>
      </svg>"##;
    let tree = usvg::Tree::from_str(svg, &r.opts).expect("parses");
    for scale in [1, 2] {
        // The reference: resvg's own render of the SVG, demultiplied.
        let factor = f32::from(scale);
        let mut pixmap =
            tiny_skia::Pixmap::new(300 * u32::from(scale), 40 * u32::from(scale)).expect("size");
        let at = tiny_skia::Transform::from_scale(factor, factor);
        resvg::render(&tree, at, &mut pixmap.as_mut());
        let expected: Vec<u8> = pixmap
            .pixels()
            .iter()
            .flat_map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect();
        let distinct: std::collections::HashSet<&[u8]> = expected.chunks_exact(4).collect();
        assert!(distinct.len() > 256, "{} colours", distinct.len());
        let cold = r.png(svg, scale).expect("renders");
        assert_eq!(png_color(&cold), ::png::ColorType::Rgba);
        assert!(
            png_pixels(&cold) == expected,
            "@{scale}: cold pixels differ"
        );
        let warm = super::recompress_png(&cold).expect("re-encodes");
        assert_eq!(png_color(&warm), ::png::ColorType::Rgba);
        assert!(
            png_pixels(&warm) == expected,
            "@{scale}: warm pixels differ"
        );
    }
}

/// Prints the bytes of every badge PNG, RGBA (as before palettes) and palette, first
/// encoded and re-encoded. Run with
/// `cargo test --release --lib png_bytes_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn png_bytes_table() {
    let r = Renderer::new();
    println!("| badge | scale | colours | RGBA cold | RGBA warm | palette cold | palette warm |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for slug in ["smolvlm-3b", "example-prompt-wrapper"] {
        let v = sample(slug);
        for variant in VARIANTS {
            for scale in png::SCALES {
                let rgba = encode::rgba_only(|| {
                    let cold = draw_png(&r, &v, false, variant, scale);
                    let warm = super::recompress_png(&cold).expect("re-encodes");
                    (cold, warm)
                });
                let cold = draw_png(&r, &v, false, variant, scale);
                let warm = super::recompress_png(&cold).expect("re-encodes");
                let pixels = png_pixels(&cold);
                let colours: std::collections::HashSet<&[u8]> = pixels.chunks_exact(4).collect();
                println!(
                    "| {slug} {} {} | {scale} | {} | {} | {} | {} | {} |",
                    variant.style,
                    variant.theme,
                    colours.len(),
                    rgba.0.len(),
                    rgba.1.len(),
                    cold.len(),
                    warm.len(),
                );
            }
        }
    }
}

/// Text drawn from the sprite cache has the very pixels of its outlines filled in
/// place (as at scales 3 and 4), so a badge's edges come in one set of shades.
#[test]
fn cached_text_has_the_pixels_of_text_filled_in_place() {
    let r = Renderer::new();
    for (slug, error) in [
        ("smolvlm-3b", false),
        ("example-prompt-wrapper", false),
        ("x", true),
    ] {
        let content = if error {
            content::Content::error("unknown tool")
        } else {
            content::Content::verdict(&sample(slug))
        };
        for variant in VARIANTS {
            let variant = Variant {
                theme: variant.theme.for_raster(),
                ..variant
            };
            let (shapes, runs) = r
                .draw(&content, variant, svg::TextMode::Deferred)
                .finish_with_runs();
            let tree = usvg::Tree::from_str(&shapes, &r.opts).expect("parses");
            for scale in [1, 2] {
                let factor = f32::from(scale);
                let size = tree.size();
                let mut filled = tiny_skia::Pixmap::new(
                    (size.width() * factor).ceil() as u32,
                    (size.height() * factor).ceil() as u32,
                )
                .expect("size");
                let at = tiny_skia::Transform::from_scale(factor, factor);
                resvg::render(&tree, at, &mut filled.as_mut());
                let mut cached = filled.clone();
                for run in &runs {
                    png::draw_run(&mut filled, run, scale, None);
                    png::draw_run(&mut cached, run, scale, Some(&r.sprites));
                }
                assert!(
                    filled.data() == cached.data(),
                    "{slug} {variant:?} @{scale}: cached text differs"
                );
            }
        }
    }
}
