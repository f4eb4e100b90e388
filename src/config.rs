//! Every setting of the service, in one place.
//!
//! [`ServeArgs`] is what `verdict-badges serve` accepts (each flag also reads a
//! `VERDICT_BADGES_*` variable); [`Config`] is the checked result that
//! [`crate::app::Application::build`] takes. Tests build a `Config` directly.

use crate::auth::{ExposeSecret, SecretString};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Default store: an SQLite file beside the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/verdict-badges.db";
/// Default review page for a tool; `{slug}` is replaced by the tool's slug.
pub const DEFAULT_REVIEW_URL_TEMPLATE: &str = "https://shiporskip.io/tool/{slug}";

/// Flags of `verdict-badges serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VERDICT_BADGES_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public base URL that embed code points at [default: http:// + the listen address].
    #[arg(long, env = "VERDICT_BADGES_PUBLIC_URL")]
    pub public_url: Option<Url>,
    /// Review page a click is sent to; must be absolute http(s) and contain `{slug}`.
    #[arg(long, env = "VERDICT_BADGES_REVIEW_URL_TEMPLATE", default_value = DEFAULT_REVIEW_URL_TEMPLATE)]
    pub review_url_template: String,
    /// How often counts are written to the store, in milliseconds (10–60000).
    #[arg(long, env = "VERDICT_BADGES_FLUSH_INTERVAL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub flush_interval_ms: u64,
    /// Counted loads a minute per tool and kind from one address (an IPv6 client's /64),
    /// whatever its User-Agent; image proxies get 100 times as many; 0 = no limit.
    #[arg(
        long,
        env = "VERDICT_BADGES_COUNT_LIMIT_PER_MINUTE",
        default_value_t = 120
    )]
    pub count_limit_per_minute: u32,
    /// Load the sample verdicts when the store holds none.
    #[arg(long, env = "VERDICT_BADGES_DEMO")]
    pub demo: bool,
    /// Count loads and clicks (`false` serves badges without counting, e.g. for a mirror or a benchmark baseline).
    #[arg(long, env = "VERDICT_BADGES_COUNTING", default_value_t = true, action = clap::ArgAction::Set)]
    pub counting: bool,
    /// Admin token for the write API (prefer the variable, or --admin-token-file).
    #[arg(long, env = "VERDICT_BADGES_ADMIN_TOKEN", hide_env_values = true,
          value_parser = |s: &str| Ok::<_, std::convert::Infallible>(SecretString::from(s)))]
    pub admin_token: Option<SecretString>,
    /// File holding the admin token (first line).
    #[arg(long, env = "VERDICT_BADGES_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Take the client address from the last X-Forwarded-For entry (only behind a trusted proxy).
    #[arg(long, env = "VERDICT_BADGES_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Address ranges (CIDR, comma-separated) whose image proxies (GitHub camo, Google's
    /// image proxy) count for many readers; defaults to GitHub's and Google's published
    /// ranges (see SECURITY.md to keep them current). Given with no value, none.
    #[arg(long, env = "VERDICT_BADGES_IMAGE_PROXY_RANGES", value_delimiter = ',', num_args = 0..,
          default_values = crate::tally::proxies::DEFAULT_IMAGE_PROXY_RANGES)]
    pub image_proxy_ranges: Vec<ipnet::IpNet>,
    /// Memory for finished badges, in MiB. The default keeps the whole process under
    /// 100 MB with 10,000 tools and every variant asked for (BENCHMARKS.md, "Fourth pass");
    /// more buys fewer re-renders when many PNGs are asked for.
    #[arg(long, env = "VERDICT_BADGES_RENDER_CACHE_MB", default_value_t = 40,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub render_cache_mb: u64,
    /// How long a verdict is served from memory before it is read again, in seconds.
    #[arg(long, env = "VERDICT_BADGES_VERDICT_TTL_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub verdict_ttl_secs: u64,
    /// Fetch verdicts on a cache miss from this URL template (`{slug}` replaced) instead of the store.
    #[arg(long, env = "VERDICT_BADGES_VERDICT_ORIGIN")]
    pub verdict_origin: Option<String>,
    /// How often the store is asked whether another instance changed a verdict, in milliseconds.
    #[arg(long, env = "VERDICT_BADGES_VERDICT_POLL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(50..=600_000))]
    pub verdict_poll_ms: u64,
    /// Most distinct count keys held in memory before new ones are dropped (and counted as dropped).
    #[arg(long, env = "VERDICT_BADGES_MAX_PENDING_KEYS", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub max_pending_keys: u64,
    /// Most connections served at once; more wait in the kernel's backlog until one closes.
    #[arg(long, env = "VERDICT_BADGES_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Days of referrer detail kept; older days' hosts are folded into "(other)" while
    /// daily totals are kept forever. 0 keeps every host forever.
    #[arg(long, env = "VERDICT_BADGES_KEEP_REFERRER_DAYS", default_value_t = 400,
          value_parser = clap::value_parser!(u32).range(0..=36_600))]
    pub keep_referrer_days: u32,
}

