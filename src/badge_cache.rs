//! Finished badge bytes, kept in memory so a hot badge is never rendered twice.
//!
//! Entries are keyed by the tool, its verdict's fingerprint and the variant, so
//! a changed verdict misses the cache by construction (no invalidation needed),
//! and the cache is bounded by bytes through a weigher.
//!
//! A PNG is first encoded fast, so a cold badge answers quickly. When it is asked for
//! again it has proved to be hot, and one background task at a time re-encodes it
//! thoroughly (a quarter fewer bytes, the same pixels: a scale-2 card goes from 8.9 KB to
//! 6.8 KB); later responses send that. Its weak ETag names the pixels, so it stays the
//! same across the swap and a client holding either body revalidates.

use crate::catalog::Entry;
use crate::metrics::{Metrics, NameLabel};
use crate::render::{
    Format, RENDERER_VERSION, RenderError, Renderer, SHARE_VERSION, Scale, Style, Theme, Variant,
    recompress_png,
};
use crate::verdict::Slug;
use axum::http::HeaderValue;
use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Why a badge could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    /// The renderer refused the input.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The rendering task panicked or was cancelled.
    #[error("rendering crashed: {0}")]
    Crashed(String),
}

/// What is drawn: a tool's verdict, or an error message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Subject {
    Tool {
        slug: Slug,
        fingerprint: u64,
    },
    Error(&'static str),
    /// A tool's share card (1200×630 PNG).
    Share {
        slug: Slug,
        fingerprint: u64,
    },
    /// A share card saying what is wrong.
    ShareError(&'static str),
}

/// The key part of every share card: one PNG size, a theme.
fn share_variant(theme: Theme) -> (Variant, Format) {
    let variant = Variant {
        style: Style::Card,
        theme: theme.for_raster(),
    };
    (
        variant,
        Format::Png {
            scale: Scale::ALL[0],
        },
    )
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    subject: Subject,
    variant: Variant,
    format: Format,
}

/// A rendered badge, ready to send.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The image bytes.
    pub body: Bytes,
    /// Validator for `ETag`, quoted and ready to send: strong for an SVG, weak (`W/"…"`)
    /// for a PNG, whose bytes change when it is re-encoded but whose pixels never do.
    pub etag: HeaderValue,
    /// `Content-Length` of `body`, ready to send (formatted once, not per response).
    pub length: HeaderValue,
    /// Whether a PNG's bytes are final (re-encoded, or not worth it).
    settled: bool,
}

/// What keeping one badge costs beyond its bytes, so that the byte budget is the memory
/// the cache holds.
///
/// A cached badge takes a slot in quick_cache's slab (its key, its [`Rendered`] and the
/// links: ~180 bytes), and the slab is a vector that grows by doubling and also holds the
/// recently evicted keys (ghosts) in slots of the same size; the ETag and the
/// `Content-Length` are one small allocation each, and the body's shared header another
/// once it is cloned. Weighed at 128 bytes, a 64 MiB budget (67.1 MB) held 78–81 MB of
/// heap in the heap profiles of `benches/rss.sh`; at 384 it holds 70.7 MB (BENCHMARKS.md,
/// "Third pass").
const BOOKKEEPING: usize = 384;

/// What a cached badge weighs against the cache's byte budget.
#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, Rendered> for Weigh {
    fn weight(&self, key: &Key, value: &Rendered) -> u64 {
        let key_bytes = match &key.subject {
            Subject::Tool { slug, .. } | Subject::Share { slug, .. } => slug.as_str().len(),
            Subject::Error(_) | Subject::ShareError(_) => 0,
        };
        // Bytes of the image (allocated to its exact length) plus the key and the
        // bookkeeping around it.
        (value.body.len() + value.etag.len() + value.length.len() + key_bytes + BOOKKEEPING) as u64
    }
}

/// The store of finished badges, holding at most `max_bytes` by [`Weigh`].
fn store(max_bytes: u64) -> quick_cache::sync::Cache<Key, Rendered, Weigh> {
    // The estimate sizes the cache's tables up front; badges average a few kilobytes.
    let estimated_entries = (max_bytes / 4096).clamp(64, 1 << 20) as usize;
    quick_cache::sync::Cache::with_weighter(estimated_entries, max_bytes, Weigh)
}

