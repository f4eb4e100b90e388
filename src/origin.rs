//! Verdict origin mode: verdicts fetched from the review site instead of imported.
//!
//! With `--verdict-origin https://…/api/verdicts/{slug}.json`, a catalog miss
//! fetches that URL (bounded in time and size), validates the record exactly
//! like an import, and caches it. The catalog adds the rest: coalesced misses,
//! a TTL, unknown slugs cached briefly, and the last good copy served when the
//! origin fails.

use crate::verdict::{Slug, Verdict};
use std::time::Duration;
use url::Url;

/// Longest wait for the origin, connection to last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest verdict record accepted from the origin.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Why the origin gave no usable answer (a `404` is not an error: it is an unknown tool).
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// No answer, a timeout, or a connection error.
    #[error("origin unreachable: {0}")]
    Unreachable(String),
    /// An answer other than 200 or 404.
    #[error("origin answered {0}")]
    Status(u16),
    /// A body past [`MAX_RECORD_BYTES`].
    #[error("origin record larger than {MAX_RECORD_BYTES} bytes")]
    TooLarge,
    /// A body that is not a valid verdict record for the slug asked for.
    #[error("origin record invalid: {0}")]
    Invalid(String),
}

/// The origin's URL template and an HTTP client.
#[derive(Debug, Clone)]
pub struct Origin {
    template: String,
    client: reqwest::Client,
}

impl Origin {
    /// Checks a template such as `https://shiporskip.io/api/verdicts/{slug}.json`.
    pub fn parse(template: &str) -> Result<Origin, String> {
        if !template.contains("{slug}") {
            return Err(format!("must contain {{slug}}, got {template:?}"));
        }
        let probe = Url::parse(&template.replace("{slug}", "probe"))
            .map_err(|e| format!("not an absolute URL ({e})"))?;
        if !matches!(probe.scheme(), "http" | "https") {
            return Err(format!("must be an http(s) URL, got {template:?}"));
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("verdict-badges/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Origin {
            template: template.to_owned(),
            client,
        })
    }

    /// Fetches one verdict; `None` when the origin says the tool does not exist.
    pub async fn fetch(&self, slug: &Slug) -> Result<Option<Verdict>, OriginError> {
        // Slugs are [a-z0-9-]: nothing to escape, nothing that can leave the path.
        let url = self.template.replace("{slug}", slug.as_str());
        let mut response = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OriginError::Unreachable(e.without_url().to_string()))?;
        match response.status().as_u16() {
            200 => {}
            404 | 410 => return Ok(None),
            other => return Err(OriginError::Status(other)),
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RECORD_BYTES as u64)
        {
            return Err(OriginError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| OriginError::Unreachable(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > MAX_RECORD_BYTES {
                return Err(OriginError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| OriginError::Invalid(e.to_string()))?;
        let verdict = Verdict::from_json(&value).map_err(|errors| {
            OriginError::Invalid(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        if verdict.slug != *slug {
            return Err(OriginError::Invalid(format!(
                "slug: asked for {slug}, got {}",
                verdict.slug
            )));
        }
        Ok(Some(verdict))
    }
}
