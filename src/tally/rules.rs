//! What counts: telling readers from bots, prefetches and HEAD requests, and
//! reducing a `Referer` to the host that is stored.

use crate::counts::DIRECT;
use http::{HeaderMap, HeaderName, Method, header};
use std::hash::BuildHasher;

/// Who a request comes from, as far as counting is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A person's browser: counted, within the per-client limit.
    Reader,
    /// An image proxy that fetches for many readers (GitHub camo, Gmail): counted, no limit.
    ImageProxy,
    /// Not a reader: tallied as a bot request, never as an impression or click.
    Bot(BotReason),
}

/// Why a request is not counted as a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotReason {
    /// `HEAD` fetches no image.
    Head,
    /// The browser fetched ahead of need (`Sec-Purpose`/`Purpose: prefetch`).
    Prefetch,
    /// No User-Agent at all.
    EmptyAgent,
    /// A crawler, link-preview fetcher or HTTP library.
    Crawler,
}

impl BotReason {
    /// The metric label for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            BotReason::Head => "head",
            BotReason::Prefetch => "prefetch",
            BotReason::EmptyAgent => "empty_agent",
            BotReason::Crawler => "crawler",
        }
    }
}

/// Link-preview fetchers, tools and libraries the bot list does not name,
/// matched case-insensitively as regular expressions.
const EXTRA_BOT_PATTERNS: &[&str] = &[
    "whatsapp",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "telegrambot",
    "facebookexternalhit",
    "facebookcatalog",
    "twitterbot",
    "linkedinbot",
    "skypeuripreview",
    "redditbot",
    "iframely",
    "embedly",
    "^curl",
    "^wget",
    "^python",
    "go-http-client",
    "^okhttp",
    "^axios",
    "node-fetch",
    "undici",
    "headlesschrome",
    "^java/",
    "^libwww",
    "httpclient",
    "^reqwest",
    "^hyper",
    "^oha",
    "^wrk",
    "lighthouse",
    "pingdom",
    "uptimerobot",
];

/// User-Agents of image proxies that fetch on behalf of many readers.
fn is_image_proxy(agent: &str) -> bool {
    agent.starts_with("github-camo") || agent.contains("GoogleImageProxy")
}

/// Longest User-Agent that is classified; longer ones are crawlers or abuse.
const MAX_AGENT_LEN: usize = 1024;

