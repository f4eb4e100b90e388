//! What counts: telling readers from bots, prefetches and HEAD requests, and
//! reducing a `Referer` to the host that is stored.

use crate::counts::DIRECT;
use http::{HeaderMap, Method, header};
use std::sync::Arc;

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
    /// A User-Agent not shaped like any browser's: a tool, an app's fetcher, a script.
    NotABrowser,
}

impl BotReason {
    /// Every reason, in [`BotReason::index`] order.
    pub const ALL: [BotReason; 5] = [
        BotReason::Head,
        BotReason::Prefetch,
        BotReason::EmptyAgent,
        BotReason::Crawler,
        BotReason::NotABrowser,
    ];

    /// This reason's place in [`BotReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The metric label for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            BotReason::Head => "head",
            BotReason::Prefetch => "prefetch",
            BotReason::EmptyAgent => "empty_agent",
            BotReason::Crawler => "crawler",
            BotReason::NotABrowser => "not_a_browser",
        }
    }
}

/// Bots the `isbot` list does not name, matched case-insensitively as regular
/// expressions: link previews of chat apps and social networks, AI crawlers and AI
/// assistants' fetchers, HTTP libraries, and the monitors, scanners and automation
/// tools that send a browser's User-Agent with their own name added (a User-Agent
/// not shaped like a browser's needs no pattern: see [`looks_like_a_browser`]).
/// Checked against `tests/fixtures/` (see `src/tally/fixtures.rs`).
const EXTRA_BOT_PATTERNS: &[&str] = &[
    // Link previews.
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
    "cardyb",
    "zoombot",
    // AI crawlers and assistants' fetchers.
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-user",
    "claude-searchbot",
    "perplexitybot",
    "perplexity-user",
    "google-extended",
    "googleother",
    "googleagent-",
    "google-cloudvertexbot",
    "applebot",
    "amazonbot",
    "bytespider",
    "meta-external",
    "mistralai-user",
    "duckassistbot",
    "manus-user",
    "newsai/",
    " code/1\\.",
    " trae/",
    // HTTP libraries and headless browsers.
    "^curl",
    "^wget",
    "^python",
    "go-http-client",
    "^okhttp",
    "^axios",
    "node-fetch",
    "undici",
    "headlesschrome",
    "playwright",
    "selenium",
    "^java/",
    "^libwww",
    "httpclient",
    "^reqwest",
    "^hyper",
    "^oha",
    "^wrk",
    // Monitors, audits and scanners with a browser's agent.
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "datadogsynthetics",
    "newrelicsynthetics",
    "thousandeyes",
    "dotcom-monitor",
    "ghost inspector",
    "gotsitemonitor",
    "gtmetrix",
    "hotjar",
    "silktide",
    "linktiger",
    "securityheaders",
    "hardenize",
    "sucuri",
    "sitecheck",
    "testlocally",
    "watchtowr",
    "abuse\\.xmco\\.fr",
    "foregenix",
    "cookiehub",
    "sqwatcher",
    "scope3",
    "criticalcss",
    "pwabuilder",
    "; rigor\\)",
    "tsm-turingos",
    "autoconfig test",
    "compatible; bw/",
    "impact\\.com agent",
    // Readers' apps that are not a reader's view: feed, print, archive and shop tools.
    "feeder\\.co",
    "monitorss",
    "readable/",
    "printfriendly",
    "zoterotranslationserver",
    "nyt_scraping",
    "playstore-google",
    "netshelter",
    "marketgoo",
    "miniature\\.io",
    "sindup",
    "collapsify",
    "geedoshop",
    "dlc/",
    "ylt chrome",
    "splash version",
    "fluid/",
];

/// Whether `agent` is shaped like a browser's: every mainstream browser, web view and
/// in-app browser sends `Mozilla/5.0 (…)` with a rendering engine's token; Opera Mini
/// and the Outlook desktop client are the readers that do not.
fn looks_like_a_browser(agent: &str) -> bool {
    let engine = ["AppleWebKit/", "Gecko/", "Trident/"];
    (agent.starts_with("Mozilla/5.0 (") && engine.iter().any(|e| agent.contains(e)))
        || (agent.starts_with("Opera/9.80 (") && agent.contains("Presto/"))
        || agent.starts_with("Microsoft Office/")
}

/// User-Agents of image proxies that fetch on behalf of many readers.
fn is_image_proxy(agent: &str) -> bool {
    agent.starts_with("github-camo") || agent.contains("GoogleImageProxy")
}

/// Longest User-Agent that is classified; longer ones are crawlers or abuse.
const MAX_AGENT_LEN: usize = 1024;

/// How many User-Agents' verdicts are kept (readers send few distinct ones).
const SEEN_AGENTS: usize = 4096;

