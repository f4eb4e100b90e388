//! Extractors: the request's parts as checked domain types, rejected on the right surface.
//!
//! A handler that takes an [`ApiSlug`] never sees an invalid slug, and a client who sent
//! one gets a JSON 400; a [`PageSlug`] turns into the 404 page a reader expects; a
//! bad [`BadgeTarget`] into an error image (the badge route reads it with
//! [`parse_badge`], borrowing the path). Queries are read once, here, into [`Days`],
//! [`Variant`], [`Format`] and [`Theme`].

use super::errors::{BadgeReason, HttpError, Problem};
use crate::auth::SecretString;
use crate::render::{Format, Scale, Style, Theme, Variant};
use crate::state::AppState;
use crate::stats::{BadDays, Days};
use crate::verdict::{Slug, SlugRef};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use std::borrow::Cow;

/// Longest query string read; every parameter the service takes is short.
pub const MAX_QUERY_LEN: usize = 512;
/// Name of the cookie that holds the stats key on the owners' page.
pub const OWNER_COOKIE: &str = "vb_stats_key";

/// The first path parameter, percent-decoded; `None` when it is not UTF-8.
async fn path_param(parts: &mut Parts, state: &AppState) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params.iter().next().map(|(_, value)| value.to_owned())
}

/// The query's pairs, or `None` when the query is longer than [`MAX_QUERY_LEN`].
fn query_pairs(parts: &Parts) -> Option<Vec<(String, String)>> {
    let query = parts.uri.query().unwrap_or("");
    (query.len() <= MAX_QUERY_LEN).then(|| {
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    })
}

/// The last segment of `path` (a route's `{file}`), percent-decoded: borrowed when it
/// holds no escapes, so a plain file name costs no allocation; `None` when it is not
/// UTF-8 once decoded.
pub fn path_file(path: &str) -> Option<Cow<'_, str>> {
    let segment = path.rsplit('/').next().unwrap_or("");
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
}

/// A valid slug from the path of a JSON route; otherwise a JSON 400 that says why.
#[derive(Debug)]
pub struct ApiSlug(pub Slug);

impl FromRequestParts<AppState> for ApiSlug {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let raw = path_param(parts, state).await.unwrap_or_default();
        Slug::parse(&raw)
            .map(ApiSlug)
            .map_err(|why| HttpError::Api(Problem::BadRequest(format!("slug {why}"))))
    }
}

/// A valid slug from the path of a page; otherwise the "no such tool" page.
#[derive(Debug)]
pub struct PageSlug(pub Slug);

impl FromRequestParts<AppState> for PageSlug {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let raw = path_param(parts, state).await.unwrap_or_default();
        Slug::parse(&raw)
            .map(PageSlug)
            .map_err(|_| HttpError::Page(Problem::NotFound("No such tool")))
    }
}

/// The slug of a stats route, which may end in `.csv` to ask for CSV.
#[derive(Debug)]
pub struct StatsPath {
    /// The tool.
    pub slug: Slug,
    /// Whether the path asked for CSV.
    pub csv: bool,
}

impl FromRequestParts<AppState> for StatsPath {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let raw = path_param(parts, state).await.unwrap_or_default();
        let (raw, csv) = match raw.strip_suffix(".csv") {
            Some(slug) => (slug, true),
            None => (raw.as_str(), false),
        };
        Slug::parse(raw)
            .map(|slug| StatsPath { slug, csv })
            .map_err(|why| HttpError::Api(Problem::BadRequest(format!("slug {why}"))))
    }
}

/// The `days` query parameter of the stats routes (30 when absent).
#[derive(Clone, Copy, Debug)]
pub struct Window(pub Days);

impl IntoResponse for BadDays {
    fn into_response(self) -> Response {
        HttpError::Api(self.into()).into_response()
    }
}

