//! The one error type of the HTTP layer.
//!
//! A handler says *what* went wrong (a [`Problem`]) and *where* it is shown (the
//! [`HttpError`] variant: the JSON API, a page of the service, the widget inside
//! someone's iframe, or a badge image). This file alone decides the status, the body
//! and the headers of every error. Client mistakes are precise (which parameter, which
//! field); failures inside the service are logged here and shown only as "unavailable"
//! (503, worth retrying) or "internal error" (500), never with their details.

use crate::badge_cache::BadgeCache;
use crate::catalog::LookupError;
use crate::render::{Format, Variant};
use crate::store::StoreError;
use crate::verdict::FieldError;
use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::error::Error as StdError;
use std::sync::Arc;

/// A failure inside the service, kept for the log.
pub type Source = Box<dyn StdError + Send + Sync>;

/// What went wrong, whatever surface shows it.
#[derive(Debug)]
pub enum Problem {
    /// The request is wrong: a parameter, a path or a body. The text says how.
    BadRequest(String),
    /// A verdict record broke the contract's rules, field by field.
    Invalid(Vec<FieldError>),
    /// No credentials, or credentials that belong to nobody.
    Unauthorized,
    /// Valid credentials, but not for this.
    Forbidden(&'static str),
    /// No such thing.
    NotFound(&'static str),
    /// A body larger than the route ever needs.
    TooLarge(&'static str),
    /// A body in a format the route does not read.
    UnsupportedMedia(&'static str),
    /// The store or the verdict origin cannot answer just now.
    Unavailable(Source),
    /// A fault of the service itself: corrupt data, a failed render, a bug.
    Internal(Source),
}

impl Problem {
    /// The HTTP status of this problem (badges answer 200 whatever it is).
    pub fn status(&self) -> StatusCode {
        match self {
            Problem::BadRequest(_) | Problem::Invalid(_) => StatusCode::BAD_REQUEST,
            Problem::Unauthorized => StatusCode::UNAUTHORIZED,
            Problem::Forbidden(_) => StatusCode::FORBIDDEN,
            Problem::NotFound(_) => StatusCode::NOT_FOUND,
            Problem::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Problem::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Problem::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Problem::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client is told: precise for its own mistakes, nothing of the internals.
    pub fn message(&self) -> String {
        match self {
            Problem::BadRequest(text) => text.clone(),
            Problem::Invalid(_) => "invalid verdict record".to_owned(),
            Problem::Unauthorized => "a valid bearer token is required".to_owned(),
            Problem::Forbidden(text)
            | Problem::NotFound(text)
            | Problem::TooLarge(text)
            | Problem::UnsupportedMedia(text) => (*text).to_owned(),
            Problem::Unavailable(_) => "the store is unavailable; try again shortly".to_owned(),
            Problem::Internal(_) => "internal error".to_owned(),
        }
    }

    /// Logs a failure of the service once, where it is turned into a response.
    fn log(&self) {
        match self {
            Problem::Unavailable(e) => tracing::warn!(error = %e, "answering unavailable"),
            Problem::Internal(e) => tracing::error!(error = %e, "answering an internal error"),
            _ => {}
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        if e.is_transient() {
            Problem::Unavailable(Box::new(e))
        } else {
            Problem::Internal(Box::new(e))
        }
    }
}

impl From<LookupError> for Problem {
    fn from(e: LookupError) -> Problem {
        if e.is_transient() {
            Problem::Unavailable(Box::new(e))
        } else {
            Problem::Internal(Box::new(e))
        }
    }
}

/// Why a badge request gets an error image: the text drawn on it and sent as
/// `X-Verdict-Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadgeReason {
    /// `style` is not `card` or `compact`.
    BadStyle,
    /// `theme` is not `light`, `dark` or `auto`.
    BadTheme,
    /// `scale` is not 1 to 4.
    BadScale,
    /// The query string is longer than any real badge URL's.
    QueryTooLong,
    /// The path names no valid slug.
    InvalidSlug,
    /// The slug is valid but no verdict exists for it.
    UnknownTool,
    /// The verdict cannot be read just now.
    Unavailable,
    /// Rendering failed.
    RenderFailed,
}

impl BadgeReason {
    /// The reason as drawn and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeReason::BadStyle => "bad style",
            BadgeReason::BadTheme => "bad theme",
            BadgeReason::BadScale => "bad scale",
            BadgeReason::QueryTooLong => "query too long",
            BadgeReason::InvalidSlug => "invalid slug",
            BadgeReason::UnknownTool => "unknown tool",
            BadgeReason::Unavailable => "unavailable",
            BadgeReason::RenderFailed => "render failed",
        }
    }
}

/// An error shown as a badge image of the variant and format that was asked for.
pub struct ErrorImage {
    /// What the image says.
    pub reason: BadgeReason,
    /// The style and theme asked for (or the defaults, where those were wrong).
    pub variant: Variant,
    /// SVG or PNG, as asked for.
    pub format: Format,
    /// Where error images are rendered and kept.
    pub badges: Arc<BadgeCache>,
}

/// Every error an HTTP handler can answer with, by the surface that shows it.
pub enum HttpError {
    /// The JSON API: `{"error": "…"}` (and `fields` for an invalid record).
    Api(Problem),
    /// A page of the service, for a reader who followed a link.
    Page(Problem),
    /// The widget, inside someone else's iframe: a small framable page.
    Widget(Problem),
    /// A badge: always an image that says what is wrong, `200`, never counted.
    Image(ErrorImage),
}

impl std::fmt::Debug for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Api(p) => f.debug_tuple("Api").field(p).finish(),
            HttpError::Page(p) => f.debug_tuple("Page").field(p).finish(),
            HttpError::Widget(p) => f.debug_tuple("Widget").field(p).finish(),
            HttpError::Image(i) => f.debug_tuple("Image").field(&i.reason).finish(),
        }
    }
}

/// Puts a failing result on a surface: `store.read().await.on_page()?`.
pub trait OnSurface<T> {
    /// The error as a JSON API answer.
    fn on_api(self) -> Result<T, HttpError>;
    /// The error as a page of the service.
    fn on_page(self) -> Result<T, HttpError>;
    /// The error as a framable widget page.
    fn on_widget(self) -> Result<T, HttpError>;
}

impl<T, E: Into<Problem>> OnSurface<T> for Result<T, E> {
    fn on_api(self) -> Result<T, HttpError> {
        self.map_err(|e| HttpError::Api(e.into()))
    }

