//! The requesting client, as far as counting needs it.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::state::AppState;
use crate::tally::{Kind, Outcome, RequestFacts};
use crate::verdict::Slug;
use axum::http::{Extensions, HeaderMap, Method};

/// The client's IP address: the peer's, or the last `X-Forwarded-For` hop when
/// the service is configured to trust its proxy. Used only for the per-client
/// limit; never stored or logged.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientIp(client_ip(
            state,
            &parts.headers,
            &parts.extensions,
        )))
    }
}

/// The client's IP address of a request with these `headers` and `extensions` (see
/// [`ClientIp`]).
pub fn client_ip(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> IpAddr {
    if state.config.trust_forwarded_for
        && let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|ip| ip.trim().parse().ok())
    {
        return ip;
    }
    crate::server::peer_address()
        .or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0))
        .map(|peer| peer.ip())
        // Requests driven in process (tests) have no socket.
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Records a badge or widget view, unless it comes from the service's own pages:
/// their previews are nobody's impressions.
pub fn record_view(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    client_ip: IpAddr,
    slug: &Slug,
    kind: Kind,
) -> Option<Outcome> {
    let facts = RequestFacts {
        method,
        headers,
        client_ip,
    };
    state.tally.observe_view(&facts, slug, kind)
}
