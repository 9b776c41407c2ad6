//! The rules every request and every answer pass through, whatever the
//! route.
//!
//! - Every answer carries a strict Content-Security-Policy (no inline
//!   script or style, no eval; `'wasm-unsafe-eval'` only to compile the
//!   package's WebAssembly), and is neither cached nor sniffed.
//! - The server answers only to `Host: 127.0.0.1:PORT` or `localhost:PORT`:
//!   a page of another site whose name was rebound to 127.0.0.1 (DNS
//!   rebinding) sends its own name and is refused.
//! - A request that names an `Origin` must name this server's page, or be
//!   `null` on a request the browser marks `Sec-Fetch-Site: same-origin`
//!   (Firefox's `sendBeacon` under the page's `Referrer-Policy:
//!   no-referrer`, as the Fetch standard says). The fault switches also take only `application/json` ([`is_json`]), which
//!   a form on another site cannot send, so no other site can flip them.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::answer;
use crate::server::Server;

/// No inline script or style, no eval, nothing from elsewhere (the
/// WebSockets to this server are `'self'`); WebAssembly may be compiled;
/// media may come from `blob:` URLs, which is how a `<video>` gets a
/// MediaSource (the live tiles' MseGate and hls.js players).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
     'wasm-unsafe-eval'; style-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'";

/// Whether the `Host` header names this server (127.0.0.1 or localhost).
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    host.is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"))
}

/// Whether a request's `Origin` (if it sent one) is this server's page.
/// An opaque `null` origin is this page's only when the browser says the
/// request is same-origin (`fetch_site`, its `Sec-Fetch-Site`, which no
/// page script can set): a no-cors POST such as `sendBeacon` from a page
/// with `Referrer-Policy: no-referrer` sends `Origin: null` (Fetch
/// standard, "serializing a request origin"; Firefox does).
pub fn origin_allowed(origin: Option<&str>, fetch_site: Option<&str>, port: u16) -> bool {
    origin.is_none_or(|o| {
        o == format!("http://127.0.0.1:{port}")
            || o == format!("http://localhost:{port}")
            || (o == "null" && fetch_site == Some("same-origin"))
    })
}

/// Whether a request's body is declared `application/json` (parameters
/// such as `; charset=utf-8` allowed).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The middleware: refuses a request for another host or from another
/// origin before any route sees it, and puts the security headers on every
/// answer (but the 101 that opens a WebSocket, which carries only the
/// handshake's).
pub async fn guard(State(server): State<Arc<Server>>, request: Request, next: Next) -> Response {
    let port = server.port;
    let headers = request.headers();
    let mut response = if !host_allowed(text(headers, header::HOST), port) {
        answer::error(
            StatusCode::FORBIDDEN,
            format!("this server answers only to 127.0.0.1:{port} and localhost:{port}"),
        )
    } else if !origin_allowed(
        text(headers, header::ORIGIN),
        text(headers, header::HeaderName::from_static("sec-fetch-site")),
        port,
    ) {
        answer::error(
            StatusCode::FORBIDDEN,
            "requests from other sites are refused",
        )
    } else {
        next.run(request).await
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_server_and_its_page_are_trusted() {
        assert!(host_allowed(Some("127.0.0.1:8080"), 8080));
        assert!(host_allowed(Some("localhost:8080"), 8080));
        assert!(!host_allowed(Some("evil.example:8080"), 8080));
        assert!(!host_allowed(Some("127.0.0.1:8081"), 8080));
        assert!(!host_allowed(Some("127.0.0.1"), 8080));
        assert!(!host_allowed(None, 8080));
        assert!(origin_allowed(None, None, 8080));
        assert!(origin_allowed(Some("http://127.0.0.1:8080"), None, 8080));
        assert!(origin_allowed(Some("http://localhost:8080"), None, 8080));
        assert!(!origin_allowed(Some("https://evil.example"), None, 8080));
        assert!(!origin_allowed(
            Some("https://evil.example"),
            Some("same-origin"),
            8080
        ));
        assert!(!origin_allowed(Some("null"), None, 8080));
        assert!(!origin_allowed(Some("null"), Some("cross-site"), 8080));
        assert!(!origin_allowed(Some("null"), Some("same-site"), 8080));
        // Firefox's sendBeacon from this server's page (Referrer-Policy: no-referrer).
        assert!(origin_allowed(Some("null"), Some("same-origin"), 8080));
    }

    #[test]
    fn json_is_the_media_type_whatever_its_parameters() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(!with("text/plain;charset=UTF-8"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