/// The classifier: the maintained bot list plus the patterns above, with a
/// bounded cache of verdicts per User-Agent (readers send few distinct ones).
pub struct Rules {
    bots: isbot::Bots,
    seen: moka::sync::Cache<u64, bool>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

impl Rules {
    /// Compiles the bot patterns once.
    pub fn new() -> Rules {
        let mut bots = isbot::Bots::default();
        bots.append(EXTRA_BOT_PATTERNS);
        // Gmail's proxy is on the bot list, but it fetches for readers who opened a mail.
        bots.remove(&["googleimageproxy"]);
        Rules {
            bots,
            seen: moka::sync::Cache::new(10_000),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Classifies one request by method and headers.
    pub fn classify(&self, method: &Method, headers: &HeaderMap) -> Audience {
        if method == Method::HEAD {
            return Audience::Bot(BotReason::Head);
        }
        if is_prefetch(headers) {
            return Audience::Bot(BotReason::Prefetch);
        }
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or("");
        if agent.is_empty() {
            return Audience::Bot(BotReason::EmptyAgent);
        }
        if is_image_proxy(agent) {
            return Audience::ImageProxy;
        }
        if agent.len() > MAX_AGENT_LEN || self.is_crawler(agent) {
            return Audience::Bot(BotReason::Crawler);
        }
        Audience::Reader
    }

    fn is_crawler(&self, agent: &str) -> bool {
        let key = self.hasher.hash_one(agent);
        if let Some(known) = self.seen.get(&key) {
            return known;
        }
        let bot = self.bots.is_bot(agent);
        self.seen.insert(key, bot);
        bot
    }
}

/// Headers a browser names a prefetch in; constants, so a lookup parses no name.
static SEC_PURPOSE: HeaderName = HeaderName::from_static("sec-purpose");
static PURPOSE: HeaderName = HeaderName::from_static("purpose");
static X_MOZ: HeaderName = HeaderName::from_static("x-moz");

fn is_prefetch(headers: &HeaderMap) -> bool {
    let says_prefetch = |name: &HeaderName| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("prefetch"))
    };
    says_prefetch(&SEC_PURPOSE) || says_prefetch(&PURPOSE) || says_prefetch(&X_MOZ)
}

/// Longest host kept; DNS names are at most 253 characters.
const MAX_HOST_LEN: usize = 253;
/// Longest `Referer` value that is parsed at all.
const MAX_REFERER_LEN: usize = 4096;

/// The referrer host to store: the `Referer`'s host, lowercased, or `(direct)`.
///
/// Only the host is kept: never a path, query or anything that could identify a reader.
pub fn referrer_host(headers: &HeaderMap) -> String {
    let Some(raw) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) else {
        return DIRECT.into();
    };
    if raw.len() > MAX_REFERER_LEN {
        return DIRECT.into();
    }
    let Ok(url) = url::Url::parse(raw) else {
        return DIRECT.into();
    };
    match url.host_str() {
        Some(host) if !host.is_empty() && host.len() <= MAX_HOST_LEN => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            let clean = host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
            });
            if clean && !host.is_empty() {
                host
            } else {
                DIRECT.into()
            }
        }
        _ => DIRECT.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_agent(agent: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::USER_AGENT, HeaderValue::from_str(agent).unwrap());
        h
    }

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    #[test]
    fn browsers_are_readers() {
        let rules = Rules::new();
        for agent in [
            CHROME,
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ] {
            assert_eq!(
                rules.classify(&Method::GET, &with_agent(agent)),
                Audience::Reader,
                "{agent}"
            );
        }
    }

    #[test]
    fn crawlers_previews_and_tools_are_bots() {
        let rules = Rules::new();
        for agent in [
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            "WhatsApp/2.23.20.0 A",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "TelegramBot (like TwitterBot)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "curl/8.5.0",
            "python-requests/2.31",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        ] {
            assert_eq!(
                rules.classify(&Method::GET, &with_agent(agent)),
                Audience::Bot(BotReason::Crawler),
                "{agent}"
            );
        }
    }

    #[test]
    fn head_prefetch_and_empty_agents_are_bots() {
        let rules = Rules::new();
        assert_eq!(
            rules.classify(&Method::HEAD, &with_agent(CHROME)),
            Audience::Bot(BotReason::Head)
        );
        let mut h = with_agent(CHROME);
        h.insert(
            "sec-purpose",
            HeaderValue::from_static("prefetch;prerender"),
        );
        assert_eq!(
            rules.classify(&Method::GET, &h),
            Audience::Bot(BotReason::Prefetch)
        );
        let mut h = with_agent(CHROME);
        h.insert("purpose", HeaderValue::from_static("prefetch"));
        assert_eq!(
            rules.classify(&Method::GET, &h),
            Audience::Bot(BotReason::Prefetch)
        );
        assert_eq!(
            rules.classify(&Method::GET, &HeaderMap::new()),
            Audience::Bot(BotReason::EmptyAgent)
        );
        assert_eq!(
            rules.classify(&Method::GET, &with_agent("  ")),
            Audience::Bot(BotReason::EmptyAgent)
        );
    }

    #[test]
    fn image_proxies_are_exempt_readers() {
        let rules = Rules::new();
        for agent in [
            "github-camo (876de43e)",
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        ] {
            assert_eq!(
                rules.classify(&Method::GET, &with_agent(agent)),
                Audience::ImageProxy
            );
        }
    }

    #[test]
    fn referrer_is_the_lowercased_host_only() {
        let of = |r: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, HeaderValue::from_str(r).unwrap());
            referrer_host(&h)
        };
        assert_eq!(referrer_host(&HeaderMap::new()), "(direct)");
        assert_eq!(
            of("https://Blog.Example.COM/post?id=1#x"),
            "blog.example.com"
        );
        assert_eq!(of("http://example.com.:8080/"), "example.com");
        assert_eq!(of("not a url"), "(direct)");
        assert_eq!(
            of("https://xn--bcher-kva.example/"),
            "xn--bcher-kva.example"
        );
        assert_eq!(of(&format!("https://{}.com/", "a".repeat(300))), "(direct)");
    }
}
