//! Two tools side by side.
//!
//! - `GET /embed/compare/{a}/{b}`: the 360×260 comparison widget, under the same rules as
//!   the single widget (no script, its CSP, framable by any site, `?theme=`), counted as
//!   one widget impression for each of the two tools.
//! - `GET /api/embed-code/compare/{a}/{b}`: its snippet, and both tools' badges as a pair.
//! - `GET /tools/{slug}/compare?with={other}`: the page a tool page's "compare with" form
//!   leads to: the comparison previewed in both themes, with its embed code.

use super::client::{ClientIp, record_view};
use super::errors::{ErrorBody, HttpError, OnSurface, Problem};
use super::extract::{MAX_QUERY_LEN, PageSlug, parse_theme};
use super::pages::{EmbedCode, TOOL_PAGE_CSP, attr, html};
use super::widget::{counted_page, framable};
use crate::counts::Kind;
use crate::render::{Theme, boat_path, check_path, cross_path, ship_share};
use crate::state::{AppState, link};
use crate::verdict::{Call, Review, Slug, Verdict};
use askama::Template;
use axum::Json;
use axum::extract::{FromRequestParts, RawPathParams, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use url::Url;

/// The panel's roles, in the order the comparison lists them; other roles follow.
pub const ROLES: [&str; 5] = ["Builder", "Skeptic", "Futurist", "Founder", "Creator"];
/// Reviewer rows at the normal size; more make the rows smaller.
const ROOMY_ROWS: usize = 5;
/// Reviewer rows the widget holds at all; past that the last row says how many more
/// reviewers the full reviews list.
const MAX_ROWS: usize = 6;
/// Other tools offered by the "compare with" chooser, the first by name.
pub const CHOOSER_LIMIT: usize = 200;

/// Why a comparison cannot be shown.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The query is too long, or `theme` is not a theme.
    BadParameter(String),
    /// A path segment is not a slug (shown shortened).
    NotASlug(String),
    /// Both sides are the same tool.
    SameTool(Slug),
    /// No verdict for this slug.
    Unknown(Slug),
}

impl Refusal {
    fn status(&self, slug_error: StatusCode) -> StatusCode {
        match self {
            Refusal::BadParameter(_) | Refusal::SameTool(_) => StatusCode::BAD_REQUEST,
            Refusal::NotASlug(_) => slug_error,
            Refusal::Unknown(_) => StatusCode::NOT_FOUND,
        }
    }

    /// A title and a sentence, for the widget's error page.
    fn words(&self) -> (&'static str, String) {
        match self {
            Refusal::BadParameter(why) => ("Bad widget parameter", why.clone()),
            Refusal::NotASlug(raw) => (
                "No such tool",
                format!(
                    "“{raw}” is not a tool's slug: lowercase letters and digits in words joined by hyphens."
                ),
            ),
            Refusal::SameTool(slug) => (
                "Pick two different tools",
                format!(
                    "Both sides name “{slug}”. A comparison needs another tool on the other side."
                ),
            ),
            Refusal::Unknown(slug) => (
                "No such tool",
                format!("The review site has no verdict for “{slug}”."),
            ),
        }
    }

    /// The JSON error's text.
    fn api_message(&self) -> String {
        match self {
            Refusal::BadParameter(why) => why.clone(),
            Refusal::NotASlug(raw) => {
                format!(
                    "slug {raw:?} is not valid: lowercase letters and digits in words joined by single hyphens, 1–120 characters"
                )
            }
            Refusal::SameTool(slug) => {
                format!("both sides are {slug}: compare two different tools")
            }
            Refusal::Unknown(slug) => format!("no verdict for {slug}"),
        }
    }
}

/// The two path segments as slugs, refused when either is not one or both are the same.
fn two_slugs(params: &[(String, String)]) -> Result<(Slug, Slug), Refusal> {
    let parse = |i: usize| {
        let raw = params.get(i).map(|(_, v)| v.as_str()).unwrap_or_default();
        Slug::parse(raw).map_err(|_| Refusal::NotASlug(raw.chars().take(40).collect()))
    };
    let (a, b) = (parse(0)?, parse(1)?);
    if a == b {
        return Err(Refusal::SameTool(a));
    }
    Ok((a, b))
}

/// What a comparison request names: two different valid slugs (not yet looked up).
struct Pair {
    a: Slug,
    b: Slug,
}

