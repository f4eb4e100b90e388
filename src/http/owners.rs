//! The owners' stats page (`/stats/{slug}`) and the CSV export of a tool's daily counts.
//!
//! Access follows [`super::stats::authorize`] exactly: the admin token or that
//! tool's stats key, given as a bearer token or, on the page, through a cookie set
//! by signing in. The cookie is `HttpOnly`, `SameSite=Strict`, limited to the
//! tool's page path, and `Secure` when the service is public over https; the
//! sign-in and sign-out forms also refuse cross-site posts (`Origin`,
//! `Sec-Fetch-Site`), and their bodies are bounded.

use super::errors::AppError;
use super::pages;
use super::stats::authorize;
use super::verdicts::parse_slug;
use crate::app::AppState;
use crate::chart::DailyChart;
use crate::stats::{self, Stats};
use crate::verdict::Slug;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Name of the cookie that holds the stats key on the owners' page.
pub const COOKIE: &str = "vb_stats_key";
/// Largest sign-in form body read, in bytes; a key is under a hundred.
pub const MAX_FORM_BYTES: usize = 2048;
/// How long a sign-in lasts, in seconds (30 days).
const COOKIE_MAX_AGE: u32 = 30 * 24 * 60 * 60;
/// Header line of the CSV export.
pub const CSV_HEADER: &str = "date,badge_impressions,widget_impressions,clicks";
/// Windows offered on the page, in days.
const RANGES: [u32; 4] = [7, 30, 90, 366];

/// Click-through rate: clicks over badge and widget impressions, "–" when there were none.
pub fn click_through(clicks: i64, impressions: i64) -> String {
    if impressions <= 0 {
        return "–".to_owned();
    }
    let percent = clicks as f64 * 100.0 / impressions as f64;
    if percent >= 10.0 || percent == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent:.1}%")
    }
}

/// The daily counts as CSV: the header line, then one row per day, oldest first.
pub fn to_csv(stats: &Stats) -> String {
    let mut out = String::with_capacity(CSV_HEADER.len() + 1 + stats.daily.len() * 24);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for d in &stats.daily {
        // Dates are YYYY-MM-DD and counts are integers: nothing needs quoting.
        out.push_str(&format!(
            "{},{},{},{}\r\n",
            d.date, d.badge_impressions, d.widget_impressions, d.clicks
        ));
    }
    out
}

/// The stats key in the request's cookie for this page, if any.
fn cookie_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| percent_decode_str(value).decode_utf8().ok())
        .map(|v| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// How the request proved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// An `Authorization: Bearer` header.
    Bearer,
    /// The sign-in cookie.
    Cookie,
    /// Nothing at all.
    Nothing,
}

/// The headers to authorize with: the request's own bearer token, else the cookie's key as one.
fn credentials(headers: &HeaderMap) -> (HeaderMap, Via) {
    if crate::auth::bearer(headers).is_some() {
        let mut only = HeaderMap::new();
        if let Some(v) = headers.get(header::AUTHORIZATION) {
            only.insert(header::AUTHORIZATION, v.clone());
        }
        return (only, Via::Bearer);
    }
    let mut only = HeaderMap::new();
    match cookie_key(headers).and_then(|k| HeaderValue::from_str(&format!("Bearer {k}")).ok()) {
        Some(v) => {
            only.insert(header::AUTHORIZATION, v);
            (only, Via::Cookie)
        }
        None => (only, Via::Nothing),
    }
}

/// Whether a form post comes from this service's own pages, not another site.
///
/// Browsers send `Sec-Fetch-Site` and `Origin` on posts; a client that sends
/// neither is not a browser, and so cannot be tricked into posting.
pub fn same_origin_post(headers: &HeaderMap, public_url: &url::Url) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        // Includes `Origin: null` (sandboxed frames, redirects across sites).
        return false;
    };
    if origin.origin() == public_url.origin() {
        return true;
    }
    // Reached by another name than the public URL (a LAN address, a test): the
    // origin must then be the very host the request was sent to.
    let authority = match (origin.host_str(), origin.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => return false,
    };
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(&authority))
}

