//! The owners' stats page, `/stats/{slug}`: totals, click-through, a daily chart and top
//! referrers of one tool, for its owners.
//!
//! Access follows [`crate::auth::authorize`]: a stats key of the tool, as a bearer token
//! or through the cookie set by signing in ([`session`]), or the admin token as a bearer
//! token. The CSV download is [`export`].

pub mod export;
pub mod session;

use crate::chart::DailyChart;
use crate::http::errors::{HttpError, OnSurface, Problem};
use crate::http::extract::{OwnerCredential, PageSlug, Via, Window};
use crate::http::pages;
use crate::state::AppState;
use crate::stats::{self, BadDays};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Windows offered on the page, in days.
const RANGES: [u32; 4] = [7, 30, 90, 366];

/// Click-through rate: clicks over badge and widget impressions, "–" when there were none.
pub fn click_through(clicks: u64, impressions: u64) -> String {
    if impressions == 0 {
        return "–".to_owned();
    }
    let percent = clicks as f64 * 100.0 / impressions as f64;
    if percent >= 10.0 || percent == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent:.1}%")
    }
}

/// One referrer row of the page.
struct ReferrerRow {
    host: String,
    impressions: u64,
    clicks: u64,
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
    badge_impressions: u64,
    widget_impressions: u64,
    clicks: u64,
    bot_requests: u64,
    ctr: String,
    chart: DailyChart,
    referrers: Vec<ReferrerRow>,
    ranges: Vec<Range>,
    signed_in: bool,
}

/// A page that holds or asks for secrets: never stored by any cache.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The tool's display name; a tool the service does not know is a 404 page.
async fn tool_name(state: &AppState, slug: &crate::verdict::Slug) -> Result<String, HttpError> {
    match state.catalog.get(slug).await.on_page()? {
        Some(entry) => Ok(entry.verdict.name.clone()),
        None => Err(HttpError::Page(Problem::NotFound("No such tool"))),
    }
}

/// `GET /stats/{slug}`: the stats page, or the sign-in form.
#[utoipa::path(
    get,
    path = "/stats/{slug}",
    tag = "stats",
    params(
        ("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b"),
        ("days" = Option<u32>, Query, minimum = 1, maximum = 366, description = "How many UTC days back, today included (default 30)"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The owners' page: totals, click-through, a daily chart and top referrers", content_type = "text/html"),
        (status = 401, description = "The sign-in form", content_type = "text/html"),
        (status = 403, description = "The sign-in form, saying the key is another tool's", content_type = "text/html"),
        (status = 404, description = "No such tool", content_type = "text/html"),
    ),
)]
pub async fn page(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
    window: Result<Window, BadDays>,
    OwnerCredential(credential): OwnerCredential,
) -> Result<Response, HttpError> {
    let name = tool_name(&state, &slug).await?;
    let days = window.on_page()?.0;
    let secret = credential.as_ref().map(|(secret, _)| secret);
    if let Err(denied) = state.authorize(secret, &slug).await {
        return session::refused(denied, &slug, &name, credential.is_some());
    }
    let stats = stats::read(&state.store, &slug, days).await.on_page()?;
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
        days: days.get(),
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
                current: d == days.get(),
            })
            .collect(),
        signed_in: matches!(credential, Some((_, Via::Cookie))),
    };
    Ok(private(pages::html(StatusCode::OK, page.render())))
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
}
