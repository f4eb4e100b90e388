//! `GET /embed/{slug}`: the 360×260 iframe widget, counted as a widget impression.
//!
//! The widget is one self-contained HTML document: inline styles, a system font
//! stack, no script, no cookies, nothing fetched from anywhere else. Its CSP says
//! so, and lets any site frame it.

use super::client::{ClientIp, record_view};
use super::headers;
use super::pages;
use crate::app::AppState;
use crate::render::{Theme, boat_path, check_path, cross_path, ship_share};
use crate::tally::Kind;
use crate::verdict::{Call, Slug, Verdict};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The widget's CSP: inline styles only, framable by any site, nothing else.
pub static WIDGET_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *",
);
/// Longest query string read; the widget's parameters are short.
const MAX_QUERY_LEN: usize = 512;
/// Reviewers per row of the widget's grid.
const COLUMNS: usize = 5;

/// One reviewer's cell in the widget.
struct ReviewCell {
    role: String,
    /// The score, or "–" when the reviewer gave none.
    score: String,
    call: &'static str,
    ship: bool,
}

#[derive(Template)]
#[template(path = "widget.html")]
struct Widget {
    theme: &'static str,
    name: String,
    tagline: String,
    call: &'static str,
    ship: bool,
    /// "75%", or empty when the panel cast no votes.
    share: String,
    /// The stamp's second line in the badges' words, "75% ship", or empty.
    share_words: String,
    tally: String,
    reviews: Vec<ReviewCell>,
    columns: usize,
    /// Two rows of reviewers: smaller cells.
    dense: bool,
    community: String,
    pricing: String,
    category: String,
    click_url: String,
    /// The stamp's ✓ or ✗, the card badge's own path on a 16-unit disc.
    seal_path: String,
    /// The ShipOrSkip mark's boat on a 16-unit tile.
    boat_path: String,
}

#[derive(Template)]
#[template(path = "widget_error.html")]
struct WidgetError<'a> {
    parameter: &'a str,
    value: &'a str,
    allowed: &'a str,
}

/// Reads `theme` from the query; unknown parameters (cache-busters) are ignored.
/// Without one the widget follows the reader's colour scheme (`auto`).
///
/// The error names the parameter and the value that was refused.
pub fn parse_theme(query: Option<&str>) -> Result<Theme, (&'static str, String)> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err(("query", "too long".to_owned()));
    }
    let mut theme = Theme::Auto;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == "theme" {
            theme = Theme::parse(&value).map_err(|_| ("theme", value.into_owned()))?;
        }
    }
    Ok(theme)
}

/// The community line: shares and counts, or "No community votes yet".
fn community_line(v: &Verdict) -> String {
    match v.community {
        Some(votes) if votes.total() > 0 => {
            let percent = votes.ship_percent().unwrap_or(0);
            format!(
                "Community: {percent}% ship · {} ship · {} skip",
                votes.ship, votes.skip
            )
        }
        _ => "No community votes yet".to_owned(),
    }
}

impl Widget {
    fn new(v: &Verdict, theme: Theme, click_url: String) -> Widget {
        let reviews: Vec<ReviewCell> = v
            .reviews
            .iter()
            .map(|r| ReviewCell {
                role: r.role.clone(),
                score: r
                    .score
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "–".to_owned()),
                call: r.verdict.label(),
                ship: r.verdict == Call::Ship,
            })
            .collect();
        let columns = reviews.len().clamp(1, COLUMNS);
        let dense = reviews.len() > COLUMNS;
        Widget {
            theme: theme.as_str(),
            name: v.name.clone(),
            tagline: v.tagline.clone(),
            call: v.verdict.label(),
            ship: v.verdict == Call::Ship,
            share: v
                .panel
                .ship_percent()
                .map(|p| format!("{p}%"))
                .unwrap_or_default(),
            share_words: v.panel.ship_percent().map(ship_share).unwrap_or_default(),
            tally: v.tally_words(),
            reviews,
            columns,
            dense,
            community: community_line(v),
            pricing: v.pricing.clone(),
            category: v.category.clone(),
            click_url,
            seal_path: match v.verdict {
                Call::Ship => check_path(8.0, 8.0, 8.0),
                Call::Skip => cross_path(8.0, 8.0, 8.0),
            },
            boat_path: boat_path(16.0),
        }
    }
}

/// The widget's HTML for a verdict; `click_url` is the click route the review link goes through.
pub fn widget_html(v: &Verdict, theme: Theme, click_url: &str) -> askama::Result<String> {
    Widget::new(v, theme, click_url.to_owned()).render()
}

