//! The one error type of the HTTP layer: precise for the client's mistakes,
//! silent about internals (they are logged, never sent).

use crate::store::StoreError;
use crate::verdict::FieldError;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything a JSON route can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// A record broke the contract's rules, field by field.
    #[error("invalid verdict record")]
    Invalid(Vec<FieldError>),
    /// No credentials, or credentials that belong to nobody.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// Credentials that are valid but not for this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such thing.
    #[error("{0}")]
    NotFound(&'static str),
    /// The store cannot be reached just now.
    #[error("the store is unavailable; try again shortly")]
    Unavailable(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<std::sync::Arc<crate::catalog::LookupError>> for AppError {
    fn from(e: std::sync::Arc<crate::catalog::LookupError>) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unavailable(e) => {
                tracing::error!(error = %e, "store error while answering a request");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let body = match &self {
            AppError::Invalid(fields) => json!({ "error": self.to_string(), "fields": fields }),
            _ => json!({ "error": self.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        response
    }
}