/// The render cache in front of the [`Renderer`].
pub struct BadgeCache {
    renderer: Arc<Renderer>,
    /// quick_cache rather than moka: a hit is one foldhash and a shard's read lock, under a
    /// third of moka's cost (which records every read for its eviction policy), with a
    /// scan-resistant policy (S3-FIFO) and less bookkeeping per entry.
    cache: Arc<quick_cache::sync::Cache<Key, Rendered, Weigh>>,
    metrics: Arc<Metrics>,
    /// The `render_cache` hit and miss counters, taken from their family at first use.
    hits: OnceLock<Counter>,
    misses: OnceLock<Counter>,
    /// Set while a re-encoding runs: at most one at a time, so a cold flood of PNGs
    /// cannot queue work behind the renderer.
    recompressing: Arc<AtomicBool>,
}

impl BadgeCache {
    /// A cache holding at most `max_bytes` of badges.
    pub fn new(renderer: Arc<Renderer>, max_bytes: u64, metrics: Arc<Metrics>) -> BadgeCache {
        BadgeCache {
            renderer,
            cache: Arc::new(store(max_bytes)),
            metrics,
            hits: OnceLock::new(),
            misses: OnceLock::new(),
            recompressing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The badge of a tool's verdict, from memory or freshly rendered.
    pub async fn badge(
        &self,
        entry: &Arc<Entry>,
        variant: Variant,
        format: Format,
    ) -> Result<Rendered, BadgeError> {
        let key = Key {
            subject: Subject::Tool {
                slug: entry.verdict.slug.clone(),
                fingerprint: entry.fingerprint,
            },
            variant,
            format,
        };
        let entry = entry.clone();
        self.get_or_render(key, move |r, format| match format {
            Format::Svg => Ok(r.badge_svg(&entry.verdict, variant).into_bytes()),
            Format::Png { scale } => r.badge_png(&entry.verdict, variant, scale.get()),
        })
        .await
    }

    /// An error badge saying `reason` ("unknown tool", "bad style", …).
    ///
    /// Drawn inline rather than on the blocking pool: there are a few dozen of them,
    /// each drawn once and then served from the cache, and drawing one must not wait
    /// behind a queue of badge renders.
    pub fn error(
        &self,
        reason: &'static str,
        variant: Variant,
        format: Format,
    ) -> Result<Rendered, BadgeError> {
        let key = Key {
            subject: Subject::Error(reason),
            variant,
            format,
        };
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let body = match format {
            Format::Svg => self.renderer.error_svg(reason, variant).into_bytes(),
            Format::Png { scale } => self.renderer.error_png(reason, variant, scale.get())?,
        };
        let rendered = Rendered {
            etag: etag_for(&key),
            length: HeaderValue::from(body.len()),
            body: Bytes::from(body),
            settled: true,
        };
        self.cache.insert(key, rendered.clone());
        Ok(rendered)
    }

    /// The share card of a tool's verdict (a 1200×630 PNG; `auto` is light), from memory
    /// or freshly rendered. Kept, revalidated and re-encoded like a badge PNG.
    pub async fn share_card(
        &self,
        entry: &Arc<Entry>,
        theme: Theme,
    ) -> Result<Rendered, BadgeError> {
        let (variant, format) = share_variant(theme);
        let key = Key {
            subject: Subject::Share {
                slug: entry.verdict.slug.clone(),
                fingerprint: entry.fingerprint,
            },
            variant,
            format,
        };
        let entry = entry.clone();
        self.get_or_render(key, move |r, _| {
            r.share_card_png(&entry.verdict, variant.theme)
        })
        .await
    }

    /// A share card saying `reason` ("unknown tool"), drawn once per theme and kept.
    pub async fn share_error(
        &self,
        reason: &'static str,
        theme: Theme,
    ) -> Result<Rendered, BadgeError> {
        let (variant, format) = share_variant(theme);
        let key = Key {
            subject: Subject::ShareError(reason),
            variant,
            format,
        };
        self.get_or_render(key, move |r, _| r.share_error_png(reason, variant.theme))
            .await
    }

    /// What the cached badges weigh, in bytes.
    pub fn weighed_bytes(&self) -> u64 {
        self.cache.weight()
    }

    /// The renderer behind the cache.
    pub fn renderer(&self) -> &Arc<Renderer> {
        &self.renderer
    }

    async fn get_or_render(
        &self,
        key: Key,
        draw: impl FnOnce(&Renderer, Format) -> Result<Vec<u8>, RenderError> + Send + 'static,
    ) -> Result<Rendered, BadgeError> {
        if let Some(hit) = self.cache.get(&key) {
            self.counter(&self.hits, "hit").inc();
            if !hit.settled {
                self.recompress_later(key, &hit);
            }
            return Ok(hit);
        }
        self.counter(&self.misses, "miss").inc();
        let format = key.format;
        let mut body = match format {
            Format::Svg => draw(&self.renderer, format)?,
            // Rasterizing takes most of a millisecond: keep it off the async workers.
            Format::Png { .. } => {
                let renderer = self.renderer.clone();
                tokio::task::spawn_blocking(move || draw(&renderer, format))
                    .await
                    .map_err(|e| BadgeError::Crashed(e.to_string()))??
            }
        };
        // Renderers allocate with room to spare, and `Bytes::from(Vec)` keeps the whole
        // allocation: trim it, so the weigher's byte budget is the memory held.
        body.shrink_to_fit();
        let rendered = Rendered {
            etag: etag_for(&key),
            length: HeaderValue::from(body.len()),
            body: Bytes::from(body),
            settled: format == Format::Svg,
        };
        self.cache.insert(key, rendered.clone());
        Ok(rendered)
    }

    /// The `render_cache` counter named `name`, looked up in the family once.
    fn counter<'a>(&self, cell: &'a OnceLock<Counter>, name: &'static str) -> &'a Counter {
        cell.get_or_init(|| {
            self.metrics
                .render_cache
                .get_or_create(&NameLabel::of(name))
                .clone()
        })
    }

    /// Re-encodes a cached PNG in the background, unless a re-encoding is already
    /// running (the next hit tries again).
    fn recompress_later(&self, key: Key, hit: &Rendered) {
        if self
            .recompressing
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let cache = self.cache.clone();
        let busy = self.recompressing.clone();
        let fast = hit.clone();
        tokio::task::spawn_blocking(move || {
            // Clears the flag however this ends, even by a panic in the encoder.
            let _done = ClearOnDrop(busy);
            let settled = match recompress_png(&fast.body) {
                Ok(mut small) if small.len() < fast.body.len() => {
                    small.shrink_to_fit();
                    Bytes::from(small)
                }
                _ => fast.body.clone(),
            };
            // Replace only the entry this started from: if it was evicted meanwhile, it
            // stays evicted.
            if cache.get(&key).is_some_and(|now| now.body == fast.body) {
                cache.insert(
                    key,
                    Rendered {
                        length: HeaderValue::from(settled.len()),
                        body: settled,
                        etag: fast.etag,
                        settled: true,
                    },
                );
            }
        });
    }
}

/// Clears the flag it holds when dropped.
struct ClearOnDrop(Arc<AtomicBool>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The validator of a badge: a digest of everything its pixels depend on. A PNG's is
/// weak because its bytes change once, when it is re-encoded.
fn etag_for(key: &Key) -> HeaderValue {
    let mut h = std::hash::DefaultHasher::new();
    RENDERER_VERSION.hash(&mut h);
    if matches!(key.subject, Subject::Share { .. } | Subject::ShareError(_)) {
        SHARE_VERSION.hash(&mut h);
    }
    key.hash(&mut h);
    let weak = match key.format {
        Format::Svg => "",
        Format::Png { .. } => "W/",
    };
    HeaderValue::try_from(format!("{weak}\"{:016x}\"", h.finish()))
        .expect("hex in quotes is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Style;
    use crate::verdict::Verdict;
    use rand::{Rng, SeedableRng};
    use std::time::Instant;

    /// One variant of `benches/rss.sh` with what a miss costs: its render time and size,
    /// the means over the sample verdicts.
    struct Measured {
        variant: Variant,
        format: Format,
        micros: f64,
        bytes: usize,
    }

    /// The twelve variants `benches/rss.sh` asks for, rendered from `verdicts` by `r`.
    fn measure_variants(r: &Renderer, verdicts: &[Verdict]) -> Vec<Measured> {
        let mut out = Vec::new();
        for style in [Style::Card, Style::Compact] {
            for theme in [Theme::Light, Theme::Dark] {
                let variant = Variant { style, theme };
                let pngs = Scale::ALL[..2].iter().map(|&scale| Format::Png { scale });
                for format in std::iter::once(Format::Svg).chain(pngs) {
                    let started = Instant::now();
                    let bytes: usize = verdicts
                        .iter()
                        .map(|v| match format {
                            Format::Svg => r.badge_svg(v, variant).len(),
                            Format::Png { scale } => {
                                r.badge_png(v, variant, scale.get()).unwrap().len()
                            }
                        })
                        .sum();
                    out.push(Measured {
                        variant,
                        format,
                        micros: started.elapsed().as_secs_f64() * 1e6 / verdicts.len() as f64,
                        bytes: bytes / verdicts.len(),
                    });
                }
            }
        }
        out
    }

    /// What the render cache's budget buys: the hit rate, and the rendering time misses
    /// cost, of 2,000,000 requests for 10,000 tools through the cache's own [`store`] (keys,
    /// weigher and eviction). Tools are asked for with Zipf-distributed popularity (a few tools on
    /// busy pages, a long tail), each in one of the twelve variants of `benches/rss.sh`
    /// (two in three a PNG), or only in the four SVGs (as the embed code's `<img>` asks).
    ///
    /// `cargo test --release --lib render_cache_budget_table -- --ignored --nocapture`
    #[test]
    #[ignore = "measures; prints a table"]
    fn render_cache_budget_table() {
        const TOOLS: usize = 10_000;
        const REQUESTS: usize = 2_000_000;
        let r = Renderer::new();
        let samples = crate::verdict::demo_verdicts();
        measure_variants(&r, &samples); // warms the renderer's caches
        let variants = measure_variants(&r, &samples);
        println!("| variant | bytes | render µs |\n|---|---:|---:|");
        for m in &variants {
            let format = match m.format {
                Format::Svg => "SVG".to_owned(),
                Format::Png { scale } => format!("PNG@{}", scale.get()),
            };
            let (style, theme) = (m.variant.style, m.variant.theme);
            println!(
                "| {style} {theme} {format} | {} | {:.1} |",
                m.bytes, m.micros
            );
        }
        let keys: Vec<Vec<Key>> = (0..TOOLS)
            .map(|tool| {
                let slug = Slug::parse(&format!("tool-{tool:05}")).unwrap();
                let key = |m: &Measured| Key {
                    subject: Subject::Tool {
                        slug: slug.clone(),
                        fingerprint: 7,
                    },
                    variant: m.variant,
                    format: m.format,
                };
                variants.iter().map(key).collect()
            })
            .collect();
        let svgs: Vec<usize> = (0..variants.len())
            .filter(|&v| variants[v].format == Format::Svg)
            .collect();
        let all: Vec<usize> = (0..variants.len()).collect();
        println!(
            "\n| variants | Zipf s | budget (MiB) | hit rate | rendering, ms per 1,000 requests |"
        );
        println!("|---|---:|---:|---:|---:|");
        for (mix, asked) in [("12", &all), ("4 SVGs", &svgs)] {
            for s in [0.8f64, 1.0, 1.2] {
                // Cumulative popularity of the tools, most popular first.
                let weights: Vec<f64> = (1..=TOOLS).map(|k| (k as f64).powf(-s)).collect();
                let total: f64 = weights.iter().sum();
                let cdf: Vec<f64> = weights
                    .iter()
                    .scan(0.0, |sum, w| {
                        *sum += w / total;
                        Some(*sum)
                    })
                    .collect();
                for budget_mib in [24u64, 32, 40, 48, 64, 96] {
                    let cache = store(budget_mib << 20);
                    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
                    let (mut hits, mut render_us) = (0u64, 0.0f64);
                    for i in 0..REQUESTS {
                        let u: f64 = rng.r#gen();
                        let tool = cdf.partition_point(|&c| c < u).min(TOOLS - 1);
                        let v = asked[rng.gen_range(0..asked.len())];
                        // The first half fills the cache; the second is measured.
                        let measured = i >= REQUESTS / 2;
                        if cache.get(&keys[tool][v]).is_some() {
                            hits += u64::from(measured);
                            continue;
                        }
                        if measured {
                            render_us += variants[v].micros;
                        }
                        let bytes = variants[v].bytes;
                        let rendered = Rendered {
                            body: Bytes::from(vec![0u8; bytes]),
                            etag: HeaderValue::from_static("W/\"0123456789abcdef\""),
                            length: HeaderValue::from(bytes),
                            settled: true,
                        };
                        cache.insert(keys[tool][v].clone(), rendered);
                    }
                    let measured = (REQUESTS / 2) as f64;
                    println!(
                        "| {mix} | {s} | {budget_mib} | {:.1} % | {:.1} |",
                        100.0 * hits as f64 / measured,
                        render_us / measured
                    );
                }
            }
        }
    }
}