/// The widget handler.
pub async fn widget(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Response {
    let theme = match parse_theme(query.as_deref()) {
        Ok(theme) => theme,
        Err((parameter, value)) => return bad_parameter(parameter, &value),
    };
    let Ok(slug) = Slug::parse(&slug) else {
        return framable(pages::not_found_page("No such tool"));
    };
    let entry = match state.catalog.get(&slug).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return framable(pages::not_found_page("No such tool")),
        Err(e) => {
            tracing::warn!(error = %e, "verdict lookup failed");
            let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return r;
        }
    };
    let click_url = state
        .public_url
        .join(&format!("api/badge-click/{slug}"))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("/api/badge-click/{slug}"));
    let body = match widget_html(&entry.verdict, theme, &click_url) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, slug = %slug, "rendering the widget failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    record_view(
        &state,
        &method,
        &request_headers,
        client_ip,
        &slug,
        Kind::Widget,
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, WIDGET_CSP.clone());
    h.insert(
        header::CACHE_CONTROL,
        headers::COUNTED_CACHE_CONTROL.clone(),
    );
    h.insert(header::EXPIRES, HeaderValue::from_static("0"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A page shown inside someone's iframe: the widget's CSP, never cached.
fn framable(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, WIDGET_CSP.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `400` with a small page naming the parameter that is wrong.
fn bad_parameter(parameter: &str, value: &str) -> Response {
    let allowed = match parameter {
        "theme" => "light, dark or auto",
        _ => "at most 512 characters",
    };
    // Long values would only clutter the page; the start is enough to recognise.
    let value: String = value.chars().take(40).collect();
    let page = WidgetError {
        parameter,
        value: &value,
        allowed,
    };
    match page.render() {
        Ok(body) => framable(
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "rendering the widget error failed");
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_parameter() {
        assert_eq!(parse_theme(None), Ok(Theme::Auto));
        assert_eq!(parse_theme(Some("theme=dark&v=2")), Ok(Theme::Dark));
        assert_eq!(parse_theme(Some("theme=light")), Ok(Theme::Light));
        assert_eq!(parse_theme(Some("theme=auto")), Ok(Theme::Auto));
        assert_eq!(parse_theme(Some("v=2")), Ok(Theme::Auto));
        assert_eq!(
            parse_theme(Some("theme=neon")),
            Err(("theme", "neon".to_owned()))
        );
        assert_eq!(parse_theme(Some(&"x".repeat(600))).unwrap_err().0, "query");
    }

    #[test]
    fn the_widget_escapes_and_shows_every_part() {
        let mut v = crate::verdict::demo_verdicts().remove(0);
        v.name = r#"<script>alert("x")</script>"#.into();
        v.community = None;
        let w = Widget::new(
            &v,
            Theme::Dark,
            "https://b.example/api/badge-click/x".into(),
        );
        let html = w.render().unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&#60;script&#62;"));
        assert!(html.contains("No community votes yet"));
        assert!(html.contains(r#"class="dark""#));
        assert!(html.contains(r#"target="_blank" rel="noopener""#));
        assert!(html.contains(&v.tally_words()));
        for r in &v.reviews {
            assert!(html.contains(&r.role));
        }
    }

    #[test]
    fn by_default_the_widget_follows_the_reader_and_keeps_its_credit() {
        let v = crate::verdict::demo_verdicts()
            .into_iter()
            .find(|v| v.slug.as_str() == "example-prompt-wrapper")
            .unwrap();
        let html = widget_html(&v, parse_theme(None).unwrap(), "https://b.example/c").unwrap();
        assert!(html.contains(r#"<html lang="en" class="auto">"#));
        assert!(html.contains("@media (prefers-color-scheme: dark) {\n    :root.auto {"));
        assert!(html.contains("<span>25% ship</span>"), "{html}");
        assert!(html.contains(&format!(r#"<path d="{}"/>"#, cross_path(8.0, 8.0, 8.0))));
        assert!(html.contains(&format!(r#"<path d="{}"/>"#, boat_path(16.0))));
        assert!(html.contains("Verdict by"));
        // The narrow layout shortens the link, never the credit.
        let narrow = html.split("@media (max-width: 330px)").nth(1).unwrap();
        let narrow = &narrow[..narrow.find("</style>").unwrap()];
        assert!(!narrow.contains(".brand"), "{narrow}");
    }

    #[test]
    fn many_reviewers_make_a_dense_grid() {
        let mut v = crate::verdict::demo_verdicts().remove(0);
        let w = Widget::new(&v, Theme::Light, String::new());
        assert!(!w.render().unwrap().contains("card dense"));
        let one = v.reviews[0].clone();
        v.reviews = vec![one; 10];
        let html = Widget::new(&v, Theme::Light, String::new())
            .render()
            .unwrap();
        assert!(html.contains(r#"class="card dense""#), "{html}");
        assert!(html.contains("panel cols-5"));
    }

    #[test]
    fn community_votes_read_as_words() {
        let mut v = crate::verdict::demo_verdicts().remove(0);
        v.community = Some(crate::verdict::Votes { ship: 3, skip: 1 });
        assert_eq!(community_line(&v), "Community: 75% ship · 3 ship · 1 skip");
        v.community = Some(crate::verdict::Votes::default());
        assert_eq!(community_line(&v), "No community votes yet");
    }
}
