//! The admin token, per-tool stats keys, and who may read a tool's counts.
//!
//! Secrets are compared as SHA-256 digests in constant time (so neither their
//! content nor their length leaks through timing) and stats keys are stored
//! only as digests. Neither is ever logged: they travel as [`SecretString`], whose
//! `Debug` prints nothing of them.

use crate::store::{Store, StoreError};
use crate::verdict::Slug;
use rand::RngCore;
pub use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every stats key, so a leaked key is recognisable in a scan.
pub const STATS_KEY_PREFIX: &str = "vbk_";

/// SHA-256 of a secret, as lowercase hex: what the store keeps of a stats key.
pub fn digest_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The admin token, kept only as its digest.
#[derive(Clone)]
pub struct AdminToken {
    digest: Option<[u8; 32]>,
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.digest.is_some() {
            "AdminToken(set)"
        } else {
            "AdminToken(unset)"
        })
    }
}

impl AdminToken {
    /// Wraps the configured token; `None` disables the write API.
    pub fn new(token: Option<&SecretString>) -> AdminToken {
        AdminToken {
            digest: token.map(|t| Sha256::digest(t.expose_secret().as_bytes()).into()),
        }
    }

    /// Whether a token is configured at all.
    pub fn is_set(&self) -> bool {
        self.digest.is_some()
    }

    /// Whether `presented` is the admin token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let Some(expected) = &self.digest else {
            return false;
        };
        let got: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        expected.ct_eq(&got).into()
    }
}

/// Mints a new stats key: the prefix and 256 random bits as hex.
pub fn new_stats_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{STATS_KEY_PREFIX}{}", hex::encode(bytes))
}

/// Whether a stats key has the shape of one this service mints (checked before any lookup).
pub fn looks_like_stats_key(key: &str) -> bool {
    key.strip_prefix(STATS_KEY_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The bearer token of an `Authorization` header, if it has one.
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Who a credential turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// The admin: every tool.
    Admin,
    /// A live stats key of the tool asked for.
    StatsKey,
}

/// Why a credential opens nothing here.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    /// No credential was presented.
    #[error("a valid bearer token is required")]
    Missing,
    /// The credential is nobody's (or a revoked key).
    #[error("this token opens nothing")]
    Unknown,
    /// A live stats key, but of another tool.
    #[error("this key belongs to another tool")]
    OtherTool,
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `secret` may read the counts of `slug`: the admin token, or a live stats key
/// of that very tool.
pub async fn authorize(
    store: &Store,
    admin: &AdminToken,
    secret: Option<&SecretString>,
    slug: &Slug,
) -> Result<Grant, Denied> {
    let Some(secret) = secret.map(ExposeSecret::expose_secret) else {
        return Err(Denied::Missing);
    };
    if admin.matches(secret) {
        return Ok(Grant::Admin);
    }
    if !looks_like_stats_key(secret) {
        return Err(Denied::Unknown);
    }
    // Keys are looked up by digest; the digest of a wrong key finds nothing.
    match store.stats_key_slug(&digest_hex(secret)).await? {
        Some(owner) if &owner == slug => Ok(Grant::StatsKey),
        Some(_) => Err(Denied::OtherTool),
        None => Err(Denied::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_token_matches_only_itself() {
        let t = AdminToken::new(Some(&SecretString::from("correct horse battery staple")));
        assert!(t.matches("correct horse battery staple"));
        assert!(!t.matches("correct horse battery stapl"));
        assert!(!t.matches(""));
        assert!(!AdminToken::new(None).matches(""));
        assert_eq!(format!("{t:?}"), "AdminToken(set)");
    }

    #[test]
    fn keys_are_unique_and_well_formed() {
        let (a, b) = (new_stats_key(), new_stats_key());
        assert_ne!(a, b);
        assert!(looks_like_stats_key(&a));
        assert!(!looks_like_stats_key("vbk_xyz"));
        assert_eq!(digest_hex(&a).len(), 64);
    }

    #[test]
    fn bearer_header() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(http::header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
