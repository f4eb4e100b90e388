//! Sharing a verdict: the share card link previews show, oEmbed, and a shields.io endpoint.
//!
//! - `GET /api/card/{slug}.png`: a 1200×630 PNG (the Open Graph size) that `/tools/{slug}`
//!   and `/embed/{slug}` name as their `og:image`.
//! - `GET /oembed?url=…`: the oEmbed 1.0 provider for this service's tool pages, widgets
//!   and badges; it answers the widget's `<iframe>`.
//! - `GET /api/shields/{slug}.json`: the verdict in shields.io's endpoint-badge schema.
//!
//! None of them is counted. The card's readers are link-preview fetchers (Slackbot,
//! Twitterbot, facebookexternalhit…) that fetch once for a whole channel or timeline, and
//! the shields endpoint is read by shields.io's servers, which cache it for every reader:
//! neither is a person seeing the badge. So they need no revalidation on each view, and
//! any cache may keep them for [`MAX_AGE`] seconds.

use super::errors::{BadgeReason, ErrorBody, HttpError, OnSurface, Problem};
use super::extract::{MAX_QUERY_LEN, path_file};
use super::headers;
#[allow(unused_imports)] // named in the OpenAPI description
use super::openapi::Binary;
use crate::badge_cache::Rendered;
use crate::render::{SHARE_HEIGHT, SHARE_WIDTH, Theme, ship_share};
use crate::state::{AppState, link};
use crate::verdict::{Call, Slug, Verdict};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use url::Url;

/// How long any cache may keep a share card, an oEmbed answer or a shields answer, s.
pub const MAX_AGE: u32 = 300;
/// `Cache-Control` of those uncounted answers.
pub static SHARED_CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=300");

/// The widget's width as embed code frames it, px.
pub const WIDGET_WIDTH: u32 = 360;
/// The widget's height as embed code frames it, px.
pub const WIDGET_HEIGHT: u32 = 260;
/// The narrowest frame the widget lays itself out for (its `max-width: 330px` layout
/// holds down to 280 px).
pub const WIDGET_MIN_WIDTH: u32 = 280;
/// The lowest frame the widget shows whole in. It is a fixed-height card (`height: 100%`,
/// a flex column) whose parts have fixed line heights that add up to 240 px at any width
/// from 280 px: padding and border 24, the head at most 58, the tally line 30, a row of
/// reviewer cells 59, the two meta lines 44, the footer 25. Any extra height goes above
/// the footer; in a lower frame the column squeezes the tally line out first (Chromium:
/// whole at 240 px, the tally gone at 210 px).
pub const WIDGET_MIN_HEIGHT: u32 = 240;

/// The brand shown to oEmbed consumers.
const PROVIDER_NAME: &str = "ShipOrSkip";
/// Longest oEmbed query read: the page URL it carries may have tracking parameters.
const OEMBED_MAX_QUERY: usize = 2048;

/// The Open Graph and Twitter card of a page that shows one verdict.
pub struct OpenGraph {
    /// `og:title`.
    pub title: String,
    /// `og:description`.
    pub description: String,
    /// `og:url`: the page's canonical address.
    pub url: String,
    /// `og:image`: the share card, absolute.
    pub image: String,
    /// `og:image:alt`.
    pub image_alt: String,
    /// `og:image:width`.
    pub image_width: u32,
    /// `og:image:height`.
    pub image_height: u32,
}

impl OpenGraph {
    /// The card of `v` for the page at `page` (a path of the service), its image in
    /// `theme` (light unless dark), every URL absolute from `base`.
    pub fn new(base: &Url, v: &Verdict, page: &str, theme: Theme) -> OpenGraph {
        let call = v.verdict.label();
        let split = match v.panel.ship_percent() {
            Some(p) => format!("{call}, {} ({})", ship_share(p), v.tally_words()),
            None => format!("{call}, no panel votes yet"),
        };
        let description = if v.tagline.trim().is_empty() {
            format!("Expert panel verdict: {split}.")
        } else {
            format!("{} — Expert panel verdict: {split}.", v.tagline.trim())
        };
        OpenGraph {
            title: format!("{}: {call} — ShipOrSkip verdict", v.name),
            description,
            url: link(base, page),
            image: card_url(base, &v.slug, theme),
            image_alt: format!(
                "{}: {call}, the expert panel's verdict on ShipOrSkip",
                v.name
            ),
            image_width: SHARE_WIDTH,
            image_height: SHARE_HEIGHT,
        }
    }
}

