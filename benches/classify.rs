//! How long telling a reader from a bot takes, on the hot path of every badge load.
//!
//!     cargo bench --bench classify
//!
//! `Rules::classify` for a browser's User-Agent seen before (the common case: a
//! reader's browser sends the same agent for every badge) and seen for the first time
//! (a cache miss: the browser-shape check and the bot patterns run).

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, header};
use std::hint::black_box;
use verdict_badges::tally::rules::Rules;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn with_agent(agent: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::USER_AGENT, HeaderValue::from_str(agent).unwrap());
    h
}

fn classify(c: &mut Criterion) {
    let rules = Rules::new();
    let chrome = with_agent(CHROME);
    c.bench_function("classify: a browser seen before", |b| {
        b.iter(|| rules.classify(&Method::GET, black_box(&chrome)))
    });
    // More distinct agents than the verdict cache holds: nearly every one is a miss.
    let unseen: Vec<HeaderMap> = (0..50_000)
        .map(|i| {
            with_agent(&format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/131.0.{i}.0 Safari/537.36"
            ))
        })
        .collect();
    let mut next = 0;
    c.bench_function("classify: a browser seen for the first time", |b| {
        b.iter(|| {
            next = (next + 1) % unseen.len();
            rules.classify(&Method::GET, black_box(&unseen[next]))
        })
    });
}

criterion_group!(benches, classify);
criterion_main!(benches);
