//! The demo's HTTP side: which request goes where.
//!
//! ```text
//! GET  /, /www           302 to /www/
//! GET  /www/…, /pkg/…    static files (files.rs; application/wasm for .wasm)
//! GET  /api/cameras      {"run", "cameras": [{id, name, publicKey, fingerprint,
//!                         pairingCode, colour}], "picture": {width, height, plainPoints}}
//! POST /api/cameras/{id}/rotate   the camera replaces its key (rotation frame on
//!                         every stream first); answers the camera's new entry
//! POST /api/reports      {"camera": id, "report": FrameGate report} (sendBeacon), ≤ 4 KiB
//! GET  /api/reports      {"nowMs", "cameras": {id: [report + atMs, ...]}} (bounded rings)
//! GET  /api/faults       {"mixup": false, "loss": false, …}
//! POST /api/faults       a JSON object of fault switches to change; answers the new state
//! GET  /ws/{camera}      WebSocket: the camera's frames through the faulty relay
//!                         (relay.rs); the viewer's text messages are its control channel
//! GET  /api/live         the live H.264 cameras: {"fps", "width", "height", "gop",
//!                         "plainPoints", "cameras": [{id, name, publicKey, fingerprint,
//!                         colour, problem, mime, hls: {foreign, old, ready}}]}
//! GET  /ws/live/{camera} WebSocket: the live camera as go2rtc's MSE mode sends it
//!                         (live_relay.rs)
//! GET  /api/axis        the Axis camera (a Signed Video recording): {"problem", "codec",
//!                         "width", "height", "fps", "publicKey" (SPKI DER, hex),
//!                         "fingerprint", "otherFingerprint", "gops": [pictures, ...]}
//! GET  /ws/axis          WebSocket: the recording in a loop through the faulty relay
//!                         (axis_relay.rs)
//! GET  /hls/{camera}/…   the live camera as LL-HLS (hls.rs)
//! GET  /vendor/hls.mjs   hls.js from node_modules (npm), for the LL-HLS tiles
//! ```
//!
//! Every request passes [`guard::guard`] first (Host, Origin, the security
//! headers on every answer); bodies above [`MAX_BODY`] are refused.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use frameseal::signed_video::spki_fingerprint;
use frameseal::{Signer, fingerprint, pairing};
use serde_json::{Value, json};

use crate::cameras::Camera;
use crate::live::{self, LiveCamera};
use crate::server::Server;
use crate::{answer, axis_relay, files, guard, hls, live_relay, relay, render, reports};
use frameseal_native::{now_us, random_bytes};

/// Longest request body read.
pub const MAX_BODY: usize = 64 * 1024;

/// Every route, behind the guard.
pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/", get(to_page))
        .route("/www", get(to_page))
        .route("/api/cameras", get(cameras))
        .route("/api/cameras/{camera}/rotate", post(rotate))
        .route("/api/faults", get(faults).post(update_faults))
        .route("/api/reports", get(reports).post(add_report))
        .route("/ws/{camera}", get(viewer))
        .route("/api/live", get(live_cameras))
        .route("/ws/live/{camera}", get(live_viewer))
        .route("/api/axis", get(axis_camera))
        .route("/ws/axis", get(axis_viewer))
        .route("/hls/{camera}/live.m3u8", get(hls_playlist))
        .route("/hls/{camera}/init.mp4", get(hls_init))
        .route("/hls/{camera}/seg/{name}", get(hls_segment))
        .route("/hls/{camera}/part/{name}", get(hls_part))
        .route("/vendor/hls.mjs", get(hls_js))
        // After the routes: a known path asked with another method.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(page_files)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&server),
            guard::guard,
        ))
        .with_state(server)
}

/// The answer to a body that could not be read (413 above [`MAX_BODY`]).
fn unreadable(rejection: BytesRejection) -> Response {
    let status = rejection.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "request too large".to_string()
    } else {
        rejection.body_text()
    };
    answer::error(status, message)
}

async fn to_page() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/www/")]).into_response()
}

/// 405; the router adds `Allow` with the methods the path takes.
async fn method_not_allowed() -> Response {
    answer::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "this method is not served here (Allow lists those that are)",
    )
}