/// The classifier: the maintained bot list plus the patterns above and the browser
/// shape, with a bounded cache of verdicts per User-Agent (readers send few distinct ones).
///
/// The cache is keyed by the User-Agent itself (at most [`MAX_AGENT_LEN`] bytes each), so
/// two agents can never share a verdict; a hit is one fast hash of the string, a shard's
/// read lock and a comparison, a small fraction of matching the bot patterns.
pub struct Rules {
    bots: isbot::Bots,
    seen: quick_cache::sync::Cache<Box<[u8]>, Audience>,
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
            seen: quick_cache::sync::Cache::new(SEEN_AGENTS),
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
            .map_or(&b""[..], |v| v.as_bytes());
        // Looked up by the header's bytes as sent: a known agent is neither checked for
        // valid characters nor trimmed again.
        if let Some(known) = self.seen.get(agent) {
            return known;
        }
        let audience = self.classify_agent(agent);
        // Any agent the patterns ran on is kept (at most MAX_AGENT_LEN bytes and a little
        // space around it); a longer one is a crawler every time, found without them.
        if agent.len() <= MAX_AGENT_LEN + 64 {
            self.seen.insert(agent.into(), audience);
        }
        audience
    }

    /// Who sends the User-Agent `agent` (the header's bytes; empty when there is none).
    fn classify_agent(&self, agent: &[u8]) -> Audience {
        // As `HeaderValue::to_str`: visible ASCII and tabs only, else no agent at all.
        let visible = agent
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
        let agent = std::str::from_utf8(agent)
            .ok()
            .filter(|_| visible)
            .map(str::trim)
            .unwrap_or("");
        if agent.is_empty() {
            return Audience::Bot(BotReason::EmptyAgent);
        }
        if is_image_proxy(agent) {
            return Audience::ImageProxy;
        }
        if agent.len() > MAX_AGENT_LEN {
            return Audience::Bot(BotReason::Crawler);
        }
        if self.bots.is_bot(agent) {
            Audience::Bot(BotReason::Crawler)
        } else if !looks_like_a_browser(agent) {
            Audience::Bot(BotReason::NotABrowser)
        } else {
            Audience::Reader
        }
    }
}

/// Headers a browser names a prefetch in.
const PREFETCH_HEADERS: [&str; 3] = ["sec-purpose", "purpose", "x-moz"];

/// Whether the browser says it is fetching ahead of need (`Sec-Purpose`, `Purpose` or
/// `X-Moz` naming a prefetch). One pass over the request's headers, comparing lengths
/// first: cheaper than hashing three header names for three lookups.
fn is_prefetch(headers: &HeaderMap) -> bool {
    headers.iter().any(|(name, value)| {
        let name = name.as_str();
        PREFETCH_HEADERS
            .iter()
            .any(|p| p.len() == name.len() && *p == name)
            && value.to_str().is_ok_and(|v| {
                v.as_bytes()
                    .windows(b"prefetch".len())
                    .any(|w| w.eq_ignore_ascii_case(b"prefetch"))
            })
    })
}

/// Longest host kept; DNS names are at most 253 characters.
const MAX_HOST_LEN: usize = 253;
/// Longest `Referer` value that is parsed at all.
const MAX_REFERER_LEN: usize = 4096;

/// A request's `Referer`, as counting reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct Referrer {
    /// The host to store: the `Referer`'s host, lowercased, or `(direct)` ([`host_to_store`]).
    pub host: Arc<str>,
    /// Whether the page is one of this service's own (same scheme, host and port as its
    /// public URL): previews there are nobody's impressions.
    pub own_page: bool,
}

/// Longest `Referer` whose reading is kept. A browser sends a cross-origin image request
/// only the page's origin (`strict-origin-when-cross-origin`, the default), so readers
/// of one embedding site send the same short value again and again.
const MAX_KEPT_REFERER_LEN: usize = 256;
/// How many `Referer` readings are kept (with [`MAX_KEPT_REFERER_LEN`], at most ~1.3 MB).
const SEEN_REFERRERS: usize = 4096;

/// Reads `Referer`s, keeping a bounded set of readings: parsing a URL costs ~2,700
/// instructions, a kept reading one fast hash and a read lock, as for User-Agents.
pub struct Referrers {
    /// The service's public origin; `None` until it is known ([`Referrers::own_origin`]).
    own: Option<url::Origin>,
    seen: quick_cache::sync::Cache<Box<[u8]>, Arc<Referrer>>,
    direct: Arc<Referrer>,
}

impl Default for Referrers {
    fn default() -> Self {
        Referrers {
            own: None,
            seen: quick_cache::sync::Cache::new(SEEN_REFERRERS),
            direct: Arc::new(Referrer {
                host: Arc::from(DIRECT),
                own_page: false,
            }),
        }
    }
}

impl Referrers {
    /// The same reader, telling pages of `origin` apart as the service's own.
    pub fn own_origin(mut self, origin: url::Origin) -> Referrers {
        self.own = Some(origin);
        self.seen.clear();
        self
    }