/// The absolute URL of a tool's share card in `theme` (light unless dark).
pub fn card_url(base: &Url, slug: &Slug, theme: Theme) -> String {
    let card = link(base, &format!("api/card/{slug}.png"));
    match theme {
        Theme::Dark => format!("{card}?theme=dark"),
        _ => card,
    }
}

/// The absolute URL of a tool's shields.io endpoint.
pub fn shields_endpoint(base: &Url, slug: &Slug) -> String {
    link(base, &format!("api/shields/{slug}.json"))
}

/// The shields.io badge URL that reads a tool's endpoint.
pub fn shields_url(base: &Url, slug: &Slug) -> String {
    let endpoint = shields_endpoint(base, slug);
    let encoded: String = url::form_urlencoded::byte_serialize(endpoint.as_bytes()).collect();
    format!("https://img.shields.io/endpoint?url={encoded}")
}

/// The oEmbed discovery URL of a page of the service (absolute).
pub fn oembed_url(base: &Url, page: &str) -> String {
    let page = link(base, page);
    let encoded: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
    format!("{}?url={encoded}", link(base, "oembed"))
}

// ---------------------------------------------------------------------------------------
// The share card.

/// What a share card request asks for, read as far as it goes: the theme to draw in,
/// and the slug or the reason there is none.
fn parse_card(uri: &Uri) -> (Result<Slug, BadgeReason>, Theme) {
    let query = uri.query().unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return (Err(BadgeReason::QueryTooLong), Theme::Light);
    }
    let mut theme = Theme::Light;
    let mut bad_theme = false;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == "theme" {
            match Theme::parse(&value) {
                Ok(t) => theme = t,
                Err(_) => bad_theme = true,
            }
        }
    }
    if bad_theme {
        return (Err(BadgeReason::BadTheme), theme);
    }
    let slug = path_file(uri.path())
        .and_then(|file| {
            let file = file.strip_suffix(".png").unwrap_or(&file);
            Slug::parse(file).ok()
        })
        .ok_or(BadgeReason::InvalidSlug);
    (slug, theme)
}

/// `GET /api/card/{slug}.png`: the share card.
#[utoipa::path(
    get,
    path = "/api/card/{file}",
    tag = "badges",
    params(
        ("file" = String, Path, description = "`SLUG.png` (or `SLUG`)", example = "smolvlm-3b.png"),
        ("theme" = Option<Theme>, Query, description = "`light` (the default) or `dark`; `auto` is light, as for every PNG"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of a copy the client holds: a match answers 304"),
    ),
    responses(
        (status = 200, description = "The tool's share card: a 1200×630 PNG for link previews (`og:image`) with the name, tagline, \
            verdict stamp, panel split and each reviewer's call and score. Never counted as an impression. \
            When something is wrong — an unknown tool, a bad parameter — a card of the same size says what, with `X-Verdict-Error` and `Cache-Control: no-store`.",
            headers(
                ("ETag" = String, description = "Weak validator of the card's pixels"),
                ("Cache-Control" = String, description = "`public, max-age=300`: not counted, so any cache may keep it"),
                ("X-Verdict-Error" = String, description = "On an error card only: `unknown tool`, `invalid slug`, `bad theme`, `query too long`, `unavailable`, `render failed`"),
            ),
            content((Binary = "image/png"))),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
    ),
)]
pub async fn card(State(state): State<AppState>, uri: Uri, request: HeaderMap) -> Response {
    let (slug, theme) = parse_card(&uri);
    let entry = match slug {
        Err(reason) => return card_error(&state, reason, theme).await,
        Ok(slug) => match state.catalog.get(&slug).await {
            Ok(Some(entry)) => entry,
            Ok(None) => return card_error(&state, BadgeReason::UnknownTool, theme).await,
            Err(e) => {
                tracing::warn!(error = %e, "verdict lookup failed");
                return card_error(&state, BadgeReason::Unavailable, theme).await;
            }
        },
    };
    match state.badges.share_card(&entry, theme).await {
        Ok(rendered) => shared_png(&request, rendered),
        Err(e) => {
            tracing::error!(error = %e, slug = %entry.verdict.slug, "rendering a share card failed");
            card_error(&state, BadgeReason::RenderFailed, theme).await
        }
    }
}