async fn read_pair(parts: &mut Parts, state: &AppState) -> Result<Pair, Refusal> {
    let params: Vec<(String, String)> = match RawPathParams::from_request_parts(parts, state).await
    {
        Ok(p) => p
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        // A segment that is not UTF-8 once decoded.
        Err(_) => return Err(Refusal::NotASlug("(not UTF-8)".into())),
    };
    two_slugs(&params).map(|(a, b)| Pair { a, b })
}

/// A comparison widget request: two tools and a theme, or the refusal shown in the iframe.
pub struct CompareTarget {
    a: Slug,
    b: Slug,
    theme: Theme,
}

impl FromRequestParts<AppState> for CompareTarget {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let theme = parse_theme(parts.uri.query(), Theme::Auto)
            .map_err(|why| widget_refusal(&Refusal::BadParameter(why)))?;
        let Pair { a, b } = read_pair(parts, state)
            .await
            .map_err(|r| widget_refusal(&r))?;
        Ok(CompareTarget { a, b, theme })
    }
}

/// A comparison embed-code request: two tools, or a JSON 400.
pub struct ComparePair(Slug, Slug);

impl FromRequestParts<AppState> for ComparePair {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Pair { a, b } = read_pair(parts, state).await.map_err(|r| api_refusal(&r))?;
        Ok(ComparePair(a, b))
    }
}

#[derive(Template)]
#[template(path = "widget_error.html")]
struct WidgetErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// The refusal as a small framable page in place of the widget; never counted, never cached.
fn widget_refusal(refusal: &Refusal) -> Response {
    let (title, message) = refusal.words();
    let mut response = html(
        refusal.status(StatusCode::NOT_FOUND),
        WidgetErrorPage {
            title,
            message: &message,
        }
        .render(),
    );
    framable(&mut response);
    response
}

/// The refusal as the API's JSON error.
fn api_refusal(refusal: &Refusal) -> Response {
    let body = ErrorBody {
        error: refusal.api_message(),
        fields: None,
    };
    let mut response = (refusal.status(StatusCode::BAD_REQUEST), Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// One tool's column of the comparison.
struct Side {
    name: String,
    click_url: String,
    call: &'static str,
    ship: bool,
    /// "75%", or empty when the panel cast no votes.
    share: String,
    /// "75% ship", or empty.
    share_words: String,
    /// "3 ships · 1 skip".
    tally: String,
    /// "75% ship · 4 votes", or "No votes yet".
    community: String,
    /// The community's exact counts, for the tooltip.
    community_title: String,
    pricing: String,
    seal_path: String,
}

impl Side {
    fn new(v: &Verdict, click_url: String) -> Side {
        let (community, community_title) = community_cell(v);
        Side {
            name: v.name.clone(),
            click_url,
            call: v.verdict.label(),
            ship: v.verdict == Call::Ship,
            share: v
                .panel
                .ship_percent()
                .map(|p| format!("{p}%"))
                .unwrap_or_default(),
            share_words: v.panel.ship_percent().map(ship_share).unwrap_or_default(),
            tally: v.tally_words(),
            community,
            community_title,
            pricing: v.pricing.clone(),
            seal_path: match v.verdict {
                Call::Ship => check_path(8.0, 8.0, 8.0),
                Call::Skip => cross_path(8.0, 8.0, 8.0),
            },
        }
    }
}

/// A vote count in at most four characters: 950, 9999, 12k, 3M, 2B (floored).
fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        1_000_000..=999_999_999 => format!("{}M", n / 1_000_000),
        _ => format!("{}B", n / 1_000_000_000),
    }
}

/// The community cell, short ("75% ship · 4 votes"), and its exact counts.
fn community_cell(v: &Verdict) -> (String, String) {
    match v.community {
        Some(votes) if votes.total() > 0 => {
            let percent = votes.ship_percent().unwrap_or(0);
            let total = votes.total();
            let noun = if total == 1 { "vote" } else { "votes" };
            (
                // The count stays with its noun when the cell wraps.
                format!("{percent}% ship · {}\u{a0}{noun}", compact(total)),
                format!("Community: {} ship · {} skip", votes.ship, votes.skip),
            )
        }
        _ => (
            "No votes yet".to_owned(),
            "No community votes yet".to_owned(),
        ),
    }
}