/// `Set-Cookie` for signing in (`Some(key)`) or out (`None`).
fn set_cookie(slug: &Slug, key: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = match key {
        Some(key) => format!(
            "{COOKIE}={}; Path=/stats/{slug}; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Strict{secure}",
            utf8_percent_encode(key, NON_ALPHANUMERIC)
        ),
        None => {
            format!("{COOKIE}=; Path=/stats/{slug}; Max-Age=0; HttpOnly; SameSite=Strict{secure}")
        }
    };
    HeaderValue::from_str(&value).expect("a percent-encoded cookie is header-safe")
}

/// One referrer row of the page.
struct ReferrerRow {
    host: String,
    impressions: i64,
    clicks: i64,
    ctr: String,
}

/// A window choice of the page.
struct Range {
    days: u32,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    slug: String,
    name: String,
    days: u32,
    from: String,
    to: String,
    badge_impressions: i64,
    widget_impressions: i64,
    clicks: i64,
    bot_requests: i64,
    ctr: String,
    chart: DailyChart,
    referrers: Vec<ReferrerRow>,
    ranges: Vec<Range>,
    signed_in: bool,
}

#[derive(Template)]
#[template(path = "stats_signin.html")]
struct SignInPage<'a> {
    slug: &'a str,
    name: &'a str,
    /// Why the last attempt failed; empty on a first visit.
    error: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A page that holds or asks for secrets: never stored by any cache.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    private(pages::html(
        status,
        MessagePage {
            title,
            message: text,
        }
        .render(),
    ))
}

fn sign_in_page(status: StatusCode, slug: &Slug, name: &str, error: &str) -> Response {
    let mut response = private(pages::html(
        status,
        SignInPage {
            slug: slug.as_str(),
            name,
            error,
        }
        .render(),
    ));
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The tool's display name, or `None` for a tool the service does not know.
async fn tool_name(state: &AppState, slug: &Slug) -> Result<Option<String>, AppError> {
    Ok(state
        .catalog
        .get(slug)
        .await?
        .map(|entry| entry.verdict.name.clone()))
}

fn days_param(query: Option<&str>) -> Result<u32, String> {
    let mut days = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name == "days" {
            days = Some(value.into_owned());
        }
    }
    stats::parse_days(days.as_deref())
}

/// `GET /stats/{slug}`: the stats page, or the sign-in form.
pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Ok(slug) = Slug::parse(&slug) else {
        return pages::not_found_page("No such tool");
    };
    let name = match tool_name(&state, &slug).await {
        Ok(Some(name)) => name,
        Ok(None) => return pages::not_found_page("No such tool"),
        Err(e) => return unavailable(e),
    };
    let days = match days_param(query.as_deref()) {
        Ok(days) => days,
        Err(e) => return message(StatusCode::BAD_REQUEST, "Bad days parameter", &e),
    };
    let (creds, via) = credentials(&headers);
    match authorize(&state, &creds, &slug).await {
        Ok(()) => {}
        Err(AppError::Unauthorized) => {
            let error = match via {
                Via::Nothing => "",
                _ => "That key opens nothing here: it may have been revoked. Sign in again.",
            };
            return sign_in_page(StatusCode::UNAUTHORIZED, &slug, &name, error);
        }
        Err(AppError::Forbidden(why)) => {
            return sign_in_page(StatusCode::FORBIDDEN, &slug, &name, &capitalized(why));
        }
        Err(e) => return unavailable(e),
    }
    let stats = match stats::read(&state.store, &slug, days).await {
        Ok(s) => s,
        Err(e) => return unavailable(e.into()),
    };
    let referrers = stats
        .referrers
        .iter()
        .map(|r| ReferrerRow {
            host: r.host.clone(),
            impressions: r.impressions,
            clicks: r.clicks,
            ctr: click_through(r.clicks, r.impressions),
        })
        .collect();
    let t = &stats.totals;
    let page = StatsPage {
        slug: slug.to_string(),
        name,
        days,
        from: stats.from.clone(),
        to: stats.to.clone(),
        badge_impressions: t.badge_impressions,
        widget_impressions: t.widget_impressions,
        clicks: t.clicks,
        bot_requests: t.bot_requests,
        ctr: click_through(t.clicks, t.badge_impressions + t.widget_impressions),
        chart: DailyChart::new(&stats.daily),
        referrers,
        ranges: RANGES
            .iter()
            .map(|&d| Range {
                days: d,
                label: match d {
                    7 => "7 days",
                    30 => "30 days",
                    90 => "90 days",
                    _ => "A year",
                },
                current: d == days,
            })
            .collect(),
        signed_in: via == Via::Cookie,
    };
    private(pages::html(StatusCode::OK, page.render()))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn unavailable(e: AppError) -> Response {
    tracing::warn!(error = %e, "the owners' page could not read the store");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Stats are unavailable just now",
        "The store cannot be reached. Try again in a moment.",
    )
}

