//! Signing in to the owners' page and out again.
//!
//! Signing in takes a tool's **stats key** (never the admin token, which must not sit in
//! a browser for a month) from a form and keeps it in a cookie that is `HttpOnly`,
//! `SameSite=Strict`, limited to the tool's page path, and `Secure` when the service is
//! public over https. The forms refuse cross-site posts (`Origin`, `Sec-Fetch-Site`),
//! and their bodies are bounded.

use super::private;
use crate::auth::{Denied, Grant, SecretString};
use crate::http::errors::{HttpError, Problem};
use crate::http::extract::{OWNER_COOKIE, PageSlug};
use crate::http::pages;
use crate::state::AppState;
use crate::verdict::Slug;
use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

/// Largest sign-in form body read, in bytes; a key is under a hundred.
pub const MAX_FORM_BYTES: usize = 2048;
/// How long a sign-in lasts (30 days).
const COOKIE_MAX_AGE: time::Duration = time::Duration::days(30);

#[derive(Template)]
#[template(path = "stats_signin.html")]
struct SignInPage<'a> {
    slug: &'a str,
    name: &'a str,
    /// Why the last attempt failed; empty on a first visit.
    error: &'a str,
}

/// The sign-in form with `status`, saying `error` (empty on a first visit).
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

/// The answer of the stats page to a credential that opens nothing: the sign-in form,
/// saying why when a credential was presented.
pub(super) fn refused(
    denied: Denied,
    slug: &Slug,
    name: &str,
    presented: bool,
) -> Result<Response, HttpError> {
    match denied {
        Denied::Missing => Ok(sign_in_page(StatusCode::UNAUTHORIZED, slug, name, "")),
        Denied::Unknown => Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            slug,
            name,
            if presented {
                "That key opens nothing here: it may have been revoked. Sign in again."
            } else {
                ""
            },
        )),
        Denied::OtherTool => Ok(sign_in_page(
            StatusCode::FORBIDDEN,
            slug,
            name,
            "This key belongs to another tool.",
        )),
        Denied::Store(e) => Err(HttpError::Page(e.into())),
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
    let mut cookie = Cookie::build((OWNER_COOKIE, key.unwrap_or("").to_owned()))
        .path(format!("/stats/{slug}"))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(match key {
            Some(_) => COOKIE_MAX_AGE,
            None => time::Duration::ZERO,
        })
        .build();
    if !secure {
        cookie.set_secure(None);
    }
    HeaderValue::from_str(&cookie.encoded().to_string())
        .expect("a percent-encoded cookie is header-safe")
}

/// Whether the request's body is an HTML form.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// A redirect back to the page that sets or clears the cookie.
fn back_to_page(slug: &Slug, cookie: HeaderValue) -> Response {
    let location = HeaderValue::from_str(&format!("/stats/{slug}")).expect("a slug is header-safe");
    private(
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
        )
            .into_response(),
    )
}

/// Refuses a form post that did not come from this service's own page.
fn refuse_cross_site(headers: &HeaderMap, state: &AppState, what: &str) -> Result<(), HttpError> {
    if same_origin_post(headers, &state.public_url) {
        return Ok(());
    }
    Err(HttpError::Page(Problem::Forbidden(match what {
        "in" => "The sign-in form must be sent from this service's own stats page.",
        _ => "The sign-out form must be sent from this service's own stats page.",
    })))
}

/// `POST /stats/{slug}`: sign in with a stats key (form field `key`), then back to the page.
#[utoipa::path(
    post,
    path = "/stats/{slug}",
    tag = "stats",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`key=vbk_…`: the tool's stats key (the admin token is refused here). At most 2 KiB; the post must come from this service's own page."),
    responses(
        (status = 303, description = "Signed in: back to the page, with an HttpOnly, SameSite=Strict cookie scoped to it",
            headers(("Set-Cookie" = String, description = "`vb_stats_key`, 30 days"))),
        (status = 401, description = "The key opens nothing: the form again, saying so", content_type = "text/html"),
        (status = 403, description = "Another tool's key, the admin token, or a cross-site post", content_type = "text/html"),
        (status = 413, description = "The form is too large", content_type = "text/html"),
        (status = 415, description = "Not a form", content_type = "text/html"),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    refuse_cross_site(&headers, &state, "in")?;
    if !is_form(&headers) {
        return Err(HttpError::Page(Problem::UnsupportedMedia(
            "Send the key as a form (application/x-www-form-urlencoded).",
        )));
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(HttpError::Page(Problem::TooLarge(
            "The form is larger than a stats key could ever be.",
        )));
    };
    let name = super::tool_name(&state, &slug).await?;
    let key = url::form_urlencoded::parse(&bytes)
        .find(|(field, _)| field == "key")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if key.is_empty() {
        return Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            &slug,
            &name,
            "Paste the stats key you were given for this tool.",
        ));
    }
    let secret = SecretString::from(key.clone());
    match state.authorize(Some(&secret), &slug).await {
        Ok(Grant::StatsKey) => {
            let secure = state.public_url.scheme() == "https";
            Ok(back_to_page(&slug, set_cookie(&slug, Some(&key), secure)))
        }
        // The admin token opens every tool: it is for scripts (a bearer header), never
        // for a month-long cookie in a browser.
        Ok(Grant::Admin) => Ok(sign_in_page(
            StatusCode::FORBIDDEN,
            &slug,
            &name,
            "That is the admin token. Sign in with this tool's stats key; scripts may send the admin token as a bearer header.",
        )),
        Err(Denied::Missing | Denied::Unknown) => Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            &slug,
            &name,
            "That key opens nothing here. Check it, or ask for a new one.",
        )),
        Err(denied) => refused(denied, &slug, &name, true),
    }
}

/// `POST /stats/{slug}/sign-out`: forget the key, then back to the sign-in form.
#[utoipa::path(
    post,
    path = "/stats/{slug}/sign-out",
    tag = "stats",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    responses(
        (status = 303, description = "Signed out: the cookie is cleared", headers(("Set-Cookie" = String, description = "`vb_stats_key`, expired"))),
        (status = 403, description = "A cross-site post", content_type = "text/html"),
    ),
)]
pub async fn sign_out(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    refuse_cross_site(&headers, &state, "out")?;
    let secure = state.public_url.scheme() == "https";
    Ok(back_to_page(&slug, set_cookie(&slug, None, secure)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