/// One reviewer's cell: their score and call, or no review from this role.
struct Cell {
    reviewed: bool,
    /// The score, or "—" when the reviewer gave none.
    score: String,
    call: &'static str,
    ship: bool,
}

impl Cell {
    fn of(review: Option<&Review>) -> Cell {
        match review {
            Some(r) => Cell {
                reviewed: true,
                score: r
                    .score
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".to_owned()),
                call: r.verdict.label(),
                ship: r.verdict == Call::Ship,
            },
            None => Cell {
                reviewed: false,
                score: String::new(),
                call: "",
                ship: false,
            },
        }
    }
}

/// One role: both tools' reviewers in it.
struct RoleRow {
    role: String,
    cells: [Cell; 2],
}

/// A review's place in the comparison: its role (trimmed, any case) and which reviewer
/// of that role it is, for panels with two of one role.
type RoleKey = (String, usize);

fn keyed(v: &Verdict) -> Vec<(RoleKey, &Review)> {
    let mut seen: Vec<String> = Vec::new();
    v.reviews
        .iter()
        .map(|r| {
            let role = r.role.trim().to_lowercase();
            let nth = seen.iter().filter(|s| **s == role).count();
            seen.push(role.clone());
            ((role, nth), r)
        })
        .collect()
}

/// Every role either tool has a reviewer in: Builder, Skeptic, Futurist, Founder and
/// Creator first, then the others as the first tool and then the second list them.
/// Past [`MAX_ROWS`] the rest are counted, not shown.
fn role_rows(a: &Verdict, b: &Verdict) -> (Vec<RoleRow>, usize) {
    let (ka, kb) = (keyed(a), keyed(b));
    let mut keys: Vec<(&RoleKey, &str)> = Vec::new();
    for (key, review) in ka.iter().chain(kb.iter()) {
        if !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, review.role.trim()));
        }
    }
    let rank = |key: &RoleKey| {
        ROLES
            .iter()
            .position(|r| r.eq_ignore_ascii_case(&key.0))
            .unwrap_or(ROLES.len())
    };
    keys.sort_by_key(|(key, _)| rank(key));
    let find = |list: &[(RoleKey, &Review)], key: &RoleKey| {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| (*r).clone())
    };
    let total = keys.len();
    let shown = if total > MAX_ROWS {
        MAX_ROWS - 1
    } else {
        total
    };
    let rows = keys
        .into_iter()
        .take(shown)
        .map(|(key, role)| RoleRow {
            role: role.to_owned(),
            cells: [
                Cell::of(find(&ka, key).as_ref()),
                Cell::of(find(&kb, key).as_ref()),
            ],
        })
        .collect();
    (rows, total - shown)
}

#[derive(Template)]
#[template(path = "compare_widget.html")]
struct CompareWidget {
    theme: &'static str,
    sides: [Side; 2],
    roles: Vec<RoleRow>,
    /// Reviewers not shown for want of room.
    more: usize,
    /// More reviewers than fit at the normal size: smaller rows.
    dense: bool,
    /// The ShipOrSkip mark's boat on a 16-unit tile.
    boat_path: String,
}

/// The comparison widget's HTML; `click` gives each tool's click-route URL.
pub fn compare_html(
    a: &Verdict,
    b: &Verdict,
    theme: Theme,
    click: impl Fn(&Slug) -> String,
) -> askama::Result<String> {
    let (roles, more) = role_rows(a, b);
    let dense = roles.len() + usize::from(more > 0) > ROOMY_ROWS;
    CompareWidget {
        theme: theme.as_str(),
        sides: [Side::new(a, click(&a.slug)), Side::new(b, click(&b.slug))],
        roles,
        more,
        dense,
        boat_path: boat_path(16.0),
    }
    .render()
}

/// Looks both tools up; an unknown one is named.
async fn both(
    state: &AppState,
    a: &Slug,
    b: &Slug,
) -> Result<Result<(Verdict, Verdict), Refusal>, crate::catalog::LookupError> {
    let (ea, eb) = tokio::join!(state.catalog.get(a), state.catalog.get(b));
    let (ea, eb) = (ea?, eb?);
    Ok(match (ea, eb) {
        (Some(ea), Some(eb)) => Ok((ea.verdict.clone(), eb.verdict.clone())),
        (None, _) => Err(Refusal::Unknown(a.clone())),
        (_, None) => Err(Refusal::Unknown(b.clone())),
    })
}

