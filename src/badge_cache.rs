//! Finished badge bytes, kept in memory so a hot badge is never rendered twice.
//!
//! Entries are keyed by the tool, its verdict's fingerprint and the variant, so
//! a changed verdict misses the cache by construction (no invalidation needed),
//! and the cache is bounded by bytes through a weigher.

use crate::catalog::Entry;
use crate::metrics::{Metrics, NameLabel};
use crate::render::{RENDERER_VERSION, RenderError, Renderer, Variant};
use crate::verdict::Slug;
use bytes::Bytes;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Image format of a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `image/svg+xml`.
    Svg,
    /// `image/png` at a scale of 1–4.
    Png {
        /// Device pixels per CSS pixel.
        scale: u8,
    },
}

impl Format {
    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml; charset=utf-8",
            Format::Png { .. } => "image/png",
        }
    }
}

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
    Tool { slug: Slug, fingerprint: u64 },
    Error(&'static str),
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
    /// Strong validator for `ETag`, quoted.
    pub etag: Arc<str>,
}

/// The render cache in front of the [`Renderer`].
pub struct BadgeCache {
    renderer: Arc<Renderer>,
    cache: moka::sync::Cache<Key, Rendered>,
    metrics: Arc<Metrics>,
}

impl BadgeCache {
    /// A cache holding at most `max_bytes` of badges.
    pub fn new(renderer: Arc<Renderer>, max_bytes: u64, metrics: Arc<Metrics>) -> BadgeCache {
        let cache = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &Key, v: &Rendered| {
                let key_bytes = match &k.subject {
                    Subject::Tool { slug, .. } => slug.as_str().len(),
                    Subject::Error(_) => 0,
                };
                // Bytes of the image plus the key and bookkeeping around it.
                (v.body.len() + v.etag.len() + key_bytes + 128)
                    .try_into()
                    .unwrap_or(u32::MAX)
            })
            .build();
        BadgeCache {
            renderer,
            cache,
            metrics,
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
            Format::Png { scale } => r.badge_png(&entry.verdict, variant, scale),
        })
        .await
    }

    /// An error badge saying `reason` ("unknown tool", "bad style", …).
    pub async fn error(
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
        self.get_or_render(key, move |r, format| match format {
            Format::Svg => Ok(r.error_svg(reason, variant).into_bytes()),
            Format::Png { scale } => r.error_png(reason, variant, scale),
        })
        .await
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
            self.metrics
                .render_cache
                .get_or_create(&NameLabel::of("hit"))
                .inc();
            return Ok(hit);
        }
        self.metrics
            .render_cache
            .get_or_create(&NameLabel::of("miss"))
            .inc();
        let format = key.format;
        let body = match format {
            Format::Svg => draw(&self.renderer, format)?,
            // Rasterizing takes most of a millisecond: keep it off the async workers.
            Format::Png { .. } => {
                let renderer = self.renderer.clone();
                tokio::task::spawn_blocking(move || draw(&renderer, format))
                    .await
                    .map_err(|e| BadgeError::Crashed(e.to_string()))??
            }
        };
        let body = Bytes::from(body);
        let rendered = Rendered {
            etag: etag_for(&key, &body),
            body,
        };
        self.cache.insert(key, rendered.clone());
        Ok(rendered)
    }
}

fn etag_for(key: &Key, body: &[u8]) -> Arc<str> {
    let mut h = std::hash::DefaultHasher::new();
    RENDERER_VERSION.hash(&mut h);
    key.hash(&mut h);
    body.len().hash(&mut h);
    Arc::from(format!("\"{:016x}\"", h.finish()))
}
