//! The demo's HTTP side: one request per connection, read with `httparse`,
//! answered from `www/` and `pkg/` or the small JSON API, or handed to the
//! WebSocket relay.
//!
//! ```text
//! GET  /                 302 to /www/
//! GET  /www/…, /pkg/…    static files (application/wasm for .wasm)
//! GET  /api/cameras      {"run", "cameras": [{id, name, publicKey, fingerprint,
//!                         pairingCode, colour}], "picture": {width, height, plainPoints}}
//! POST /api/cameras/{id}/rotate   the camera replaces its key (rotation frame on
//!                         every stream first); answers the camera's new entry
//! POST /api/reports      {"camera": id, "report": FrameGate report} (sendBeacon), ≤ 4 KiB
//! GET  /api/reports      {"nowMs", "cameras": {id: [report + atMs, ...]}} (bounded rings)
//! GET  /api/faults       {"mixup": false, "loss": false, …}
//! POST /api/faults       a JSON object of fault switches to change; answers the new state
//! GET  /ws/{camera}      WebSocket: the camera's frames through the faulty relay;
//!                         the viewer's text messages are its control channel
//!                         ({"session", "key"}, see relay::Hello)
//! ```
//!
//! Every answer carries a strict Content-Security-Policy (no inline script
//! or style, no eval; `'wasm-unsafe-eval'` only to compile the package's
//! WebAssembly). The server answers only to `Host: 127.0.0.1:PORT` or
//! `localhost:PORT` (a DNS-rebinding guard), and the fault switches take
//! only `application/json` from the page's own origin, so another site
//! cannot flip them.

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use frameseal::{Signer, fingerprint, pairing};
use serde_json::{Value, json};

use crate::cameras::Camera;
use crate::os::{now_us, random_bytes};
use crate::server::Server;
use crate::{relay, render, reports};

/// Longest request head (request line and headers) read.
const MAX_HEAD: usize = 16 * 1024;
/// Longest request body read.
const MAX_BODY: usize = 64 * 1024;
/// How long a connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request, as far as this server cares.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection before sending anything.
    Closed,
    /// The head or body is above this server's limits.
    TooLarge,
    /// Not an HTTP/1.x request.
    Malformed,
    /// The connection failed or timed out.
    Io,
}

/// Reads one request; also returns any bytes that came after it (the first
/// bytes of a WebSocket conversation).
pub fn read_request(stream: &mut impl Read) -> Result<(Request, Vec<u8>), ReadError> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let (mut request, head_len, body_len) = loop {
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Io)?;
        if n == 0 {
            return Err(if buf.is_empty() {
                ReadError::Closed
            } else {
                ReadError::Malformed
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let target = parsed.path.unwrap_or("/");
                let path = target.split_once('?').map_or(target, |(p, _)| p);
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).trim().to_string(),
                        )
                    })
                    .collect();
                let request = Request {
                    method: parsed.method.unwrap_or("").to_string(),
                    path: path.to_string(),
                    headers,
                    body: Vec::new(),
                };
                let body_len = match request.header("content-length") {
                    None => 0,
                    Some(v) => v.parse::<usize>().map_err(|_| ReadError::Malformed)?,
                };
                if body_len > MAX_BODY {
                    return Err(ReadError::TooLarge);
                }
                break (request, head_len, body_len);
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err(ReadError::TooLarge),
            Err(_) => return Err(ReadError::Malformed),
        }
    };
    while buf.len() < head_len + body_len {
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Io)?;
        if n == 0 {
            return Err(ReadError::Malformed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let leftover = buf.split_off(head_len + body_len);
    request.body = buf.split_off(head_len);
    Ok((request, leftover))
}

/// An answer to write back.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    content_type: &'static str,
    extra: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        204 => "No Content",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            extra: Vec::new(),
            body,
        }
    }

    pub fn json(status: u16, value: &Value) -> Response {
        Response::new(status, "application/json", value.to_string().into_bytes())
    }

    /// `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Response {
        Response::json(status, &json!({ "error": message.into() }))
    }

    pub fn redirect(location: &str) -> Response {
        Response::new(302, "text/plain; charset=utf-8", Vec::new()).with("Location", location)
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.extra.push((name, value.into()));
        self
    }

    /// Status line, headers (with the security headers every answer
    /// carries) and body.
    pub fn write_to(&self, out: &mut impl Write, _port: u16) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
             Referrer-Policy: no-referrer\r\nContent-Security-Policy: {}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len(),
            CONTENT_SECURITY_POLICY
        );
        for (name, value) in &self.extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// No inline script or style, no eval, nothing from elsewhere (the
/// WebSockets to this server are `'self'`); WebAssembly may be compiled.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
     'wasm-unsafe-eval'; style-src 'self'; object-src 'none'; base-uri 'none'";

/// Whether the `Host` header names this server (127.0.0.1 or localhost).
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    host.is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"))
}