/// Any other path: a file of the page or the package, for GET only.
async fn page_files(State(server): State<Arc<Server>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut refused = answer::error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served here");
        refused
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        return refused;
    }
    files::serve(&server.root, uri.path()).await
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

async fn cameras(State(server): State<Arc<Server>>) -> Response {
    let cameras: Vec<Value> = server.hub.cameras().iter().map(camera_json).collect();
    let plain: Vec<[usize; 2]> = render::PLAIN_POINTS.iter().map(|(x, y)| [*x, *y]).collect();
    answer::json(
        StatusCode::OK,
        &json!({
            "run": server.run_id,
            "cameras": cameras,
            "picture": { "width": render::WIDTH, "height": render::HEIGHT, "plainPoints": plain },
        }),
    )
}

async fn faults(State(server): State<Arc<Server>>) -> Response {
    answer::json(StatusCode::OK, &server.faults_lock().to_json())
}

/// `POST /api/faults`: only `application/json` (see [`guard`]).
async fn update_faults(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    read: Result<Bytes, BytesRejection>,
) -> Response {
    if !guard::is_json(&headers) {
        return answer::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the fault switches as application/json",
        );
    }
    let body = match read {
        Ok(body) => body,
        Err(rejection) => return unreadable(rejection),
    };
    let mut faults = server.faults_lock();
    match faults.apply_json(&body) {
        Ok(()) => answer::json(StatusCode::OK, &faults.to_json()),
        Err(e) => answer::error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// `POST /api/cameras/{id}/rotate`: the camera switches to a fresh key.
async fn rotate(State(server): State<Arc<Server>>, Path(slug): Path<String>) -> Response {
    let Some(camera) = server
        .hub
        .find(&slug)
        .and_then(|i| server.hub.cameras().get(i))
    else {
        return answer::error(StatusCode::NOT_FOUND, "no such camera");
    };
    let secret = match random_bytes::<32>() {
        Ok(s) => s,
        Err(e) => return answer::error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let next = Signer::from_secret(&secret, camera.default_stream);
    match camera.rotate(next, now_us()) {
        Ok(rotated) => {
            let mut entry = camera_json(camera);
            entry["previousFingerprint"] = Value::from(fingerprint(&rotated.old_key));
            entry["streams"] = Value::from(rotated.streams);
            answer::json(StatusCode::OK, &entry)
        }
        Err(e) => answer::error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

async fn reports(State(server): State<Arc<Server>>) -> Response {
    answer::json(
        StatusCode::OK,
        &server.reports_lock().to_json(now_us() / 1000),
    )
}

/// `POST /api/reports`: one display report, from `navigator.sendBeacon`
/// (which sends `text/plain`).
async fn add_report(
    State(server): State<Arc<Server>>,
    read: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read {
        Ok(body) => body,
        Err(rejection) => return unreadable(rejection),
    };
    let stored = reports::parse(&body)
        .and_then(|(camera, report)| server.reports_lock().add(&camera, report, now_us() / 1000));
    match stored {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e @ reports::ReportError::TooLarge) => {
            answer::error(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        Err(e) => answer::error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// `GET /ws/{camera}`: opens the viewer's WebSocket and hands it to the
/// relay; says what is wrong with any other request there.
async fn viewer(
    State(server): State<Arc<Server>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(camera) = server.hub.find(&slug) else {
        let known: Vec<&str> = server.hub.cameras().iter().map(|c| c.look.slug).collect();
        let message = format!("no camera '{slug}' (cameras: {})", known.join(", "));
        return answer::error(StatusCode::NOT_FOUND, message);
    };
    upgrade_viewer(&headers, upgrade, move |socket| {
        relay::serve(socket, camera, server)
    })
}

fn live_json(c: &LiveCamera) -> Value {
    let [r, g, b] = c.look.colour;
    let key = c.public_key();
    let (foreign, old) = c.hls.counts();
    json!({
        "id": c.look.slug,
        "name": c.look.name,
        "publicKey": hex::encode(key),
        "fingerprint": fingerprint(&key),
        "colour": format!("#{}", hex::encode([r, g, b])),
        "problem": c.problem(),
        "mime": c.stream().map(|s| s.mime),
        "hls": { "foreign": foreign, "old": old, "ready": c.hls.playlist(c).is_some() },
    })
}

/// `GET /api/live`: the live H.264 cameras and their picture.
async fn live_cameras(State(server): State<Arc<Server>>) -> Response {
    let cameras: Vec<Value> = server.live.cameras().iter().map(live_json).collect();
    let plain: Vec<[u32; 2]> = live::PLAIN_POINTS.iter().map(|(x, y)| [*x, *y]).collect();
    answer::json(
        StatusCode::OK,
        &json!({
            "fps": live::FPS, "width": live::WIDTH, "height": live::HEIGHT, "gop": live::GOP,
            "plainPoints": plain, "cameras": cameras,
        }),
    )
}

/// The live camera named `slug`, or the answer saying there is none.
fn live_camera(server: &Server, slug: &str) -> Result<usize, Box<Response>> {
    server.live.find(slug).ok_or_else(|| {
        let known: Vec<&str> = server.live.cameras().iter().map(|c| c.look.slug).collect();
        let message = format!(
            "no live camera '{slug}' (live cameras: {})",
            known.join(", ")
        );
        Box::new(answer::error(StatusCode::NOT_FOUND, message))
    })
}

/// `GET /ws/live/{camera}`: the live camera over WebSocket, go2rtc-style.
async fn live_viewer(
    State(server): State<Arc<Server>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let camera = match live_camera(&server, &slug) {
        Ok(camera) => camera,
        Err(answer) => return *answer,
    };
    upgrade_viewer(&headers, upgrade, move |socket| {
        live_relay::serve(socket, camera, server)
    })
}

/// `GET /api/axis`: the Axis camera, or why it cannot play.
async fn axis_camera(State(server): State<Arc<Server>>) -> Response {
    let value = match &server.axis {
        Err(problem) => json!({ "problem": problem }),
        Ok(feed) => {
            let g = &feed.genuine;
            json!({
                "problem": null, "codec": g.codec, "width": g.size.0, "height": g.size.1,
                "fps": axis_relay::FPS, "publicKey": hex::encode(&g.spki),
                "fingerprint": spki_fingerprint(&g.spki),
                "otherFingerprint": spki_fingerprint(&feed.other.spki),
                "gops": (0..g.gops.len()).map(|i| g.pictures_in(i)).collect::<Vec<_>>(),
            })
        }
    };
    answer::json(StatusCode::OK, &value)
}

/// `GET /ws/axis`: the Axis camera over WebSocket.
async fn axis_viewer(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade_viewer(&headers, upgrade, move |socket| {
        axis_relay::serve(socket, server)
    })
}

/// Hands a viewer's WebSocket to `serve` (the relay of one camera kind),
/// or answers what is wrong with the request: one set of upgrade rules
/// (headers, message size) for every relay.
fn upgrade_viewer<F, Fut>(
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    serve: F,
) -> Response
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Some(problem) = relay::upgrade_problem(headers) {
        return answer::error(StatusCode::BAD_REQUEST, problem);
    }
    match upgrade {
        Ok(upgrade) => upgrade
            .max_message_size(relay::MAX_HELLO)
            .max_frame_size(relay::MAX_HELLO)
            .on_upgrade(serve),
        Err(rejection) => answer::error(StatusCode::BAD_REQUEST, rejection.body_text()),
    }
}

fn bytes_answer(content_type: &'static str, body: Vec<u8>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn not_yet(what: &str) -> Response {
    answer::error(StatusCode::NOT_FOUND, format!("no {what} (yet)"))
}

/// `GET /hls/{camera}/live.m3u8`.
async fn hls_playlist(State(server): State<Arc<Server>>, Path(slug): Path<String>) -> Response {
    let index = match live_camera(&server, &slug) {
        Ok(i) => i,
        Err(answer) => return *answer,
    };
    let camera = &server.live.cameras()[index];
    if let Some(problem) = camera.problem() {
        return answer::error(StatusCode::SERVICE_UNAVAILABLE, problem);
    }
    match camera.hls.playlist(camera) {
        Some(text) => bytes_answer("application/vnd.apple.mpegurl", text.into_bytes()),
        None => not_yet("playlist"),
    }
}

/// `GET /hls/{camera}/init.mp4`.
async fn hls_init(State(server): State<Arc<Server>>, Path(slug): Path<String>) -> Response {
    let index = match live_camera(&server, &slug) {
        Ok(i) => i,
        Err(answer) => return *answer,
    };
    match hls::Hls::init(&server.live.cameras()[index]) {
        Some(stream) => bytes_answer("video/mp4", stream.init.to_vec()),
        None => not_yet("init segment"),
    }
}

fn hls_media(server: &Server, slug: &str, name: &str, with_part: bool) -> Response {
    let index = match live_camera(server, slug) {
        Ok(i) => i,
        Err(answer) => return *answer,
    };
    let Some((msn, part)) = hls::parse_name(name, with_part) else {
        return answer::error(StatusCode::NOT_FOUND, format!("no such media: {name}"));
    };
    let cameras = server.live.cameras();
    let camera = &cameras[index];
    let other = cameras
        .iter()
        .enumerate()
        .find(|(i, _)| *i != index)
        .map(|(_, c)| c);
    match camera.hls.media(camera, other, msn, part, server.faults()) {
        Some(bytes) => bytes_answer("video/iso.segment", bytes),
        None => not_yet("such media"),
    }
}

/// `GET /hls/{camera}/seg/{msn}.m4s`.
async fn hls_segment(
    State(server): State<Arc<Server>>,
    Path((slug, name)): Path<(String, String)>,
) -> Response {
    hls_media(&server, &slug, &name, false)
}

/// `GET /hls/{camera}/part/{msn}.{i}.m4s`.
async fn hls_part(
    State(server): State<Arc<Server>>,
    Path((slug, name)): Path<(String, String)>,
) -> Response {
    hls_media(&server, &slug, &name, true)
}

/// `GET /vendor/hls.mjs`: hls.js's ES module build from npm's
/// node_modules (a dev dependency of the repository, not vendored).
async fn hls_js(State(server): State<Arc<Server>>) -> Response {
    let path = server
        .root
        .join("node_modules")
        .join("hls.js")
        .join("dist")
        .join("hls.mjs");
    match tokio::fs::read(&path).await {
        Ok(body) => bytes_answer("text/javascript", body),
        Err(_) => answer::error(
            StatusCode::NOT_FOUND,
            "hls.js is not installed: run npm install in the repository",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cameras::Hub;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use std::path::Path as FsPath;
    use tower::ServiceExt;

    const PORT: u16 = 8080;

    /// A router over cameras that capture nothing (no threads) and the
    /// repository's www/.
    fn app() -> Router {
        let hub = Arc::new(Hub::with_keys(&[
            ([1; 32], [1; 16]),
            ([2; 32], [2; 16]),
            ([3; 32], [3; 16]),
        ]));
        let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let live = Arc::new(crate::live::Live::idle("no ffmpeg in unit tests"));
        router(Arc::new(Server::new(
            root,
            PORT,
            hub,
            live,
            "0011".to_string(),
        )))
    }

    /// Sends one request (Host 127.0.0.1:8080 unless `headers` names
    /// one); returns the answer's status, headers and body.
    async fn send(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::builder().method(method).uri(path);
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request = request.header("host", format!("127.0.0.1:{PORT}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    fn assert_guarded(headers: &HeaderMap) {
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             media-src 'self' blob:; object-src 'none'; base-uri 'none'"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    }

    #[tokio::test]
    async fn every_answer_carries_the_security_headers() {
        for (method, path, status) in [
            ("GET", "/api/cameras", StatusCode::OK),
            ("GET", "/www/", StatusCode::OK),
            ("GET", "/", StatusCode::FOUND),
            ("GET", "/nope", StatusCode::NOT_FOUND),
            ("PUT", "/api/faults", StatusCode::METHOD_NOT_ALLOWED),
            ("GET", "/ws/porch", StatusCode::BAD_REQUEST),
        ] {
            let (got, headers, _) = send(method, path, &[], "").await;
            assert_eq!(got, status, "{method} {path}");
            assert_guarded(&headers);
        }
        let (_, headers, body) = send("GET", "/nope", &[], "").await;
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body, r#"{"error":"no such file: /nope"}"#);
        assert!(!format!("{headers:?}").contains("unsafe-inline"));
    }

    #[tokio::test]
    async fn other_hosts_and_other_origins_are_refused_before_any_route() {
        let (status, headers, body) =
            send("GET", "/api/cameras", &[("host", "evil.example:8080")], "").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("answers only to 127.0.0.1:8080 and localhost:8080"));
        assert_guarded(&headers);
        let (status, ..) = send("GET", "/api/cameras", &[("host", "localhost:8080")], "").await;
        assert_eq!(status, StatusCode::OK);
        let evil = [
            ("origin", "https://evil.example"),
            ("content-type", "application/json"),
        ];
        for (method, path) in [
            ("POST", "/api/faults"),
            ("POST", "/api/cameras/porch/rotate"),
            ("POST", "/api/reports"),
            ("GET", "/ws/porch"),
        ] {
            let (status, _, body) = send(method, path, &evil, r#"{"loss": true}"#).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
            assert!(body.contains("requests from other sites are refused"));
        }
        let page = [
            ("origin", "http://127.0.0.1:8080"),
            ("content-type", "application/json"),
        ];
        let (status, ..) = send("POST", "/api/faults", &page, r#"{"loss": true}"#).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn the_fault_switches_take_only_json_within_the_size_limit() {
        let json = [("content-type", "application/json; charset=utf-8")];
        let (status, _, body) = send("POST", "/api/faults", &json, r#"{"mixup": true}"#).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(r#""mixup":true"#));
        for content_type in [&[][..], &[("content-type", "text/plain")]] {
            let (status, _, body) =
                send("POST", "/api/faults", content_type, r#"{"mixup": true}"#).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert!(body.contains("as application/json"));
        }
        let (status, _, body) = send("POST", "/api/faults", &json, "[1]").await;
        assert_eq!(
            (status, body.contains("JSON object")),
            (StatusCode::BAD_REQUEST, true)
        );
        let big = format!(r#"{{"mixup": true, "pad": "{}"}}"#, "x".repeat(MAX_BODY));
        let (status, _, body) = send("POST", "/api/faults", &json, &big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body, r#"{"error":"request too large"}"#);
    }

    #[tokio::test]
    async fn wrong_methods_are_told_what_is_allowed() {
        let (status, headers, _) = send("DELETE", "/api/faults", &[], "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        let allow = headers[header::ALLOW].to_str().unwrap().to_string();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        let (status, headers, body) = send("POST", "/www/index.html", &[], "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "GET");
        assert!(body.contains("only GET is served here"));
    }

    #[tokio::test]
    async fn cameras_and_websocket_paths_name_what_is_missing() {
        let (status, _, body) = send("GET", "/ws/attic", &[], "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("no camera 'attic' (cameras: nursery, porch, garage)"));
        let (status, _, body) = send("GET", "/ws/porch", &[], "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("this is a WebSocket endpoint: send Upgrade: websocket"));
        let (status, _, body) = send("POST", "/api/cameras/attic/rotate", &[], "").await;
        assert_eq!(
            (status, body.contains("no such camera")),
            (StatusCode::NOT_FOUND, true)
        );
        let (status, _, body) = send("GET", "/api/cameras", &[], "").await;
        assert_eq!(status, StatusCode::OK);
        let info: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(info["run"], "0011");
        assert_eq!(info["cameras"][1]["id"], "porch");
        assert_eq!(info["picture"]["width"], 480);
    }

    #[tokio::test]
    async fn the_axis_camera_names_its_key_and_its_gops() {
        let (status, _, body) = send("GET", "/api/axis", &[], "").await;
        assert_eq!(status, StatusCode::OK);
        let info: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(info["problem"], Value::Null, "{body}");
        assert_eq!(info["fingerprint"], "p4tv-rty3-nxim-pxo2");
        assert_eq!(info["otherFingerprint"], "k67h-rvap-5pf2-zmnr");
        assert_eq!(info["gops"], json!([62, 62, 62, 62, 8]));
        assert_eq!(
            (info["width"].as_u64(), info["fps"].as_u64()),
            (Some(480), Some(25))
        );
        let (status, _, body) = send("GET", "/ws/axis", &[], "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("this is a WebSocket endpoint"));
    }
}