/// The checked configuration the application runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Base URL for embed code; `None` derives it from the bound address.
    pub public_url: Option<Url>,
    /// Where verdicts and counts live.
    pub database_url: String,
    /// Review page template, checked.
    pub review_url: ReviewUrl,
    /// Flush period of the counters.
    pub flush_interval: Duration,
    /// Per address, tool, kind and minute; 0 = no limit.
    pub count_limit_per_minute: u32,
    /// Load the sample verdicts into an empty store.
    pub demo: bool,
    /// Whether loads and clicks are counted at all.
    pub counting: bool,
    /// Admin token for the write API and all stats; `None` disables the write API.
    pub admin_token: Option<SecretString>,
    /// Trust X-Forwarded-For for the client address.
    pub trust_forwarded_for: bool,
    /// Where requests that say they are image proxies are believed.
    pub image_proxy_ranges: Vec<ipnet::IpNet>,
    /// Byte budget of the render cache.
    pub render_cache_bytes: u64,
    /// Time a cached verdict is trusted.
    pub verdict_ttl: Duration,
    /// Where verdicts come from on a miss, when not the store.
    pub verdict_origin: Option<crate::origin::Origin>,
    /// Period of the catalog-version poll that spreads writes to every instance.
    pub verdict_poll: Duration,
    /// Bound on distinct count keys waiting in memory.
    pub max_pending_keys: usize,
    /// Bound on connections served at once.
    pub max_connections: usize,
    /// Days of referrer detail kept before hosts are folded into "(other)"; `None` keeps them.
    pub keep_referrer_days: Option<u32>,
    /// How often the maintenance task prunes the flush log and folds old referrers.
    pub maintenance_interval: Duration,
    /// Flush-log entries older than this are pruned once their instance has a newer one.
    pub flush_log_retention: Duration,
    /// An instance's newest flush-log entry is pruned after this long without a newer one.
    pub flush_log_idle_instance: Duration,
}

/// Default period of the maintenance task.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);
/// Default age past which a flush-log entry with a newer one beside it is pruned: an
/// hour, far beyond the ≤ 90 s (30 s backoff + a 60 s flush interval at most) in which
/// a flusher retries a batch once the store answers. Only the newest entry of an
/// instance can ever be retried, and that one is kept by a separate rule.
pub const FLUSH_LOG_RETENTION: Duration = Duration::from_secs(3600);
/// Default silence after which an instance's newest flush-log entry is pruned: 30 days.
/// A live instance retries its newest batch for as long as the store does not answer
/// it, so this is the longest outage (seen from that instance) after which a batch whose
/// commit landed but whose acknowledgement was lost is still recognised.
pub const FLUSH_LOG_IDLE_INSTANCE: Duration = Duration::from_secs(30 * 86_400);

/// A serve flag that cannot work, named.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--review-url-template` is not an absolute http(s) URL with `{slug}`.
    #[error("--review-url-template: {0}")]
    ReviewUrl(String),
    /// `--public-url` is not http(s).
    #[error("--public-url must be an http or https URL, got {0}")]
    PublicUrl(Url),
    /// `--admin-token-file` cannot be read.
    #[error("--admin-token-file {path}: {source}")]
    AdminTokenFile {
        /// The file named.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The admin token is too short to resist guessing.
    #[error("the admin token must be at least 16 characters")]
    AdminTokenShort,
    /// `--verdict-origin` is not an http(s) URL template with `{slug}`.
    #[error("--verdict-origin: {0}")]
    VerdictOrigin(String),
}