/// The comparison widget handler.
#[utoipa::path(
    get,
    path = "/embed/compare/{a}/{b}",
    tag = "badges",
    params(
        ("a" = String, Path, description = "The first tool's slug (left)", example = "smolvlm-3b"),
        ("b" = String, Path, description = "The second tool's slug (right); another tool than `a`", example = "example-prompt-wrapper"),
        ("theme" = Option<Theme>, Query, description = "Colours of the widget; `auto` (the default) follows the reader's colour scheme"),
    ),
    responses(
        (status = 200, description = "The 360×260 comparison widget, counted as one widget impression for each tool; no script, no cookies, framable by any site", content_type = "text/html"),
        (status = 304, description = "The reader's copy is current (`If-None-Match`); counted like a 200"),
        (status = 400, description = "A bad parameter, or the same tool on both sides (a small framable page that says so; not counted)", content_type = "text/html"),
        (status = 404, description = "A segment that is not a slug, or a tool without a verdict (a small framable page naming it; not counted)", content_type = "text/html"),
    ),
)]
pub async fn compare_widget(
    State(state): State<AppState>,
    CompareTarget { a, b, theme }: CompareTarget,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Result<Response, HttpError> {
    let (va, vb) = match both(&state, &a, &b).await.on_widget()? {
        Ok(pair) => pair,
        Err(refusal) => return Ok(widget_refusal(&refusal)),
    };
    let body = compare_html(&va, &vb, theme, |slug| {
        state.public_link(&format!("api/badge-click/{slug}"))
    })
    .map_err(|e| HttpError::Widget(Problem::Internal(Box::new(e))))?;
    // One load is one view of each tool, by the same rules as the single widget.
    for slug in [&a, &b] {
        record_view(
            &state,
            &method,
            &request_headers,
            client_ip,
            slug,
            Kind::Widget,
        );
    }
    Ok(counted_page(&request_headers, body))
}

/// Embed snippets for a comparison: the body of `GET /api/embed-code/compare/{a}/{b}`.
///
/// The same fields as a single tool's embed code. Only the widget shows the two side by
/// side; the badge snippets are both tools' badges one after the other, for places that
/// show no iframes (READMEs, most package registries).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompareEmbedCode {
    /// `<iframe>` comparison widget, 360×260 (follows the reader's scheme by default).
    pub html_widget: String,
    /// Both tools' `<a><img></a>` badges (auto theme), each linking through its own click route.
    pub html_badge: String,
    /// Both badges in Markdown, for READMEs.
    pub markdown: String,
    /// Both badges as `<picture>`s: the dark SVG for readers who prefer dark, else the light one.
    pub html_picture: String,
}

impl CompareEmbedCode {
    /// Snippets for `a` beside `b`, pointing at `base` (the public URL).
    pub fn new(base: &Url, a: &Verdict, b: &Verdict) -> CompareEmbedCode {
        let widget = link(base, &format!("embed/compare/{}/{}", a.slug, b.slug));
        let (ca, cb) = (EmbedCode::new(base, a), EmbedCode::new(base, b));
        CompareEmbedCode {
            html_widget: format!(
                r#"<iframe src="{widget}" title="{} vs {}: ShipOrSkip verdicts" width="360" height="260" style="border:0;border-radius:16px;max-width:100%;" loading="lazy"></iframe>"#,
                attr(&a.name),
                attr(&b.name)
            ),
            html_badge: format!("{}\n{}", ca.html_badge, cb.html_badge),
            markdown: format!("{} {}", ca.markdown, cb.markdown),
            html_picture: format!("{}\n{}", ca.html_picture, cb.html_picture),
        }
    }
}

