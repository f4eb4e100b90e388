//! `GET /embed/{slug}`: the 360×260 iframe widget, counted as a widget impression.
//!
//! The widget is one self-contained HTML document: inline styles, a system font
//! stack, no script, no cookies, nothing fetched from anywhere else. Its CSP says
//! so, and lets any site frame it.

use super::client::{ClientIp, record_view};
use super::errors::{HttpError, OnSurface, Problem};
use super::extract::WidgetTarget;
use super::headers;
use crate::counts::Kind;
use crate::render::{Theme, boat_path, check_path, cross_path, ship_share};
use crate::state::AppState;
use crate::verdict::{Call, Verdict};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The widget's CSP: inline styles only, framable by any site, nothing else.
pub static WIDGET_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *",
);
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
    /// The link-preview card of the page, when it is served.
    og: Option<super::share::OpenGraph>,
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
            og: None,
        }
    }
}

/// The widget's HTML for a verdict; `click_url` is the click route the review link goes through.
pub fn widget_html(v: &Verdict, theme: Theme, click_url: &str) -> askama::Result<String> {
    Widget::new(v, theme, click_url.to_owned()).render()
}

/// The widget handler.
#[utoipa::path(
    get,
    path = "/embed/{slug}",
    tag = "badges",
    params(
        ("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b"),
        ("theme" = Option<Theme>, Query, description = "Colours of the widget"),
    ),
    responses(
        (status = 200, description = "The 360×260 widget, counted as one widget impression; no script, no cookies, framable by any site", content_type = "text/html"),
        (status = 400, description = "A bad parameter (a small framable page that names it)", content_type = "text/html"),
        (status = 404, description = "No such tool (a small framable page)", content_type = "text/html"),
    ),
)]
pub async fn widget(
    State(state): State<AppState>,
    WidgetTarget { slug, theme }: WidgetTarget,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Result<Response, HttpError> {
    let Some(entry) = state.catalog.get(&slug).await.on_widget()? else {
        return Err(HttpError::Widget(Problem::NotFound("No such tool")));
    };
    let click_url = state.public_link(&format!("api/badge-click/{slug}"));
    let mut page = Widget::new(&entry.verdict, theme, click_url);
    page.og = Some(super::share::OpenGraph::new(
        &state.public_url,
        &entry.verdict,
        &format!("embed/{slug}"),
        theme,
    ));
    let body = page
        .render()
        .map_err(|e| HttpError::Widget(Problem::Internal(Box::new(e))))?;
    record_view(
        &state,
        &method,
        &request_headers,
        client_ip,
        &slug,
        Kind::Widget,
    );
    Ok(counted_page(&request_headers, body))
}

/// A counted widget page: `body` under the widget's CSP, revalidated on every view.
///
/// The validator names the exact page: a repeat view whose copy is current gets a 304
/// (counted by the caller like any other view).
pub(crate) fn counted_page(request_headers: &HeaderMap, body: String) -> Response {
    let etag = etag_of(body.as_bytes());
    let mut response = if headers::is_current(request_headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, WIDGET_CSP.clone());
    headers::revalidate_every_view(h, etag);
    response
}

/// A strong validator for the widget page `body`: a digest of its bytes. SipHash with
/// fixed keys, so every instance of one build agrees on it behind a load balancer.
fn etag_of(body: &[u8]) -> HeaderValue {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    h.write(body);
    HeaderValue::try_from(format!("\"{:016x}\"", h.finish()))
        .expect("hex in quotes is a valid header value")
}

/// Makes a page fit to show inside someone's iframe: the widget's CSP, never cached.
pub fn framable(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, WIDGET_CSP.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let html = widget_html(&v, Theme::Auto, "https://b.example/c").unwrap();
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