    fn on_page(self) -> Result<T, HttpError> {
        self.map_err(|e| HttpError::Page(e.into()))
    }

    fn on_widget(self) -> Result<T, HttpError> {
        self.map_err(|e| HttpError::Widget(e.into()))
    }
}

/// JSON handlers may use `?` on anything that is a [`Problem`].
impl<E: Into<Problem>> From<E> for HttpError {
    fn from(e: E) -> HttpError {
        HttpError::Api(e.into())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::Api(problem) => api(problem),
            HttpError::Page(problem) => page(problem),
            HttpError::Widget(problem) => widget(problem),
            HttpError::Image(image) => error_image(image),
        }
    }
}

/// The body of every JSON error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What is wrong, for a person.
    pub error: String,
    /// For an invalid verdict record: every broken rule, by field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
}

fn api(problem: Problem) -> Response {
    problem.log();
    let status = problem.status();
    let error = problem.message();
    let fields = match problem {
        Problem::Invalid(fields) => Some(fields),
        _ => None,
    };
    let mut response = (status, Json(ErrorBody { error, fields })).into_response();
    let h = response.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// The page a problem is shown as: a 404 page for what does not exist, else a title
/// and a sentence.
fn problem_page(problem: &Problem) -> askama::Result<String> {
    let message = problem.message();
    match problem {
        Problem::NotFound(what) => NotFoundPage { message: what }.render(),
        Problem::BadRequest(_)
        | Problem::Invalid(_)
        | Problem::TooLarge(_)
        | Problem::UnsupportedMedia(_) => MessagePage {
            title: "That request is not valid",
            message: &message,
        }
        .render(),
        Problem::Unauthorized | Problem::Forbidden(_) => MessagePage {
            title: "Not allowed",
            message: &message,
        }
        .render(),
        Problem::Unavailable(_) => MessagePage {
            title: "Unavailable just now",
            message: "The store cannot be reached. Try again in a moment.",
        }
        .render(),
        Problem::Internal(_) => MessagePage {
            title: "Something went wrong",
            message: "The service failed to answer this page. It has been logged.",
        }
        .render(),
    }
}

fn page(problem: Problem) -> Response {
    problem.log();
    let mut response = super::pages::html(problem.status(), problem_page(&problem));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Template)]
#[template(path = "widget_error.html")]
struct WidgetErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// The widget's error: a small page that fits the iframe, in place of the widget.
fn widget(problem: Problem) -> Response {
    problem.log();
    let message = problem.message();
    let (title, message) = match &problem {
        Problem::BadRequest(_)
        | Problem::Invalid(_)
        | Problem::TooLarge(_)
        | Problem::UnsupportedMedia(_) => ("Bad widget parameter", message.as_str()),
        Problem::NotFound(what) => (*what, "The review site has no verdict for this tool."),
        Problem::Unauthorized | Problem::Forbidden(_) => ("Not allowed", message.as_str()),
        Problem::Unavailable(_) => ("Unavailable just now", "Try again in a moment."),
        Problem::Internal(_) => ("Something went wrong", "The widget could not be drawn."),
    };
    let mut response = super::pages::html(
        problem.status(),
        WidgetErrorPage { title, message }.render(),
    );
    super::widget::framable(&mut response);
    response
}

/// A badge that says what is wrong: `200` (an `<img>` shows nothing for an error
/// status), `X-Verdict-Error`, never cached downstream, never counted.
fn error_image(image: ErrorImage) -> Response {
    let ErrorImage {
        reason,
        variant,
        format,
        badges,
    } = image;
    let mut response = match badges.error(reason.as_str(), variant, format) {
        Ok(r) => ([(header::CONTENT_TYPE, format.content_type())], r.body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, reason = reason.as_str(), "rendering an error badge failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = response.headers_mut();
    h.insert("x-verdict-error", HeaderValue::from_static(reason.as_str()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if format == Format::Svg {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            super::headers::SVG_CSP.clone(),
        );
    }
    response
}

impl From<crate::auth::Denied> for Problem {
    fn from(e: crate::auth::Denied) -> Problem {
        use crate::auth::Denied;
        match e {
            Denied::Missing | Denied::Unknown => Problem::Unauthorized,
            Denied::OtherTool => Problem::Forbidden("this key belongs to another tool"),
            Denied::Store(e) => e.into(),
        }
    }
}