/// `GET /api/embed-code/compare/{a}/{b}`.
#[utoipa::path(
    get,
    path = "/api/embed-code/compare/{a}/{b}",
    tag = "badges",
    params(
        ("a" = String, Path, description = "The first tool's slug (left)", example = "smolvlm-3b"),
        ("b" = String, Path, description = "The second tool's slug (right); another tool than `a`", example = "example-prompt-wrapper"),
    ),
    responses(
        (status = 200, description = "Snippets to paste, pointing at `--public-url`", body = CompareEmbedCode),
        (status = 400, description = "Not a valid slug, or the same tool on both sides", body = ErrorBody),
        (status = 404, description = "No verdict for one of the slugs (named)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn compare_embed_code(
    State(state): State<AppState>,
    ComparePair(a, b): ComparePair,
) -> Result<Response, HttpError> {
    Ok(match both(&state, &a, &b).await? {
        Ok((va, vb)) => Json(CompareEmbedCode::new(&state.public_url, &va, &vb)).into_response(),
        Err(refusal) => api_refusal(&refusal),
    })
}

/// One tool offered by the chooser.
pub struct Choice {
    pub(super) slug: String,
    pub(super) name: String,
}

/// The "compare with" form: the other tools, the first [`CHOOSER_LIMIT`] by name.
pub struct Chooser {
    pub(super) options: Vec<Choice>,
    /// Other tools past the limit.
    pub(super) hidden: usize,
    /// All other tools.
    pub(super) total: usize,
    /// The tool picked, on the comparison page.
    pub(super) selected: String,
    /// The list could not be read.
    pub(super) unavailable: bool,
}

impl Chooser {
    /// Every tool but `this` from `all`, by name, at most [`CHOOSER_LIMIT`].
    fn of(all: Vec<Verdict>, this: &Slug, selected: Option<&Slug>) -> Chooser {
        let mut others: Vec<(String, Choice)> = all
            .into_iter()
            .filter(|v| v.slug != *this)
            .map(|v| {
                (
                    v.name.to_lowercase(),
                    Choice {
                        slug: v.slug.to_string(),
                        name: v.name,
                    },
                )
            })
            .collect();
        let total = others.len();
        others.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.slug.cmp(&y.1.slug)));
        others.truncate(CHOOSER_LIMIT);
        Chooser {
            hidden: total - others.len(),
            options: others.into_iter().map(|(_, c)| c).collect(),
            total,
            selected: selected.map(|s| s.to_string()).unwrap_or_default(),
            unavailable: false,
        }
    }
}

/// The chooser for `this` tool's pages; a store that cannot list the tools leaves it
/// empty, saying so, rather than failing the page.
pub async fn chooser(state: &AppState, this: &Slug, selected: Option<&Slug>) -> Chooser {
    match state.catalog.all().await {
        Ok(all) => Chooser::of(all, this, selected),
        Err(e) => {
            tracing::warn!(error = %e, "listing tools for the compare chooser failed");
            Chooser {
                options: Vec::new(),
                hidden: 0,
                total: 0,
                selected: String::new(),
                unavailable: true,
            }
        }
    }
}

#[derive(Template)]
#[template(path = "compare_page.html")]
struct ComparePage {
    slug: String,
    name: String,
    chooser: Chooser,
    /// The tool compared with, once one is picked.
    other: Option<OtherTool>,
}

struct OtherTool {
    slug: String,
    name: String,
    code: CompareEmbedCode,
}

/// The tool picked with `?with=`: `None` when the query names none.
fn picked(query: Option<&str>) -> Result<Option<Slug>, String> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err(format!(
            "The query is longer than {MAX_QUERY_LEN} characters."
        ));
    }
    let with = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "with")
        .map(|(_, v)| v.into_owned())
        .last()
        .unwrap_or_default();
    if with.is_empty() {
        return Ok(None);
    }
    Slug::parse(&with).map(Some).map_err(|_| {
        let shown: String = with.chars().take(40).collect();
        format!("“{shown}” is not a tool's slug.")
    })
}

