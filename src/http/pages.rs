//! HTML pages and embed code.

use super::errors::ErrorBody;
use super::errors::{HttpError, OnSurface, Problem};
use super::extract::{ApiSlug, PageSlug};
use super::headers;
use crate::state::{AppState, link};
use crate::verdict::Verdict;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use url::Url;

/// Embed snippets for one tool: the body of `GET /api/embed-code/{slug}`.
///
/// The badge snippets use the `theme=auto` SVG, which switches to its dark colours when
/// the reader prefers a dark scheme. `html_picture` does the same with two images, for
/// places where an SVG image's own media query does not follow the page (see README).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmbedCode {
    /// `<a><img></a>` badge (auto theme) linking through the click route.
    pub html_badge: String,
    /// `<iframe>` widget (follows the reader's scheme by default).
    pub html_widget: String,
    /// Markdown badge (auto theme) for READMEs.
    pub markdown: String,
    /// `<picture>` badge: the dark SVG for readers who prefer dark, else the light one.
    pub html_picture: String,
    /// The share card (1200×630 PNG) link previews show; never counted.
    pub card_url: String,
    /// The tool's shields.io endpoint (`/api/shields/{slug}.json`); never counted.
    pub shields_endpoint: String,
    /// The shields.io badge that reads the endpoint.
    pub shields_url: String,
    /// Markdown of the shields.io badge, linking through the click route.
    pub shields_markdown: String,
}

