//! The API token: with one configured, every request but the dashboard page
//! and the endpoints opened with `--api-open` must carry it, as
//! `Authorization: Bearer TOKEN` or (for the dashboard's event stream, which
//! cannot set headers) a `token` query parameter. Others get 401 with a JSON
//! error.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::ops::settings::OpenEndpoint;

/// Who may use the API.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The token; `None` means no authentication (loopback only).
    pub token: Option<String>,
    /// Endpoints served without the token.
    pub open: Vec<OpenEndpoint>,
}

impl Access {
    fn is_open(&self, path: &str) -> bool {
        match path {
            // The page itself holds no data: it reads the token from the URL
            // fragment and passes it to /v1/events.
            "/" => true,
            "/metrics" => self.open.contains(&OpenEndpoint::Metrics),
            "/healthz" => self.open.contains(&OpenEndpoint::Health),
            _ => false,
        }
    }
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented(req: &Request) -> Option<String> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    token_in_query(req.uri())
}

/// The URL-decoded `token` query parameter.
fn token_in_query(uri: &axum::http::Uri) -> Option<String> {
    let Query(q) = Query::<HashMap<String, String>>::try_from_uri(uri).ok()?;
    q.get("token").cloned()
}

/// Middleware: 401 unless the request carries the token (or needs none).
pub async fn require_token(
    State(access): State<Arc<Access>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(token) = access.token.as_deref() else {
        return next.run(req).await;
    };
    if access.is_open(req.uri().path()) {
        return next.run(req).await;
    }
    match presented(&req) {
        Some(t) if same(t.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => unauthorized("invalid API token"),
        None => unauthorized(
            "this API requires a token: send `Authorization: Bearer TOKEN` \
             (lifebuoy commands: --api-token or LIFEBUOY_API_TOKEN)",
        ),
    }
}

fn unauthorized(msg: &str) -> Response {
    let mut resp = ApiError(StatusCode::UNAUTHORIZED, msg.to_owned()).into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same(b"abcdef0123456789", b"abcdef0123456789"));
        assert!(!same(b"abcdef0123456789", b"abcdef0123456788"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn a_token_in_the_query_is_url_decoded() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(
            token_in_query(&uri("/v1/events?x=1&token=ab%2Bcd%2F%3D%3D0123456789")).as_deref(),
            Some("ab+cd/==0123456789")
        );
        assert_eq!(
            token_in_query(&uri("/v1/events?token=plain")).as_deref(),
            Some("plain")
        );
        assert_eq!(token_in_query(&uri("/v1/events?other=1")), None);
        assert_eq!(token_in_query(&uri("/v1/events")), None);
    }

    #[test]
    fn only_the_page_and_the_opened_endpoints_skip_the_token() {
        let a = Access {
            token: Some("t".repeat(16)),
            open: vec![OpenEndpoint::Health],
        };
        assert!(a.is_open("/"));
        assert!(a.is_open("/healthz"));
        assert!(!a.is_open("/metrics"));
        assert!(!a.is_open("/v1/members"));
    }
}