/// Whether a request's `Origin` (if it sent one) is this server's page.
pub fn origin_allowed(origin: Option<&str>, port: u16) -> bool {
    origin.is_none_or(|o| {
        o == format!("http://127.0.0.1:{port}") || o == format!("http://localhost:{port}")
    })
}

/// The file under `root` that `path` names, if it names one this server
/// serves: under `/www/` or `/pkg/`, each segment plain (letters, digits,
/// `.`, `_`, `-`, not starting with `.`), so nothing can climb out.
pub fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    let mut segments: Vec<&str> = rest.split('/').collect();
    if !matches!(segments.first(), Some(&"www") | Some(&"pkg")) {
        return None;
    }
    if let Some(last) = segments.last_mut()
        && last.is_empty()
    {
        *last = "index.html";
    }
    let plain = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    if segments.len() < 2 || !segments.iter().all(plain) {
        return None;
    }
    Some(segments.iter().fold(root.to_path_buf(), |p, s| p.join(s)))
}

/// The Content-Type for a file name.
pub fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ts" | "md" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn static_file(root: &Path, path: &str) -> Response {
    let Some(file) = resolve(root, path) else {
        return Response::error(404, format!("no such file: {path}"));
    };
    match fs::read(&file) {
        Ok(body) => Response::new(200, mime(&file), body),
        Err(_) if path.starts_with("/pkg/") => Response::error(
            404,
            format!("no such file: {path} (build the package first: ./build.sh build)"),
        ),
        Err(_) => Response::error(404, format!("no such file: {path}")),
    }
}

fn camera_json(c: &Camera) -> Value {
    let [r, g, b] = c.look.colour;
    let key = c.public_key();
    json!({
        "id": c.look.slug,
        "name": c.look.name,
        "publicKey": hex::encode(key),
        "fingerprint": fingerprint(&key),
        "pairingCode": pairing::encode(&key),
        "colour": format!("#{}", hex::encode([r, g, b])),
    })
}

fn cameras(server: &Server) -> Response {
    let cameras: Vec<Value> = server.hub.cameras().iter().map(camera_json).collect();
    let plain: Vec<[usize; 2]> = render::PLAIN_POINTS.iter().map(|(x, y)| [*x, *y]).collect();
    Response::json(
        200,
        &json!({
            "run": server.run_id,
            "cameras": cameras,
            "picture": { "width": render::WIDTH, "height": render::HEIGHT, "plainPoints": plain },
        }),
    )
}

fn update_faults(server: &Server, request: &Request) -> Response {
    let is_json = request
        .header("content-type")
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Response::error(415, "send the fault switches as application/json");
    }
    let mut faults = server.faults_lock();
    match faults.apply_json(&request.body) {
        Ok(()) => Response::json(200, &faults.to_json()),
        Err(e) => Response::error(400, e.to_string()),
    }
}

/// `POST /api/cameras/{id}/rotate`: the camera switches to a fresh key.
fn rotate(server: &Server, path: &str) -> Response {
    let slug = path
        .strip_prefix("/api/cameras/")
        .and_then(|rest| rest.strip_suffix("/rotate"))
        .unwrap_or("");
    let Some(camera) = server
        .hub
        .find(slug)
        .and_then(|i| server.hub.cameras().get(i))
    else {
        return Response::error(404, "no such camera");
    };
    let secret = match random_bytes::<32>() {
        Ok(s) => s,
        Err(e) => return Response::error(503, e.to_string()),
    };
    let next = Signer::from_secret(&secret, camera.default_stream);
    match camera.rotate(next, now_us()) {
        Ok(rotated) => {
            let mut answer = camera_json(camera);
            answer["previousFingerprint"] = Value::from(fingerprint(&rotated.old_key));
            answer["streams"] = Value::from(rotated.streams);
            Response::json(200, &answer)
        }
        Err(e) => Response::error(503, e),
    }
}

/// `POST /api/reports`: one display report, from `navigator.sendBeacon`.
fn add_report(server: &Server, request: &Request) -> Response {
    let stored = reports::parse(&request.body)
        .and_then(|(camera, report)| server.reports_lock().add(&camera, report, now_us() / 1000));
    match stored {
        Ok(()) => Response::new(204, "text/plain; charset=utf-8", Vec::new()),
        Err(e @ reports::ReportError::TooLarge) => Response::error(413, e.to_string()),
        Err(e) => Response::error(400, e.to_string()),
    }
}