impl From<BadDays> for Problem {
    fn from(e: BadDays) -> Problem {
        Problem::BadRequest(e.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Window {
    type Rejection = BadDays;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, BadDays> {
        let pairs = query_pairs(parts).ok_or_else(|| BadDays("(a query that long)".into()))?;
        match pairs.iter().rev().find(|(name, _)| name == "days") {
            Some((_, value)) => value.parse().map(Window),
            None => Ok(Window(Days::default())),
        }
    }
}

/// What a badge request asks for: a tool, a style and theme, SVG or PNG at a scale.
#[derive(Debug, PartialEq, Eq)]
pub struct BadgeTarget<'a> {
    /// The tool, as the path names it.
    pub slug: SlugRef<'a>,
    /// Style and theme.
    pub variant: Variant,
    /// SVG, or PNG at a scale.
    pub format: Format,
}

/// A badge request read as far as it goes: the reason it fails, with the variant and
/// format to draw that reason in (the valid parts of the request, defaults elsewhere).
pub fn parse_badge<'a>(
    file: Option<&'a str>,
    query: Option<&str>,
    path: &str,
) -> Result<BadgeTarget<'a>, (BadgeReason, Variant, Format)> {
    // The file name decides the format even when it does not decode (`/api/badge/%ff.png`).
    let png = file.map_or(path, |f| f).ends_with(".png");
    let mut variant = Variant::default();
    let mut format = if png {
        Format::Png {
            scale: Scale::DEFAULT,
        }
    } else {
        Format::Svg
    };
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err((BadgeReason::QueryTooLong, variant, format));
    }
    // Unknown parameters are ignored (cache-busters like `?v=2` are common); known
    // ones must be valid. The first bad one names the error.
    let mut error = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "style" => match Style::parse(&value) {
                Ok(style) => variant.style = style,
                Err(_) => error = error.or(Some(BadgeReason::BadStyle)),
            },
            "theme" => match Theme::parse(&value) {
                Ok(theme) => variant.theme = theme,
                Err(_) => error = error.or(Some(BadgeReason::BadTheme)),
            },
            "scale" if png => match value.parse::<Scale>() {
                Ok(scale) => format = Format::Png { scale },
                Err(_) => error = error.or(Some(BadgeReason::BadScale)),
            },
            _ => {}
        }
    }
    if let Some(reason) = error {
        return Err((reason, variant, format));
    }
    let slug = file
        .map(|f| {
            f.strip_suffix(".png")
                .or_else(|| f.strip_suffix(".svg"))
                .unwrap_or(f)
        })
        .and_then(|s| SlugRef::parse(s).ok())
        .ok_or((BadgeReason::InvalidSlug, variant, format))?;
    Ok(BadgeTarget {
        slug,
        variant,
        format,
    })
}

/// The `theme` of a page that takes one (the widget); unknown parameters are ignored.
pub fn parse_theme(query: Option<&str>, default: Theme) -> Result<Theme, String> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err(format!(
            "The query is longer than {MAX_QUERY_LEN} characters."
        ));
    }
    let mut theme = default;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == "theme" {
            theme = Theme::parse(&value).map_err(|why| {
                // Long values would only clutter the page; the start is enough.
                let value: String = value.chars().take(40).collect();
                format!("The widget got theme={value}; {why}.")
            })?;
        }
    }
    Ok(theme)
}

/// What a widget request asks for: a tool in a theme.
#[derive(Debug)]
pub struct WidgetTarget {
    /// The tool.
    pub slug: Slug,
    /// The colours asked for.
    pub theme: Theme,
}

impl FromRequestParts<AppState> for WidgetTarget {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        // Without a theme the widget follows the reader's colour scheme.
        let theme = parse_theme(parts.uri.query(), Theme::Auto)
            .map_err(|why| HttpError::Widget(Problem::BadRequest(why)))?;
        let raw = path_param(parts, state).await.unwrap_or_default();
        let slug =
            Slug::parse(&raw).map_err(|_| HttpError::Widget(Problem::NotFound("No such tool")))?;
        Ok(WidgetTarget { slug, theme })
    }
}

/// An `Authorization: Bearer` token, if the request carries one.
#[derive(Debug)]
pub struct Bearer(pub Option<SecretString>);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Bearer(
            crate::auth::bearer(&parts.headers).map(|t| SecretString::from(t.to_owned())),
        ))
    }
}

/// How an owner proved who they are on the owners' page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// An `Authorization: Bearer` header (scripts).
    Bearer,
    /// The sign-in cookie (the page in a browser).
    Cookie,
}

/// The owners' page credential: a bearer token, else the sign-in cookie.
#[derive(Debug)]
pub struct OwnerCredential(pub Option<(SecretString, Via)>);

impl<S: Send + Sync> FromRequestParts<S> for OwnerCredential {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(Bearer(Some(token))) = Bearer::from_request_parts(parts, state).await {
            return Ok(OwnerCredential(Some((token, Via::Bearer))));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let key = jar
            .get(OWNER_COOKIE)
            .map(|c| c.value_trimmed().to_owned())
            .filter(|v| !v.is_empty());
        Ok(OwnerCredential(
            key.map(|k| (SecretString::from(k), Via::Cookie)),
        ))
    }
}