/// The card, or a 304 when the client's copy is current; cacheable by anyone.
fn shared_png(request: &HeaderMap, rendered: Rendered) -> Response {
    let mut response = if headers::is_current(request, &rendered.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "image/png")], rendered.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, rendered.etag);
    h.insert(header::CACHE_CONTROL, SHARED_CACHE_CONTROL.clone());
    response
}

/// A share card that says what is wrong: `200` like a badge's error image (a preview
/// shows nothing for an error status), `X-Verdict-Error`, `no-store`.
async fn card_error(state: &AppState, reason: BadgeReason, theme: Theme) -> Response {
    let mut response = match state.badges.share_error(reason.as_str(), theme).await {
        Ok(r) => ([(header::CONTENT_TYPE, "image/png")], r.body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, reason = reason.as_str(), "rendering an error card failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = response.headers_mut();
    h.insert("x-verdict-error", HeaderValue::from_static(reason.as_str()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------------
// oEmbed.

/// An oEmbed 1.0 `rich` answer: the widget in an iframe.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OEmbed {
    /// Always `1.0`.
    #[schema(example = "1.0")]
    pub version: &'static str,
    /// Always `rich`.
    #[serde(rename = "type")]
    #[schema(example = "rich")]
    pub kind: &'static str,
    /// `ShipOrSkip`.
    pub provider_name: &'static str,
    /// The service's public URL.
    pub provider_url: String,
    /// The tool and its verdict.
    pub title: String,
    /// The widget's `<iframe>`, every attribute escaped.
    pub html: String,
    /// The iframe's width: 360, or `maxwidth` when that is from 280 to 359.
    pub width: u32,
    /// The iframe's height: 260, or `maxheight` when that is from 240 to 259.
    pub height: u32,
    /// How long a consumer may keep this answer, s.
    pub cache_age: u32,
    /// The share card (absolute).
    pub thumbnail_url: String,
    /// 1200.
    pub thumbnail_width: u32,
    /// 630.
    pub thumbnail_height: u32,
}

/// What an oEmbed request names: a tool, and the widget theme its URL asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Embeddable {
    /// The tool.
    pub slug: Slug,
    /// `light` or `dark` when the URL asked for one, else the widget's default.
    pub theme: Option<Theme>,
}

/// The tool a URL of this service shows: `/tools/{slug}`, `/embed/{slug}` or
/// `/api/badge/{slug}[.svg|.png]`, under the public URL's origin and path prefix.
/// `None` for any other URL (a foreign host, another path, no valid slug).
pub fn embeddable(base: &Url, url: &Url) -> Option<Embeddable> {
    if url.origin() != base.origin() || url.cannot_be_a_base() {
        return None;
    }
    let prefix = base.path();
    let rest = url.path().strip_prefix(prefix).or_else(|| {
        // A prefix configured without its trailing slash.
        url.path()
            .strip_prefix(prefix.trim_end_matches('/'))
            .and_then(|r| r.strip_prefix('/'))
    })?;
    let rest = rest.trim_start_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let file = match segments.as_slice() {
        ["tools", slug] | ["embed", slug] => *slug,
        ["api", "badge", file] => file
            .strip_suffix(".svg")
            .or_else(|| file.strip_suffix(".png"))
            .unwrap_or(file),
        _ => return None,
    };
    let slug = Slug::parse(file).ok()?;
    let theme = url
        .query_pairs()
        .filter(|(name, _)| name == "theme")
        .filter_map(|(_, value)| Theme::parse(&value).ok())
        .last();
    Some(Embeddable { slug, theme })
}

/// An error answer as JSON, for the statuses [`Problem`] has no variant for (501).
fn json_error(status: StatusCode, error: &str) -> Response {
    let mut response = (
        status,
        Json(ErrorBody {
            error: error.to_owned(),
            fields: None,
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A size parameter: a whole number of pixels.
fn pixels(name: &str, value: &str) -> Result<u32, HttpError> {
    value.trim().parse::<u32>().map_err(|_| {
        let value: String = value.chars().take(40).collect();
        HttpError::Api(Problem::BadRequest(format!(
            "{name} must be a whole number of pixels, got {value:?}"
        )))
    })
}

/// HTML attribute escaping for the iframe (the pages' escaper).
fn attr(text: &str) -> String {
    askama::filters::escape(text, crate::text::Html)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// `GET /oembed`: the oEmbed provider.
#[utoipa::path(
    get,
    path = "/oembed",
    tag = "badges",
    params(
        ("url" = String, Query, description = "A URL of this service (its `--public-url` origin): `/tools/{slug}`, `/embed/{slug}` or `/api/badge/{slug}[.svg|.png]`, query allowed", example = "https://badges.example.com/tools/smolvlm-3b"),
        ("maxwidth" = Option<u32>, Query, description = "Widest frame the consumer allows, px: 360 and up gets 360, 280–359 gets that width, below 280 there is no representation (404)"),
        ("maxheight" = Option<u32>, Query, description = "Highest frame the consumer allows, px: 260 and up gets 260, 240–259 gets that height (the widget's least), below 240 there is no representation (404)"),
        ("format" = Option<String>, Query, description = "`json` (the default); `xml` is not implemented (501)"),
    ),
    responses(
        (status = 200, description = "The widget as an oEmbed 1.0 `rich` answer, with the share card as its thumbnail; not counted (the iframe's loads are)", body = OEmbed,
            headers(("Access-Control-Allow-Origin" = String, description = "`*`: any page may read it"))),
        (status = 400, description = "`url` is missing or not an absolute URL, or a size is not a number", body = ErrorBody),
        (status = 404, description = "Not a URL of this service, no such tool, or no representation within `maxwidth`/`maxheight`", body = ErrorBody),
        (status = 501, description = "A format other than `json`", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn oembed(State(state): State<AppState>, uri: Uri) -> Result<Response, HttpError> {
    let query = uri.query().unwrap_or("");
    if query.len() > OEMBED_MAX_QUERY {
        return Err(HttpError::Api(Problem::BadRequest(format!(
            "the query is longer than {OEMBED_MAX_QUERY} characters"
        ))));
    }
    let (mut url, mut maxwidth, mut maxheight, mut format) = (None, None, None, None);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "url" => url = Some(value.into_owned()),
            "maxwidth" => maxwidth = Some(pixels("maxwidth", &value)?),
            "maxheight" => maxheight = Some(pixels("maxheight", &value)?),
            "format" => format = Some(value.into_owned()),
            _ => {}
        }
    }
    if let Some(format) = format.filter(|f| f != "json") {
        let format: String = format.chars().take(20).collect();
        return Ok(json_error(
            StatusCode::NOT_IMPLEMENTED,
            &format!("format {format:?} is not implemented; only json is"),
        ));
    }
    let url = url.filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        HttpError::Api(Problem::BadRequest(
            "the url parameter is required: the address of a tool page, widget or badge".into(),
        ))
    })?;
    let url = Url::parse(url.trim()).map_err(|e| {
        HttpError::Api(Problem::BadRequest(format!(
            "url is not an absolute URL: {e}"
        )))
    })?;
    let Some(target) = embeddable(&state.public_url, &url) else {
        return Err(HttpError::Api(Problem::NotFound(
            "not a tool page, widget or badge of this service",
        )));
    };
    let width = match maxwidth {
        Some(w) if w < WIDGET_MIN_WIDTH => {
            return Err(HttpError::Api(Problem::NotFound(
                "no representation fits maxwidth: the widget needs at least 280 px",
            )));
        }
        Some(w) => w.min(WIDGET_WIDTH),
        None => WIDGET_WIDTH,
    };
    let height = match maxheight {
        Some(h) if h < WIDGET_MIN_HEIGHT => {
            return Err(HttpError::Api(Problem::NotFound(
                "no representation fits maxheight: the widget needs at least 240 px",
            )));
        }
        Some(h) => h.min(WIDGET_HEIGHT),
        None => WIDGET_HEIGHT,
    };
    let Some(entry) = state.catalog.get(&target.slug).await.on_api()? else {
        return Err(HttpError::Api(Problem::NotFound(
            "no verdict for this slug",
        )));
    };
    let v = &entry.verdict;
    let base = &state.public_url;
    let mut src = link(base, &format!("embed/{}", v.slug));
    match target.theme {
        Some(Theme::Light) => src.push_str("?theme=light"),
        Some(Theme::Dark) => src.push_str("?theme=dark"),
        _ => {}
    }
    let call = v.verdict.label();
    let name = crate::text::visible(&v.name).into_owned();
    let html = format!(
        r#"<iframe src="{}" title="{} ShipOrSkip verdict" width="{width}" height="{height}" style="border:0;border-radius:16px;max-width:100%;" loading="lazy"></iframe>"#,
        attr(&src),
        attr(&name)
    );
    let answer = OEmbed {
        version: "1.0",
        kind: "rich",
        provider_name: PROVIDER_NAME,
        provider_url: base.to_string(),
        title: format!("{name}: {call} — ShipOrSkip verdict"),
        html,
        width,
        height,
        cache_age: MAX_AGE,
        thumbnail_url: card_url(base, &v.slug, target.theme.unwrap_or(Theme::Light)),
        thumbnail_width: SHARE_WIDTH,
        thumbnail_height: SHARE_HEIGHT,
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, SHARED_CACHE_CONTROL.clone());
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// shields.io endpoint.

/// The shields.io endpoint-badge schema (`https://shields.io/badges/endpoint-badge`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shields {
    /// Always 1.
    pub schema_version: u8,
    /// `ShipOrSkip`.
    pub label: &'static str,
    /// `Ship · 75% ship`, `Skip · 25% ship`, or `Ship` with no panel votes; on an error,
    /// what is wrong (`unknown tool`).
    pub message: String,
    /// The verdict's colour as hex without `#` (`1a7f37` Ship, `c8232c` Skip), or
    /// `lightgrey` on an error.
    pub color: &'static str,
    /// How long shields.io keeps the answer, s (300, the least it allows).
    pub cache_seconds: u32,
    /// Present and `true` when the message is an error.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

/// The badge colours of each call, as shields.io takes them.
const SHIP_COLOR: &str = "1a7f37";
const SKIP_COLOR: &str = "c8232c";

impl Shields {
    /// The endpoint answer for a verdict.
    pub fn of(v: &Verdict) -> Shields {
        let call = v.verdict.label();
        Shields {
            schema_version: 1,
            label: PROVIDER_NAME,
            message: match v.panel.ship_percent() {
                Some(p) => format!("{call} · {}", ship_share(p)),
                None => call.to_owned(),
            },
            color: match v.verdict {
                Call::Ship => SHIP_COLOR,
                Call::Skip => SKIP_COLOR,
            },
            cache_seconds: MAX_AGE,
            is_error: false,
        }
    }

    /// The endpoint answer saying what is wrong.
    pub fn error(reason: BadgeReason) -> Shields {
        Shields {
            schema_version: 1,
            label: PROVIDER_NAME,
            message: reason.as_str().to_owned(),
            color: "lightgrey",
            cache_seconds: MAX_AGE,
            is_error: true,
        }
    }
}

/// `GET /api/shields/{slug}.json`: the verdict for a shields.io endpoint badge.
#[utoipa::path(
    get,
    path = "/api/shields/{file}",
    tag = "badges",
    params(("file" = String, Path, description = "`SLUG.json` (or `SLUG`)", example = "smolvlm-3b.json")),
    responses(
        (status = 200, description = "The verdict in shields.io's endpoint-badge schema; not counted (shields.io fetches it for all readers). \
            On an error too — an unknown tool, an invalid slug, the store unavailable — shields.io shows only `200` answers, so the error \
            is this schema with `isError: true`, the reason as `message`, `X-Verdict-Error` and `Cache-Control: no-store`.",
            body = Shields,
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300` (`no-store` on an error)"),
                ("X-Verdict-Error" = String, description = "On an error only: `unknown tool`, `invalid slug`, `unavailable`"),
            )),
    ),
)]
pub async fn shields(State(state): State<AppState>, uri: Uri) -> Response {
    let slug = path_file(uri.path())
        .and_then(|file| Slug::parse(file.strip_suffix(".json").unwrap_or(&file)).ok());
    let answer = match slug {
        None => Err(BadgeReason::InvalidSlug),
        Some(slug) => match state.catalog.get(&slug).await {
            Ok(Some(entry)) => Ok(Shields::of(&entry.verdict)),
            Ok(None) => Err(BadgeReason::UnknownTool),
            Err(e) => {
                tracing::warn!(error = %e, "verdict lookup failed");
                Err(BadgeReason::Unavailable)
            }
        },
    };
    match answer {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, SHARED_CACHE_CONTROL.clone());
            response
        }
        Err(reason) => {
            let mut response = Json(Shields::error(reason)).into_response();
            let h = response.headers_mut();
            h.insert("x-verdict-error", HeaderValue::from_static(reason.as_str()));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://badges.example/sub/").unwrap()
    }

    fn target(url: &str) -> Option<(String, Option<Theme>)> {
        embeddable(&base(), &Url::parse(url).unwrap()).map(|e| (e.slug.to_string(), e.theme))
    }

    #[test]
    fn only_this_services_tool_pages_widgets_and_badges_are_embeddable() {
        let ok = |url: &str| target(url).map(|t| t.0);
        let x = Some("smolvlm-3b".to_owned());
        assert_eq!(ok("https://badges.example/sub/tools/smolvlm-3b"), x);
        assert_eq!(ok("https://badges.example/sub/embed/smolvlm-3b?x=1"), x);
        assert_eq!(ok("https://badges.example/sub/api/badge/smolvlm-3b"), x);
        assert_eq!(ok("https://badges.example/sub/api/badge/smolvlm-3b.svg"), x);
        assert_eq!(
            ok("https://badges.example/sub/api/badge/smolvlm-3b.png?scale=2#f"),
            x
        );
        assert_eq!(
            target("https://badges.example/sub/embed/a?theme=dark"),
            Some(("a".into(), Some(Theme::Dark)))
        );
        for foreign in [
            "http://badges.example/sub/tools/smolvlm-3b",
            "https://badges.example:8443/sub/tools/smolvlm-3b",
            "https://evil.example/sub/tools/smolvlm-3b",
            "https://badges.example/tools/smolvlm-3b",
            "https://badges.example/sub/tools/smolvlm-3b/extra",
            "https://badges.example/sub/tools/Not_A_Slug",
            "https://badges.example/sub/stats/smolvlm-3b",
            "https://badges.example/sub/api/badge/smolvlm-3b.gif",
            "mailto:someone@badges.example",
        ] {
            assert_eq!(target(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn share_urls_are_absolute_and_encoded() {
        let slug = Slug::parse("smolvlm-3b").unwrap();
        assert_eq!(
            card_url(&base(), &slug, Theme::Dark),
            "https://badges.example/sub/api/card/smolvlm-3b.png?theme=dark"
        );
        assert_eq!(
            shields_url(&base(), &slug),
            "https://img.shields.io/endpoint?url=https%3A%2F%2Fbadges.example%2Fsub%2Fapi%2Fshields%2Fsmolvlm-3b.json"
        );
        assert_eq!(
            oembed_url(&base(), "tools/smolvlm-3b"),
            "https://badges.example/sub/oembed?url=https%3A%2F%2Fbadges.example%2Fsub%2Ftools%2Fsmolvlm-3b"
        );
    }

    #[test]
    fn shields_messages_use_the_badges_wording() {
        let samples = crate::verdict::demo_verdicts();
        let ship = samples
            .iter()
            .find(|v| v.slug.as_str() == "smolvlm-3b")
            .unwrap();
        assert_eq!(Shields::of(ship).message, "Ship · 75% ship");
        assert_eq!(Shields::of(ship).color, "1a7f37");
        let skip = samples
            .iter()
            .find(|v| v.slug.as_str() == "example-prompt-wrapper")
            .unwrap();
        assert_eq!(Shields::of(skip).message, "Skip · 25% ship");
        let json = serde_json::to_value(Shields::error(BadgeReason::UnknownTool)).unwrap();
        assert_eq!(json["isError"], true);
        assert_eq!(json["message"], "unknown tool");
        assert!(serde_json::to_value(Shields::of(ship)).unwrap()["isError"].is_null());
    }
}
