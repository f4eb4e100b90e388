//! Image proxies: who may fetch for many readers at once, and be counted as many.
//!
//! GitHub shows README images through camo, Gmail through its image proxy: one address
//! then stands for many readers, so the per-address limit would undercount them. But a
//! User-Agent is free to claim anything, so the exemption is granted only to requests
//! that say they are an image proxy *and* come from the address ranges the proxies'
//! owners publish. Those lists change; keep them current with `--image-proxy-ranges`:
//!
//! - GitHub camo: the `hooks` ranges of <https://api.github.com/meta>
//!   (`curl -s https://api.github.com/meta | jq -r '.hooks[]'`), from which GitHub's
//!   servers make their outbound requests;
//! - Google's image proxy (`GoogleImageProxy`): Google-owned user-triggered fetchers,
//!   <https://developers.google.com/static/crawling/ipranges/user-triggered-fetchers-google.json>
//!   (`jq -r '.prefixes[] | .ipv4Prefix // .ipv6Prefix'`), which the defaults below
//!   approximate with the netblocks its `google-proxy-*.google.com` hosts sit in.

use ipnet::IpNet;
use std::net::IpAddr;

/// The ranges the service trusts as image proxies when started without `--image-proxy-ranges`.
pub const DEFAULT_IMAGE_PROXY_RANGES: &[&str] = &[
    // GitHub (api.github.com/meta, "hooks"): camo.githubusercontent.com fetches from these.
    "192.30.252.0/22",
    "185.199.108.0/22",
    "140.82.112.0/20",
    "143.55.64.0/20",
    "2a0a:a440::/29",
    "2606:50c0::/32",
    // Google: the netblocks of google-proxy-*.google.com (Gmail's image proxy).
    "66.249.80.0/20",
    "66.102.0.0/20",
    "64.233.160.0/19",
    "72.14.192.0/18",
    "74.125.0.0/16",
];

/// Address ranges whose image-proxy requests are exempt from the per-reader limit.
#[derive(Clone, Debug, Default)]
pub struct ProxyRanges {
    ranges: Vec<IpNet>,
}

impl ProxyRanges {
    /// The given ranges.
    pub fn new(ranges: impl IntoIterator<Item = IpNet>) -> ProxyRanges {
        ProxyRanges {
            ranges: ranges.into_iter().collect(),
        }
    }

    /// [`DEFAULT_IMAGE_PROXY_RANGES`].
    pub fn defaults() -> ProxyRanges {
        ProxyRanges::new(
            DEFAULT_IMAGE_PROXY_RANGES
                .iter()
                .map(|r| r.parse().expect("the default ranges parse")),
        )
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address) is in a range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.ranges.iter().any(|r| r.contains(&ip))
    }
}

/// What the per-address limit keys on: an IPv4 address, or an IPv6 address's /64
/// (one subscriber's network: its host part is the client's to choose).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_camo_and_google_and_nobody_else() {
        let p = ProxyRanges::defaults();
        assert!(p.contains("140.82.115.145".parse().unwrap()));
        assert!(p.contains("::ffff:140.82.115.145".parse().unwrap()));
        assert!(p.contains("66.249.84.12".parse().unwrap()));
        assert!(p.contains("2606:50c0:8000::154".parse().unwrap()));
        assert!(!p.contains("203.0.113.9".parse().unwrap()));
        assert!(!p.contains("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a = limit_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = limit_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = limit_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            limit_key("::ffff:10.0.0.1".parse().unwrap()),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }
}