/// `POST /stats/{slug}`: sign in with a stats key (form field `key`), then back to the page.
pub async fn sign_in(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(slug) = Slug::parse(&slug) else {
        return pages::not_found_page("No such tool");
    };
    if !same_origin_post(&headers, &state.public_url) {
        return message(
            StatusCode::FORBIDDEN,
            "Sign-in refused",
            "The sign-in form must be sent from this service's own stats page.",
        );
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Sign-in refused",
            "Send the key as a form (application/x-www-form-urlencoded).",
        );
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Sign-in refused",
            "The form is larger than a stats key could ever be.",
        );
    };
    let name = match tool_name(&state, &slug).await {
        Ok(Some(name)) => name,
        Ok(None) => return pages::not_found_page("No such tool"),
        Err(e) => return unavailable(e),
    };
    let key = url::form_urlencoded::parse(&bytes)
        .find(|(field, _)| field == "key")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let bearer = HeaderValue::from_str(&format!("Bearer {key}"));
    let mut creds = HeaderMap::new();
    match bearer {
        Ok(v) if !key.is_empty() => {
            creds.insert(header::AUTHORIZATION, v);
        }
        _ => {
            return sign_in_page(
                StatusCode::UNAUTHORIZED,
                &slug,
                &name,
                "Paste the stats key you were given for this tool.",
            );
        }
    }
    match authorize(&state, &creds, &slug).await {
        Ok(()) => {
            let secure = state.public_url.scheme() == "https";
            let location =
                HeaderValue::from_str(&format!("/stats/{slug}")).expect("a slug is header-safe");
            private(
                (
                    StatusCode::SEE_OTHER,
                    [
                        (header::LOCATION, location),
                        (header::SET_COOKIE, set_cookie(&slug, Some(&key), secure)),
                    ],
                )
                    .into_response(),
            )
        }
        Err(AppError::Unauthorized) => sign_in_page(
            StatusCode::UNAUTHORIZED,
            &slug,
            &name,
            "That key opens nothing here. Check it, or ask for a new one.",
        ),
        Err(AppError::Forbidden(why)) => {
            sign_in_page(StatusCode::FORBIDDEN, &slug, &name, &capitalized(why))
        }
        Err(e) => unavailable(e),
    }
}

/// `POST /stats/{slug}/sign-out`: forget the key, then back to the sign-in form.
pub async fn sign_out(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(slug) = Slug::parse(&slug) else {
        return pages::not_found_page("No such tool");
    };
    if !same_origin_post(&headers, &state.public_url) {
        return message(
            StatusCode::FORBIDDEN,
            "Sign-out refused",
            "The sign-out form must be sent from this service's own stats page.",
        );
    }
    let secure = state.public_url.scheme() == "https";
    let location = HeaderValue::from_str(&format!("/stats/{slug}")).expect("a slug is header-safe");
    private(
        (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::SET_COOKIE, set_cookie(&slug, None, secure)),
            ],
        )
            .into_response(),
    )
}