    /// The `Referer` of a request with `headers`.
    pub fn read(&self, headers: &HeaderMap) -> Arc<Referrer> {
        let Some(value) = headers.get(header::REFERER) else {
            return self.direct.clone();
        };
        let raw = value.as_bytes();
        // Looked up by the header's bytes as sent, like a User-Agent.
        if let Some(known) = self.seen.get(raw) {
            return known;
        }
        let url = parse_referer(value);
        let referrer = Arc::new(Referrer {
            host: match url.as_ref().and_then(host_to_store) {
                Some(host) => Arc::from(host),
                None => self.direct.host.clone(),
            },
            own_page: url.is_some_and(|u| self.own.as_ref() == Some(&u.origin())),
        });
        if raw.len() <= MAX_KEPT_REFERER_LEN {
            self.seen.insert(raw.into(), referrer.clone());
        }
        referrer
    }
}

/// The `Referer` as a URL, when it is one of a sane length.
fn parse_referer(value: &http::HeaderValue) -> Option<url::Url> {
    let raw = value.to_str().ok()?;
    if raw.len() > MAX_REFERER_LEN {
        return None;
    }
    url::Url::parse(raw).ok()
}

/// The host of a referring page as stored: lowercased, without a trailing dot, of
/// plain host characters only; `None` when there is no such host (stored as `(direct)`).
///
/// Only the host is kept: never a path, query or anything that could identify a reader.
fn host_to_store(url: &url::Url) -> Option<String> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty() && h.len() <= MAX_HOST_LEN)?;
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let clean = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']'));
    (clean && !host.is_empty()).then_some(host)
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
    fn cached_verdicts_answer_as_the_first_classification_did() {
        let rules = Rules::new();
        let mut odd = HeaderMap::new();
        odd.insert(
            header::USER_AGENT,
            HeaderValue::from_bytes(b"Mozilla/5.0 (X11) Gecko/1 \xff").unwrap(),
        );
        let padded = with_agent(&format!("  {CHROME}  "));
        for _ in 0..2 {
            assert_eq!(
                rules.classify(&Method::GET, &odd),
                Audience::Bot(BotReason::EmptyAgent),
                "not visible ASCII: no agent"
            );
            assert_eq!(rules.classify(&Method::GET, &padded), Audience::Reader);
            assert_eq!(
                rules.classify(&Method::GET, &with_agent("curl/8.5.0")),
                Audience::Bot(BotReason::Crawler)
            );
        }
        let mut h = with_agent(CHROME);
        h.insert("x-moz", HeaderValue::from_static("PreFetch"));
        assert_eq!(
            rules.classify(&Method::GET, &h),
            Audience::Bot(BotReason::Prefetch)
        );
        let mut h = with_agent(CHROME);
        h.insert("x-purpose", HeaderValue::from_static("prefetch"));
        assert_eq!(rules.classify(&Method::GET, &h), Audience::Reader);
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
    fn referrers_are_read_once_and_tell_the_service_own_pages() {
        let own = url::Url::parse("https://badges.example.org/").unwrap();
        let referrers = Referrers::default().own_origin(own.origin());
        let with = |r: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, HeaderValue::from_str(r).unwrap());
            h
        };
        let blog = referrers.read(&with("https://Blog.Example.com/"));
        assert_eq!((&*blog.host, blog.own_page), ("blog.example.com", false));
        // A second reading of the same header is the kept one.
        assert!(Arc::ptr_eq(
            &blog,
            &referrers.read(&with("https://Blog.Example.com/"))
        ));
        let own_page = referrers.read(&with("https://badges.example.org/tools/smolvlm-3b"));
        assert_eq!(
            (&*own_page.host, own_page.own_page),
            ("badges.example.org", true)
        );
        // Another scheme or port is another origin: not the service's own pages.
        for other in [
            "http://badges.example.org/",
            "https://badges.example.org:8443/",
        ] {
            assert!(!referrers.read(&with(other)).own_page, "{other}");
        }
        let none = referrers.read(&HeaderMap::new());
        assert_eq!((&*none.host, none.own_page), ("(direct)", false));
        assert_eq!(&*referrers.read(&with("not a url")).host, "(direct)");
        // Past what is kept, still read right every time.
        let long = format!("https://badges.example.org/{}", "p".repeat(400));
        for _ in 0..2 {
            assert!(referrers.read(&with(&long)).own_page);
        }
        // A reader that does not know the service's origin calls no page its own.
        assert!(!Referrers::default().read(&with(own.as_str())).own_page);
    }

    #[test]
    fn referrer_is_the_lowercased_host_only() {
        let referrers = Referrers::default();
        let of = |r: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, HeaderValue::from_str(r).unwrap());
            referrers.read(&h).host.to_string()
        };
        assert_eq!(&*referrers.read(&HeaderMap::new()).host, "(direct)");
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