/// `GET /tools/{slug}/compare?with={other}`.
#[utoipa::path(
    get,
    path = "/tools/{slug}/compare",
    tag = "pages",
    params(
        ("slug" = String, Path, description = "The tool's slug", example = "smolvlm-3b"),
        ("with" = Option<String>, Query, description = "The other tool's slug; without it, the page offers the choice", example = "example-prompt-wrapper"),
    ),
    responses(
        (status = 200, description = "The comparison widget in both themes and its embed code, or the choice of a tool to compare with (views here are not counted)", content_type = "text/html"),
        (status = 400, description = "`with` is not a slug, or names this same tool", content_type = "text/html"),
        (status = 404, description = "No such tool", content_type = "text/html"),
    ),
)]
pub async fn compare_page(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let with = picked(query.as_deref()).map_err(|why| HttpError::Page(Problem::BadRequest(why)))?;
    if with.as_ref() == Some(&slug) {
        return Err(HttpError::Page(Problem::BadRequest(format!(
            "Pick another tool than {slug} to compare it with."
        ))));
    }
    let Some(this) = state.catalog.get(&slug).await.on_page()? else {
        return Err(HttpError::Page(Problem::NotFound("No such tool")));
    };
    let other = match &with {
        Some(w) => match state.catalog.get(w).await.on_page()? {
            Some(o) => Some(OtherTool {
                slug: w.to_string(),
                name: o.verdict.name.clone(),
                code: CompareEmbedCode::new(&state.public_url, &this.verdict, &o.verdict),
            }),
            None => {
                return Err(HttpError::Page(Problem::NotFound(
                    "No such tool to compare with",
                )));
            }
        },
        None => None,
    };
    let page = ComparePage {
        slug: slug.to_string(),
        name: this.verdict.name.clone(),
        chooser: chooser(&state, &slug, with.as_ref()).await,
        other,
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
    use crate::verdict::{Votes, demo_verdicts};

    fn sample(slug: &str) -> Verdict {
        demo_verdicts()
            .into_iter()
            .find(|v| v.slug.as_str() == slug)
            .unwrap()
    }

    fn review(role: &str, score: Option<u8>, verdict: Call) -> Review {
        Review {
            role: role.into(),
            verdict,
            score,
        }
    }

    fn render(a: &Verdict, b: &Verdict, theme: Theme) -> String {
        compare_html(a, b, theme, |s| {
            format!("https://b.example/api/badge-click/{s}")
        })
        .unwrap()
    }

    #[test]
    fn roles_line_up_in_the_panel_order_with_gaps_named() {
        let a = sample("mistral-small-3-1"); // Builder, Skeptic, Futurist, Creator
        let mut b = sample("smolvlm-3b"); // Builder, Skeptic, Futurist, Founder
        b.reviews.push(review("Ethicist", None, Call::Skip));
        let (rows, more) = role_rows(&a, &b);
        assert_eq!(more, 0);
        let roles: Vec<_> = rows.iter().map(|r| r.role.as_str()).collect();
        assert_eq!(
            roles,
            [
                "Builder", "Skeptic", "Futurist", "Founder", "Creator", "Ethicist"
            ]
        );
        let founder = &rows[3];
        assert!(!founder.cells[0].reviewed && founder.cells[1].reviewed);
        assert_eq!(founder.cells[1].score, "52");
        let ethicist = &rows[5];
        assert_eq!(
            (ethicist.cells[1].score.as_str(), ethicist.cells[1].call),
            ("—", "Skip")
        );
    }

    #[test]
    fn roles_match_whatever_their_case_and_two_of_a_role_keep_both() {
        let mut a = sample("smolvlm-3b");
        let mut b = sample("example-prompt-wrapper");
        a.reviews = vec![
            review(" builder ", Some(10), Call::Skip),
            review("Builder", Some(20), Call::Ship),
        ];
        b.reviews = vec![review("BUILDER", Some(30), Call::Ship)];
        let (rows, _) = role_rows(&a, &b);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].role, "builder");
        assert_eq!(
            (
                rows[0].cells[0].score.as_str(),
                rows[0].cells[1].score.as_str()
            ),
            ("10", "30")
        );
        assert!(rows[1].cells[0].reviewed && !rows[1].cells[1].reviewed);
    }

    #[test]
    fn more_roles_than_fit_are_counted_not_dropped_silently() {
        let mut a = sample("smolvlm-3b");
        let mut b = sample("example-prompt-wrapper");
        a.reviews = (0..10)
            .map(|i| review(&format!("A{i}"), Some(50), Call::Ship))
            .collect();
        b.reviews = (0..10)
            .map(|i| review(&format!("B{i}"), Some(50), Call::Skip))
            .collect();
        let (rows, more) = role_rows(&a, &b);
        assert_eq!((rows.len(), more), (MAX_ROWS - 1, 20 - (MAX_ROWS - 1)));
        let html = render(&a, &b, Theme::Light);
        assert!(html.contains(&format!("+{more} more reviewers")), "{html}");
        assert!(html.contains(r#"class="card dense""#));
    }

    #[test]
    fn the_widget_shows_both_tools_and_escapes_them() {
        let mut a = sample("smolvlm-3b");
        a.name = r#"<script>alert("x")</script>"#.into();
        a.community = Some(Votes { ship: 3, skip: 1 });
        let b = sample("example-prompt-wrapper");
        let html = render(&a, &b, Theme::Dark);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&#60;script&#62;"));
        assert!(html.contains(r#"<html lang="en" class="dark">"#));
        assert!(html.contains("Example Prompt Wrapper"));
        for words in [
            "75% ship",
            "25% ship",
            "3 ships · 1 skip",
            "1 ship · 3 skips",
        ] {
            assert!(html.contains(words), "missing {words}");
        }
        assert!(html.contains("75% ship · 4\u{a0}votes"));
        assert!(html.contains("18% ship · 11\u{a0}votes"));
        assert!(html.contains("$19/month"));
        for side in ["smolvlm-3b", "example-prompt-wrapper"] {
            assert!(html.contains(&format!(
                r#"href="https://b.example/api/badge-click/{side}" target="_blank" rel="noopener""#
            )));
        }
        assert!(html.contains(&format!(r#"<path d="{}"/>"#, check_path(8.0, 8.0, 8.0))));
        assert!(html.contains(&format!(r#"<path d="{}"/>"#, cross_path(8.0, 8.0, 8.0))));
        assert!(html.contains("Verdict by"));
    }

    #[test]
    fn the_colours_are_the_widgets_exactly() {
        let (a, b) = (sample("smolvlm-3b"), sample("example-prompt-wrapper"));
        let palette = |html: &str| {
            let start = html.find("<style>").unwrap();
            let end = html.find("* { box-sizing").unwrap();
            html[start..end].to_owned()
        };
        for theme in [Theme::Light, Theme::Dark, Theme::Auto] {
            let single = super::super::widget::widget_html(&a, theme, "").unwrap();
            assert_eq!(palette(&render(&a, &b, theme)), palette(&single), "{theme}");
        }
    }

    #[test]
    fn refusals_say_why_with_the_right_status() {
        let p = |a: &str, b: &str| {
            vec![
                ("a".to_owned(), a.to_owned()),
                ("b".to_owned(), b.to_owned()),
            ]
        };
        assert!(two_slugs(&p("a", "b")).is_ok());
        let same = two_slugs(&p("a", "a")).unwrap_err();
        assert_eq!(same.status(StatusCode::NOT_FOUND), StatusCode::BAD_REQUEST);
        let bad = two_slugs(&p("a", "Not_A_Slug")).unwrap_err();
        assert_eq!(bad, Refusal::NotASlug("Not_A_Slug".into()));
        assert_eq!(bad.status(StatusCode::NOT_FOUND), StatusCode::NOT_FOUND);
        assert_eq!(bad.status(StatusCode::BAD_REQUEST), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn the_chooser_is_bounded_and_sorted_by_name() {
        let base = sample("smolvlm-3b");
        let all: Vec<Verdict> = (0..250)
            .map(|i| {
                let mut v = base.clone();
                v.slug = Slug::parse(&format!("tool-{i:03}")).unwrap();
                v.name = format!("Tool {:03}", 249 - i);
                v
            })
            .collect();
        let this = Slug::parse("tool-000").unwrap();
        let c = Chooser::of(all, &this, None);
        assert_eq!((c.options.len(), c.hidden, c.total), (200, 49, 249));
        assert_eq!(c.options[0].name, "Tool 000");
        assert!(c.options.iter().all(|o| o.slug != "tool-000"));
    }

    #[test]
    fn counts_shorten_to_four_characters() {
        assert_eq!(compact(9_999), "9999");
        assert_eq!(compact(12_345), "12k");
        assert_eq!(compact(3_400_000), "3M");
        assert_eq!(compact(2_000_000_000), "2B");
    }

    #[test]
    fn embed_code_names_both_and_escapes() {
        let mut a = sample("smolvlm-3b");
        a.name = r#"A "quoted" <b>"#.into();
        let b = sample("example-prompt-wrapper");
        let base = Url::parse("https://badges.example/sub/").unwrap();
        let code = CompareEmbedCode::new(&base, &a, &b);
        assert!(code.html_widget.starts_with(
            r#"<iframe src="https://badges.example/sub/embed/compare/smolvlm-3b/example-prompt-wrapper" title="A &#34;quoted&#34; &#60;b&#62; vs Example Prompt Wrapper: ShipOrSkip verdicts" width="360" height="260""#
        ), "{}", code.html_widget);
        assert!(code.html_widget.contains(r#"loading="lazy""#));
        assert_eq!(code.html_badge.matches("<a href=").count(), 2);
        assert_eq!(code.markdown.matches("[![").count(), 2);
    }
}