/// `GET /api/stats/{slug}.csv`: the daily counts as CSV for `slug` (without its `.csv`),
/// for the bearer of the admin token or the tool's key.
pub async fn api_csv(
    state: &AppState,
    slug: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let slug = parse_slug(slug)?;
    let days = days_param(query).map_err(AppError::BadRequest)?;
    authorize(state, headers, &slug).await?;
    let stats = stats::read(&state.store, &slug, days).await?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{slug}-stats-{}-to-{}.csv\"",
        stats.from, stats.to
    ))
    .expect("slug and dates are header-safe");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        to_csv(&stats),
    )
        .into_response())
}

/// `GET /stats/{slug}/export.csv`: the same CSV, for the signed-in page (cookie) or a bearer.
pub async fn page_csv(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (creds, _) = credentials(&headers);
    api_csv(&state, &slug, query.as_deref(), &creds).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_through_rates() {
        assert_eq!(click_through(0, 0), "–");
        assert_eq!(click_through(3, 0), "–");
        assert_eq!(click_through(0, 10), "0%");
        assert_eq!(click_through(1, 3), "33%");
        assert_eq!(click_through(1, 40), "2.5%");
    }

    #[test]
    fn cookies_are_read_by_name_and_decoded() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vb_stats_key=abc%3Bdef; b=2"),
        );
        assert_eq!(cookie_key(&h).as_deref(), Some("abc;def"));
        let (creds, via) = credentials(&h);
        assert_eq!(via, Via::Cookie);
        assert_eq!(crate::auth::bearer(&creds), Some("abc;def"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(credentials(&h).1, Via::Bearer);
        assert_eq!(credentials(&HeaderMap::new()).1, Via::Nothing);
    }

    #[test]
    fn the_cookie_is_strict_and_scoped() {
        let slug = Slug::parse("smolvlm-3b").unwrap();
        let c = set_cookie(&slug, Some("k;y"), true);
        let c = c.to_str().unwrap();
        assert!(c.starts_with("vb_stats_key=k%3By;"), "{c}");
        for part in [
            "Path=/stats/smolvlm-3b",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
        ] {
            assert!(c.contains(part), "{c}");
        }
        let out = set_cookie(&slug, None, false);
        let out = out.to_str().unwrap();
        assert!(
            out.contains("Max-Age=0") && !out.contains("Secure"),
            "{out}"
        );
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let public = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        let post = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(
                    header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            same_origin_post(&h, &public)
        };
        assert!(post(&[]));
        assert!(post(&[("origin", "http://127.0.0.1:8080")]));
        assert!(post(&[
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(post(&[("origin", "http://lan:9"), ("host", "lan:9")]));
        assert!(!post(&[("origin", "https://evil.example")]));
        assert!(!post(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080")
        ]));
        assert!(!post(&[("origin", "null")]));
        assert!(!post(&[("sec-fetch-site", "cross-site")]));
        assert!(!post(&[("sec-fetch-site", "same-site")]));
    }

    #[test]
    fn csv_has_a_row_per_day() {
        let s = crate::stats::summarize(
            &Slug::parse("a").unwrap(),
            time::macros::date!(2026 - 11 - 20),
            time::macros::date!(2026 - 11 - 22),
            &[crate::store::CountRow {
                slug: "a".into(),
                day: "2026-11-21".into(),
                kind: "click".into(),
                referrer: "x".into(),
                n: 2,
            }],
        );
        assert_eq!(
            to_csv(&s),
            "date,badge_impressions,widget_impressions,clicks\r\n\
             2026-11-20,0,0,0\r\n2026-11-21,0,0,2\r\n2026-11-22,0,0,0\r\n"
        );
    }
}
