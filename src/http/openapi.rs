//! The API described as OpenAPI 3.1, generated from the handlers' annotations.
//!
//! Served at `GET /api/openapi.json` and committed as `docs/openapi.json`; a test fails
//! when the two differ, and another when a route of the router is not described.

use super::errors::ErrorBody;
use crate::render::{Style, Theme};
use crate::stats::{Day, Referrer, Stats, Totals};
use crate::verdict::{Call, FieldError, Review, Verdict, Votes};
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The bytes of a binary body, such as a PNG image.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);

/// The bearer credentials the stats and write routes take.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "The admin token (every route), or a tool's stats key (`vbk_…`, that tool's \
             stats only)."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "verdict-badges",
        description = "Live Ship / Skip verdict badges, widgets and honest impression counts. \
                       The human reference is docs/API.md.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        super::pages::landing,
        super::badge::badge,
        super::click::click,
        super::verdicts::list,
        super::verdicts::one,
        super::verdicts::put,
        super::verdicts::delete,
        super::stats::stats,
        super::pages::embed_code,
        super::widget::widget,
        super::pages::tool_page,
        super::owners::page,
        super::owners::session::sign_in,
        super::owners::session::sign_out,
        super::owners::export::page_csv,
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        openapi_json,
        super::compare::compare_widget,
        super::compare::compare_embed_code,
        super::compare::compare_page,
        super::share::card,
        super::share::oembed,
        super::share::shields,
    ),
    components(schemas(
        Verdict, Review, Votes, Call, FieldError, ErrorBody, Stats, Totals, Day, Referrer,
        Style, Theme, super::pages::EmbedCode, super::compare::CompareEmbedCode,
        super::share::OEmbed, super::share::Shields,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "badges", description = "Badge images, the widget and the click route: what readers load."),
        (name = "verdicts", description = "Verdict records: public reads, admin writes."),
        (name = "stats", description = "Counts, for the admin and each tool's owners."),
        (name = "pages", description = "HTML pages of the service."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
)]
pub struct ApiDoc;

/// The document as served, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// The OpenAPI document as pretty JSON, exactly as `docs/openapi.json` holds it.
pub fn document() -> &'static str {
    &DOCUMENT
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json")),
)]
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

    /// `docs/openapi.json` is what the service serves. After changing the API, rewrite it
    /// with `VERDICT_BADGES_WRITE_OPENAPI=1 cargo test --lib openapi`.
    #[test]
    fn the_committed_document_is_the_served_one() {
        if std::env::var_os("VERDICT_BADGES_WRITE_OPENAPI").is_some() {
            std::fs::write(COMMITTED, format!("{}\n", document()))
                .expect("writing docs/openapi.json");
        }
        let committed = std::fs::read_to_string(COMMITTED).expect("docs/openapi.json exists");
        assert!(
            committed.trim_end() == document(),
            "docs/openapi.json differs from the API the code describes; \
             rewrite it with VERDICT_BADGES_WRITE_OPENAPI=1 cargo test --lib openapi"
        );
    }

    #[test]
    fn every_route_is_described_and_nothing_else() {
        let described: BTreeSet<String> = ApiDoc::openapi().paths.paths.keys().cloned().collect();
        let routed: BTreeSet<String> = super::super::routes::ALL
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        assert_eq!(described, routed);
    }

    #[test]
    fn it_is_openapi_3_1_with_the_bearer_scheme() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let put = &doc["paths"]["/api/verdicts/{slug}"]["put"];
        assert_eq!(put["security"][0]["bearer"], serde_json::json!([]));
        assert!(put["responses"]["400"]["content"]["application/json"].is_object());
    }
}
