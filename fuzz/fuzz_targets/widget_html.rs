//! The widget's HTML escaping: whatever the verdict says, the page holds only the
//! template's own elements, and no script.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::LazyLock;
use verdict_badges::http::widget::widget_html;
use verdict_badges::render::Theme;
use verdict_badges::verdict::Verdict;

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    tagline: String,
    category: String,
    pricing: String,
    roles: Vec<String>,
    dark: bool,
}

/// Every `<tag` in a page.
fn tags(html: &str) -> BTreeSet<String> {
    html.match_indices('<')
        .map(|(i, _)| {
            html[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect()
}

/// The tags of the template itself, from a benign verdict.
static TEMPLATE_TAGS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let record = json!({
        "slug": "benign", "name": "Benign", "tagline": "t", "category": "c", "pricing": "p",
        "verdict": "ship", "panel": {"ship": 3, "skip": 1}, "community": {"ship": 1, "skip": 1},
        "reviews": [{"role": "Builder", "verdict": "ship", "score": 80}, {"role": "Skeptic", "verdict": "skip"}],
        "updated_at": "2026-11-20T09:00:00Z",
    });
    let v = Verdict::from_json(&record).unwrap();
    let mut all = tags(&widget_html(&v, Theme::Light, "/api/badge-click/benign").unwrap());
    all.extend(tags(&widget_html(&v, Theme::Dark, "/api/badge-click/benign").unwrap()));
    all
});

fuzz_target!(|input: Input| {
    let reviews: Vec<_> = input
        .roles
        .iter()
        .take(10)
        .map(|role| json!({"role": role, "verdict": "skip"}))
        .collect();
    let record = json!({
        "slug": "fuzzed", "name": input.name, "tagline": input.tagline,
        "category": input.category, "pricing": input.pricing, "verdict": "skip",
        "panel": {"ship": 1, "skip": 3}, "reviews": reviews, "updated_at": "2026-11-20T09:00:00Z",
    });
    let Ok(v) = Verdict::from_json(&record) else {
        return;
    };
    let theme = if input.dark { Theme::Dark } else { Theme::Light };
    let html = widget_html(&v, theme, "/api/badge-click/fuzzed").expect("the widget renders");
    let found = tags(&html);
    assert!(found.is_subset(&TEMPLATE_TAGS), "foreign tags: {:?}", found.difference(&TEMPLATE_TAGS));
    assert!(!html.to_ascii_lowercase().contains("<script"));
});