impl Config {
    /// Checks the serve flags and reads the admin token file, if any.
    pub fn from_args(args: ServeArgs, database_url: String) -> Result<Config, ConfigError> {
        let review_url =
            ReviewUrl::parse(&args.review_url_template).map_err(ConfigError::ReviewUrl)?;
        if let Some(url) = &args.public_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(ConfigError::PublicUrl(url.clone()));
        }
        let admin_token = match (&args.admin_token_file, args.admin_token) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    ConfigError::AdminTokenFile {
                        path: path.clone(),
                        source,
                    }
                })?;
                Some(SecretString::from(text.lines().next().unwrap_or("").trim()))
            }
            (None, token) => token,
        };
        if let Some(token) = &admin_token
            && token.expose_secret().len() < 16
        {
            return Err(ConfigError::AdminTokenShort);
        }
        let verdict_origin = args
            .verdict_origin
            .as_deref()
            .map(crate::origin::Origin::parse)
            .transpose()
            .map_err(ConfigError::VerdictOrigin)?;
        Ok(Config {
            listen: args.listen,
            public_url: args.public_url,
            database_url,
            review_url,
            flush_interval: Duration::from_millis(args.flush_interval_ms),
            count_limit_per_minute: args.count_limit_per_minute,
            demo: args.demo,
            counting: args.counting,
            admin_token,
            trust_forwarded_for: args.trust_forwarded_for,
            image_proxy_ranges: args.image_proxy_ranges,
            render_cache_bytes: args.render_cache_mb << 20,
            verdict_ttl: Duration::from_secs(args.verdict_ttl_secs),
            verdict_poll: Duration::from_millis(args.verdict_poll_ms),
            verdict_origin,
            max_pending_keys: args.max_pending_keys as usize,
            max_connections: args.max_connections as usize,
            keep_referrer_days: (args.keep_referrer_days > 0).then_some(args.keep_referrer_days),
            maintenance_interval: MAINTENANCE_INTERVAL,
            flush_log_retention: FLUSH_LOG_RETENTION,
            flush_log_idle_instance: FLUSH_LOG_IDLE_INSTANCE,
        })
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded into a path segment.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The review page template, checked once at start: absolute http(s) with `{slug}`.
///
/// A click's `Location` is built only from this and a validated slug, never from
/// anything in the request.
#[derive(Debug, Clone)]
pub struct ReviewUrl {
    template: String,
}

impl ReviewUrl {
    /// Checks a template such as `https://shiporskip.io/tool/{slug}`.
    pub fn parse(template: &str) -> Result<ReviewUrl, String> {
        if !template.contains("{slug}") {
            return Err(format!("must contain {{slug}}, got {template:?}"));
        }
        let probe = template.replace("{slug}", "probe");
        let url = Url::parse(&probe).map_err(|e| format!("not an absolute URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("must be an absolute http(s) URL, got {template:?}"));
        }
        // It becomes a Location header: visible ASCII only (percent-encode anything else).
        if !template.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "must be visible ASCII: percent-encode spaces, control and non-ASCII characters"
                    .into(),
            );
        }
        Ok(ReviewUrl {
            template: template.to_owned(),
        })
    }

    /// The review page of one tool, its slug percent-encoded.
    pub fn for_slug(&self, slug: &crate::verdict::Slug) -> String {
        let encoded = percent_encoding::utf8_percent_encode(slug.as_str(), UNRESERVED);
        self.template.replace("{slug}", &encoded.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_url_rules() {
        assert!(ReviewUrl::parse("https://shiporskip.io/tool/{slug}").is_ok());
        assert!(ReviewUrl::parse("http://127.0.0.1:9/r?t={slug}").is_ok());
        for bad in [
            "https://shiporskip.io/tool/",
            "/tool/{slug}",
            "javascript:alert(1)//{slug}",
            "ftp://x/{slug}",
            "https://x/{slug}\r\nSet-Cookie: a",
            "https://exämple.com/{slug}",
            "https://x.example/a b/{slug}",
        ] {
            assert!(ReviewUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slug_is_percent_encoded_into_the_template() {
        let r = ReviewUrl::parse("https://r.example/tool/{slug}").unwrap();
        let slug = crate::verdict::Slug::parse("smolvlm-3b").unwrap();
        assert_eq!(r.for_slug(&slug), "https://r.example/tool/smolvlm-3b");
    }
}