/// Answers one connection.
pub fn handle(mut stream: TcpStream, server: &Server) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let (request, leftover) = match read_request(&mut stream) {
        Ok(r) => r,
        Err(ReadError::Closed) | Err(ReadError::Io) => return,
        Err(ReadError::TooLarge) => {
            let _ = Response::error(413, "request too large").write_to(&mut stream, server.port);
            return;
        }
        Err(ReadError::Malformed) => {
            let _ = Response::error(400, "not an HTTP request").write_to(&mut stream, server.port);
            return;
        }
    };
    let port = server.port;
    let response = if !host_allowed(request.header("host"), port) {
        Response::error(
            403,
            format!("this server answers only to 127.0.0.1:{port} and localhost:{port}"),
        )
    } else if !origin_allowed(request.header("origin"), port) {
        Response::error(403, "requests from other sites are refused")
    } else {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/" | "/www") => Response::redirect("/www/"),
            ("GET", "/api/cameras") => cameras(server),
            ("GET", "/api/faults") => Response::json(200, &server.faults_lock().to_json()),
            ("POST", path) if path.starts_with("/api/cameras/") => rotate(server, path),
            ("POST", "/api/reports") => add_report(server, &request),
            ("GET", "/api/reports") => {
                Response::json(200, &server.reports_lock().to_json(now_us() / 1000))
            }
            ("POST", "/api/faults") => update_faults(server, &request),
            (_, "/api/faults") => {
                Response::error(405, "use GET or POST").with("Allow", "GET, POST")
            }
            ("GET", path) if path.starts_with("/ws/") => {
                relay::serve(stream, &request, leftover, server);
                return;
            }
            ("GET", path) => static_file(&server.root, path),
            _ => Response::error(405, "only GET is served here").with("Allow", "GET"),
        }
    };
    let _ = response.write_to(&mut stream, port);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<(Request, Vec<u8>), ReadError> {
        read_request(&mut &bytes[..])
    }

    #[test]
    fn reads_a_request_with_its_body_and_what_follows() {
        let raw = b"POST /api/faults?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: \
                    application/json\r\ncontent-length: 13\r\n\r\n{\"loss\":true}EXTRA";
        let (req, leftover) = read(raw).unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/api/faults");
        assert_eq!(req.header("CONTENT-TYPE"), Some("application/json"));
        assert_eq!(req.body, b"{\"loss\":true}");
        assert_eq!(leftover, b"EXTRA");
    }

    #[test]
    fn refuses_what_is_not_a_request_or_too_large() {
        assert!(matches!(read(b""), Err(ReadError::Closed)));
        assert!(matches!(
            read(b"GET / HTTP/1.1\r\n"),
            Err(ReadError::Malformed)
        ));
        assert!(matches!(
            read(b"\x16\x03\x01 hello\r\n\r\n"),
            Err(ReadError::Malformed)
        ));
        let big_body = b"POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n";
        assert!(matches!(read(big_body), Err(ReadError::TooLarge)));
        let mut big_head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big_head.extend(vec![b'a'; MAX_HEAD + 10]);
        assert!(matches!(read(&big_head), Err(ReadError::TooLarge)));
        let short_body = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        assert!(matches!(read(short_body), Err(ReadError::Malformed)));
    }

    #[test]
    fn serves_only_plain_paths_under_www_and_pkg() {
        let root = Path::new("/r");
        assert_eq!(
            resolve(root, "/www/"),
            Some(PathBuf::from("/r/www/index.html"))
        );
        assert_eq!(
            resolve(root, "/www/demo.js"),
            Some(PathBuf::from("/r/www/demo.js"))
        );
        assert_eq!(
            resolve(root, "/pkg/frameseal_bg.wasm"),
            Some(PathBuf::from("/r/pkg/frameseal_bg.wasm"))
        );
        assert_eq!(
            resolve(root, "/pkg/snippets/a-1/js/canvas.js"),
            Some(PathBuf::from("/r/pkg/snippets/a-1/js/canvas.js"))
        );
        for bad in [
            "/",
            "/www",
            "/src/lib.rs",
            "/www/../Cargo.toml",
            "/www/..",
            "/www/.git",
            "/www//x",
            "/www/a%2e%2e",
            "/www/a\\b",
            "www/x",
            "/pkg/../../etc/passwd",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn wasm_and_scripts_get_their_types() {
        assert_eq!(mime(Path::new("a/frameseal_bg.wasm")), "application/wasm");
        assert_eq!(
            mime(Path::new("a/demo.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(mime(Path::new("x.bin")), "application/octet-stream");
    }

    #[test]
    fn only_this_server_and_its_page_are_trusted() {
        assert!(host_allowed(Some("127.0.0.1:8080"), 8080));
        assert!(host_allowed(Some("localhost:8080"), 8080));
        assert!(!host_allowed(Some("evil.example:8080"), 8080));
        assert!(!host_allowed(Some("127.0.0.1:8081"), 8080));
        assert!(!host_allowed(None, 8080));
        assert!(origin_allowed(None, 8080));
        assert!(origin_allowed(Some("http://127.0.0.1:8080"), 8080));
        assert!(!origin_allowed(Some("https://evil.example"), 8080));
    }

    #[test]
    fn every_answer_carries_the_security_headers() {
        let mut out = Vec::new();
        Response::error(404, "nope").write_to(&mut out, 9).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("\r\nContent-Length: 16\r\n"));
        assert!(text.contains("X-Content-Type-Options: nosniff"));
        assert!(text.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(!text.contains("unsafe-inline"));
        assert!(text.ends_with("\r\n\r\n{\"error\":\"nope\"}"));
    }
}