/// The admin, proven by the admin token, on an instance that owns its verdicts.
#[derive(Debug)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        if state.config.verdict_origin.is_some() {
            return Err(HttpError::Api(Problem::Forbidden(
                "verdicts come from the verdict origin; write them there",
            )));
        }
        if !state.admin.is_set() {
            return Err(HttpError::Api(Problem::Forbidden(
                "the write API is disabled: no admin token is configured",
            )));
        }
        match crate::auth::bearer(&parts.headers) {
            Some(token) if state.admin.matches(token) => Ok(Admin),
            _ => Err(HttpError::Api(Problem::Unauthorized)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a>(file: &'a str, query: Option<&str>) -> Result<BadgeTarget<'a>, BadgeReason> {
        parse_badge(Some(file), query, &format!("/api/badge/{file}")).map_err(|e| e.0)
    }

    #[test]
    fn badge_paths_and_parameters() {
        let r = parse("smolvlm-3b", None).unwrap();
        assert_eq!((r.slug.as_str(), r.format), ("smolvlm-3b", Format::Svg));
        let r = parse("smolvlm-3b.svg", Some("style=compact&theme=dark&v=3")).unwrap();
        assert_eq!(r.slug.as_str(), "smolvlm-3b");
        assert_eq!(
            r.variant,
            Variant {
                style: Style::Compact,
                theme: Theme::Dark
            }
        );
        let r = parse("a.png", None).unwrap();
        assert_eq!(
            r.format,
            Format::Png {
                scale: Scale::DEFAULT
            }
        );
        let r = parse("a.png", Some("scale=1")).unwrap();
        assert_eq!(
            r.format,
            Format::Png {
                scale: Scale::new(1).unwrap()
            }
        );
    }

    #[test]
    fn bad_badge_parameters_name_themselves() {
        let reason = |file, q| parse(file, Some(q)).unwrap_err();
        assert_eq!(reason("a", "style=huge"), BadgeReason::BadStyle);
        assert_eq!(reason("a", "theme=neon"), BadgeReason::BadTheme);
        assert_eq!(reason("a.png", "scale=5"), BadgeReason::BadScale);
        assert_eq!(reason("a.png", "scale=0"), BadgeReason::BadScale);
        let long = "x".repeat(600);
        assert_eq!(reason("a", &long), BadgeReason::QueryTooLong);
        assert_eq!(reason("A_B", ""), BadgeReason::InvalidSlug);
        // The error badge keeps the valid parts of the request.
        let (_, variant, format) =
            parse_badge(Some("a.png"), Some("style=compact&scale=9"), "").unwrap_err();
        assert_eq!(variant.style, Style::Compact);
        assert!(matches!(format, Format::Png { .. }));
        // A path that does not decode still answers in the format it asked for.
        let (reason, _, format) = parse_badge(None, None, "/api/badge/%ff.png").unwrap_err();
        assert_eq!(
            (reason, format),
            (
                BadgeReason::InvalidSlug,
                Format::Png {
                    scale: Scale::DEFAULT
                }
            )
        );
    }

    #[test]
    fn theme_parameter() {
        assert_eq!(parse_theme(None, Theme::Light), Ok(Theme::Light));
        assert_eq!(
            parse_theme(Some("theme=dark&v=2"), Theme::Light),
            Ok(Theme::Dark)
        );
        assert_eq!(parse_theme(Some("v=2"), Theme::Light), Ok(Theme::Light));
        let why = parse_theme(Some("theme=neon"), Theme::Light).unwrap_err();
        assert!(why.contains("theme=neon"), "{why}");
        assert!(parse_theme(Some(&"x".repeat(600)), Theme::Light).is_err());
    }

    #[tokio::test]
    async fn owners_credential_is_the_bearer_else_the_decoded_cookie() {
        use crate::auth::ExposeSecret;
        let credential = |pairs: &[(&str, &str)]| {
            let mut request = axum::http::Request::builder();
            for (name, value) in pairs {
                request = request.header(*name, *value);
            }
            let (mut parts, ()) = request.body(()).unwrap().into_parts();
            async move {
                let OwnerCredential(c) = OwnerCredential::from_request_parts(&mut parts, &())
                    .await
                    .unwrap();
                c.map(|(secret, via)| (secret.expose_secret().to_owned(), via))
            }
        };
        let cookie = ("cookie", "a=1; vb_stats_key=abc%3Bdef; b=2");
        assert_eq!(
            credential(&[cookie]).await,
            Some(("abc;def".to_owned(), Via::Cookie))
        );
        assert_eq!(
            credential(&[cookie, ("authorization", "Bearer x")]).await,
            Some(("x".to_owned(), Via::Bearer))
        );
        assert_eq!(credential(&[]).await, None);
    }
}