/// HTML attribute escaping for snippets built outside templates.
pub(crate) fn attr(text: &str) -> String {
    askama::filters::escape(text, crate::text::Html)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// Markdown link text escaping: brackets and backslashes would end the text early.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::text::visible(text).chars() {
        if matches!(
            c,
            '[' | ']' | '\\' | '(' | ')' | '<' | '>' | '`' | '*' | '_'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl EmbedCode {
    /// Snippets for `verdict`, pointing at `base` (the public URL).
    pub fn new(base: &Url, verdict: &Verdict) -> EmbedCode {
        let slug = verdict.slug.as_str();
        let badge = link(base, &format!("api/badge/{slug}"));
        let auto = format!("{badge}?theme=auto");
        let click = link(base, &format!("api/badge-click/{slug}"));
        let widget = link(base, &format!("embed/{slug}"));
        let call = verdict.verdict.label();
        let name = &verdict.name;
        let shields_url = super::share::shields_url(base, &verdict.slug);
        EmbedCode {
            card_url: super::share::card_url(base, &verdict.slug, crate::render::Theme::Light),
            shields_endpoint: super::share::shields_endpoint(base, &verdict.slug),
            shields_markdown: format!(
                "[![{} {call} verdict on ShipOrSkip]({shields_url})]({click})",
                md_text(name)
            ),
            shields_url,
            html_badge: format!(
                r#"<a href="{click}" target="_blank" rel="noopener"><img src="{auto}" alt="{} {call} verdict on ShipOrSkip" width="360" height="90" /></a>"#,
                attr(name)
            ),
            html_widget: format!(
                r#"<iframe src="{widget}" title="{} ShipOrSkip verdict" width="360" height="260" style="border:0;border-radius:16px;max-width:100%;" loading="lazy"></iframe>"#,
                attr(name)
            ),
            markdown: format!(
                "[![{} {call} verdict on ShipOrSkip]({auto})]({click})",
                md_text(name)
            ),
            html_picture: format!(
                r#"<a href="{click}" target="_blank" rel="noopener"><picture><source media="(prefers-color-scheme: dark)" srcset="{badge}?theme=dark" /><img src="{badge}" alt="{} {call} verdict on ShipOrSkip" width="360" height="90" /></picture></a>"#,
                attr(name)
            ),
        }
    }
}

/// `GET /api/embed-code/{slug}`.
#[utoipa::path(
    get,
    path = "/api/embed-code/{slug}",
    tag = "badges",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    responses(
        (status = 200, description = "Snippets to paste, pointing at `--public-url`", body = EmbedCode),
        (status = 400, description = "Not a valid slug", body = ErrorBody),
        (status = 404, description = "No verdict for this slug", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn embed_code(
    State(state): State<AppState>,
    ApiSlug(slug): ApiSlug,
) -> Result<Json<EmbedCode>, HttpError> {
    match state.catalog.get(&slug).await? {
        Some(entry) => Ok(Json(EmbedCode::new(&state.public_url, &entry.verdict))),
        None => Err(HttpError::Api(Problem::NotFound(
            "no verdict for this slug",
        ))),
    }
}

struct ToolCard {
    slug: String,
    name: String,
    tagline: String,
    call: &'static str,
    badge_url: String,
    html_badge: String,
    markdown: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct Index {
    tools: Vec<ToolCard>,
}

/// `GET /`: every tool with its badges and embed code.
#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    responses((status = 200, description = "Every tool with its badges and embed code", content_type = "text/html")),
)]
pub async fn landing(State(state): State<AppState>) -> Result<Response, HttpError> {
    let verdicts = state.catalog.all().await.on_page()?;
    let tools = verdicts
        .iter()
        .map(|v| {
            let code = EmbedCode::new(&state.public_url, v);
            ToolCard {
                slug: v.slug.to_string(),
                name: v.name.clone(),
                tagline: v.tagline.clone(),
                call: v.verdict.label(),
                // Relative, so the page works whatever host it is reached by.
                badge_url: format!("/api/badge/{}", v.slug),
                html_badge: code.html_badge,
                markdown: code.markdown,
            }
        })
        .collect();
    Ok(html(StatusCode::OK, Index { tools }.render()))
}

/// A rendered page as a response, with the service's page CSP; a render error is a bare 500.
pub(crate) fn html(status: StatusCode, rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => {
            let mut r = (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response();
            r.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, headers::PAGE_CSP.clone());
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The tool page's CSP: the page CSP, plus framing this service's own widget for the preview.
pub(crate) static TOOL_PAGE_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
);

/// One badge variant on the tool page.
struct BadgeVariant {
    /// "Card · light".
    label: String,
    dark: bool,
    compact: bool,
    /// Relative preview URLs (views from the service's own pages are not counted).
    svg_preview: String,
    png_preview: String,
    /// Public URLs to copy.
    svg_url: String,
    png_url: String,
}

#[derive(Template)]
#[template(path = "tool.html")]
struct ToolPage {
    slug: String,
    name: String,
    tagline: String,
    category: String,
    pricing: String,
    call: &'static str,
    ship: bool,
    tally: String,
    variants: Vec<BadgeVariant>,
    code: EmbedCode,
    /// The "compare with" form.
    chooser: super::compare::Chooser,
    /// The link-preview card of the page.
    og: super::share::OpenGraph,
    /// The oEmbed discovery URL of the page.
    oembed_url: String,
}

/// `GET /tools/{slug}`: every badge variant of one tool and its ready-to-copy embed code.
#[utoipa::path(
    get,
    path = "/tools/{slug}",
    tag = "pages",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    responses(
        (status = 200, description = "Every badge variant of the tool and its embed code, ready to copy (views here are not counted)", content_type = "text/html"),
        (status = 404, description = "No such tool", content_type = "text/html"),
    ),
)]
pub async fn tool_page(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
) -> Result<Response, HttpError> {
    let Some(entry) = state.catalog.get(&slug).await.on_page()? else {
        return Err(HttpError::Page(Problem::NotFound("No such tool")));
    };
    let verdict = &entry.verdict;
    let badge = state.public_link(&format!("api/badge/{slug}"));
    let mut variants = Vec::with_capacity(4);
    for style in ["card", "compact"] {
        for theme in ["light", "dark"] {
            let query = match (style, theme) {
                ("card", "light") => String::new(),
                ("card", _) => format!("?theme={theme}"),
                (_, "light") => format!("?style={style}"),
                _ => format!("?style={style}&theme={theme}"),
            };
            let mut label = format!("{style} · {theme}");
            label[..1].make_ascii_uppercase();
            variants.push(BadgeVariant {
                label,
                dark: theme == "dark",
                compact: style == "compact",
                svg_preview: format!("/api/badge/{slug}{query}"),
                png_preview: format!("/api/badge/{slug}.png{query}"),
                svg_url: format!("{badge}{query}"),
                png_url: format!("{badge}.png{query}"),
            });
        }
    }
    let page = ToolPage {
        slug: slug.to_string(),
        code: EmbedCode::new(&state.public_url, verdict),
        name: verdict.name.clone(),
        tagline: verdict.tagline.clone(),
        category: verdict.category.clone(),
        pricing: verdict.pricing.clone(),
        call: verdict.verdict.label(),
        ship: verdict.verdict == crate::verdict::Call::Ship,
        tally: verdict.tally_words(),
        variants,
        chooser: super::compare::chooser(&state, &slug, None).await,
        og: super::share::OpenGraph::new(
            &state.public_url,
            verdict,
            &format!("tools/{slug}"),
            crate::render::Theme::Light,
        ),
        oembed_url: super::share::oembed_url(&state.public_url, &format!("tools/{slug}")),
    };
    let mut response = html(StatusCode::OK, page.render());
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, TOOL_PAGE_CSP.clone());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_code_escapes_the_name_and_keeps_the_prefix() {
        let mut v = crate::verdict::demo_verdicts().remove(0);
        v.name = r#"<b>"Q" & [x](y)</b>"#.into();
        let base = Url::parse("https://badges.example/sub/").unwrap();
        let code = EmbedCode::new(&base, &v);
        assert!(
            code.html_badge
                .contains(r#"alt="&#60;b&#62;&#34;Q&#34; &#38; [x](y)&#60;/b&#62; Ship verdict"#),
            "{}",
            code.html_badge
        );
        assert!(code.html_badge.contains(&format!(
            r#"<img src="https://badges.example/sub/api/badge/{}?theme=auto""#,
            v.slug
        )));
        assert!(code.markdown.contains(&format!(
            "(https://badges.example/sub/api/badge/{}?theme=auto)",
            v.slug
        )));
        assert!(code.html_picture.contains(&format!(
            r#"srcset="https://badges.example/sub/api/badge/{}?theme=dark""#,
            v.slug
        )));
        assert!(
            code.markdown
                .starts_with(r#"[![\<b\>"Q" & \[x\]\(y\)\</b\> Ship verdict on ShipOrSkip]("#),
            "{}",
            code.markdown
        );
        assert!(
            code.html_widget
                .contains(&format!("https://badges.example/sub/embed/{}", v.slug))
        );
    }
}
