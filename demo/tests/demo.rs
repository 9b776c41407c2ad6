//! The `frameseal-demo` program as a viewer's browser meets it: its JSON
//! API, its pages and the security headers on them, the Host and Origin
//! checks, and camera frames over WebSocket, checked by the core's
//! Verifier; and how it refuses to start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use frameseal::frame::layout;
use frameseal::{Codec, DropReason, LinkedKey, Policy, Verifier, fingerprint};
use hex::FromHex;

const BIN: &str = env!("CARGO_BIN_EXE_frameseal-demo");
/// The repository: the pages (www/) and the package (pkg/) the demo serves.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A `frameseal-demo` process, killed when dropped.
struct Demo {
    child: Child,
    port: u16,
}

impl Demo {
    fn start() -> Demo {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--root", ROOT])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .trim()
            .strip_prefix("frameseal demo: http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix("/www/"))
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .parse()
            .unwrap();
        Demo { child, port }
    }

    /// One HTTP request; returns the status code, the head (header names
    /// in lower case: they are case-insensitive) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n{headers}\
             Content-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head: Vec<String> = String::from_utf8(raw[..split].to_vec())
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, line)| match line.split_once(": ") {
                Some((name, value)) if i > 0 => format!("{}: {value}", name.to_ascii_lowercase()),
                _ => line.to_string(),
            })
            .collect();
        let head = head.join("\n");
        let status = head[9..12].parse().unwrap();
        (status, head, raw[split + 4..].to_vec())
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demo_serves_cameras_faults_the_page_and_signed_frames() {
    let demo = Demo::start();

    let (status, _, body) = demo.request("GET", "/api/cameras", "", "");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let cameras = info["cameras"].as_array().unwrap();
    assert_eq!(cameras.len(), 3);
    let key = |i: usize| -> [u8; 32] {
        <[u8; 32]>::from_hex(cameras[i]["publicKey"].as_str().unwrap()).unwrap()
    };
    assert_eq!(cameras[1]["id"], "porch");
    assert_eq!(cameras[1]["fingerprint"], fingerprint(&key(1)));
    assert_eq!(info["picture"]["width"], 480);

    let (status, head, body) = demo.request("GET", "/www/", "", "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html; charset=utf-8"));
    assert!(head.lines().any(|line| line
        == "content-security-policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
            style-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'"));
    assert!(String::from_utf8(body).unwrap().contains("demo.js"));
    let (status, head, _) = demo.request("GET", "/", "", "");
    assert_eq!((status, head.contains("location: /www/")), (302, true));
    let (status, _, _) = demo.request("GET", "/www/../Cargo.toml", "", "");
    assert_eq!(status, 404);
    let (status, head, _) = demo.request("GET", "/pkg/frameseal_bg.wasm", "", "");
    if Path::new(ROOT).join("pkg/frameseal_bg.wasm").exists() {
        assert_eq!(status, 200);
        assert!(head.contains("content-type: application/wasm"));
    } else {
        assert_eq!(status, 404);
    }

    // Faults: switched by JSON, refused with a reason otherwise.
    let json = "Content-Type: application/json\r\n";
    let (status, _, body) = demo.request("POST", "/api/faults", json, r#"{"loss": true}"#);
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (state["loss"].as_bool(), state["mixup"].as_bool()),
        (Some(true), Some(false))
    );
    let (status, _, body) = demo.request("POST", "/api/faults", json, r#"{"los": true}"#);
    assert_eq!(status, 400);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("unknown fault 'los'")
    );
    let (status, _, _) = demo.request("POST", "/api/faults", "", r#"{"loss": false}"#);
    assert_eq!(status, 415);
    let (status, _, _) = demo.request(
        "POST",
        "/api/faults",
        "Content-Type: application/json\r\nOrigin: https://evil.example\r\n",
        r#"{"loss": false}"#,
    );
    assert_eq!(status, 403);
    let (status, _, body) = demo.request("POST", "/api/faults", json, r#"{"loss": false}"#);
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().contains(r#""loss":false"#));

    // A viewer of the porch camera gets its signed JPEG frames, one per message.
    let stream = TcpStream::connect(("127.0.0.1", demo.port)).unwrap();
    let url = format!("ws://127.0.0.1:{}/ws/porch", demo.port);
    let (mut ws, _) = tungstenite::client(url.as_str(), stream).unwrap();
    let mut porch =
        Verifier::new(LinkedKey::from_bytes(&key(1)).unwrap(), Policy::default()).unwrap();
    let mut nursery =
        Verifier::new(LinkedKey::from_bytes(&key(0)).unwrap(), Policy::default()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    for _ in 0..3 {
        let frame = match ws.read().unwrap() {
            tungstenite::Message::Binary(bytes) => bytes.to_vec(),
            other => panic!("expected a binary frame, got {other:?}"),
        };
        let accepted = porch.verify(&frame, now).unwrap();
        assert_eq!(accepted.header.codec, Codec::Jpeg);
        assert!(accepted.payload.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_eq!(
            nursery.verify(&frame, now).unwrap_err(),
            DropReason::ForeignKey
        );
    }
    let _ = ws.close(None);

    let (status, _, body) = demo.request("GET", "/ws/attic", "", "");
    assert_eq!(status, 404);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("no camera 'attic' (cameras: nursery, porch, garage)")
    );
    let mut stream = TcpStream::connect(("127.0.0.1", demo.port)).unwrap();
    write!(
        stream,
        "GET /api/cameras HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden"));

    // The WebSocket handshake answers RFC 6455's worked example.
    let mut stream = TcpStream::connect(("127.0.0.1", demo.port)).unwrap();
    write!(
        stream,
        "GET /ws/nursery HTTP/1.1\r\nHost: localhost:{}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        demo.port
    )
    .unwrap();
    let mut head = String::new();
    let mut reader = BufReader::new(stream);
    while reader.read_line(&mut head).unwrap() > 2 && !head.ends_with("\r\n\r\n") {}
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols"),
        "{head}"
    );
    let accept = head.lines().find_map(|line| {
        let (name, value) = line.split_once(": ")?;
        name.eq_ignore_ascii_case("sec-websocket-accept")
            .then_some(value)
    });
    assert_eq!(accept, Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

    // Bytes that are not HTTP end in a 400 (or a closed connection); the
    // server goes on serving.
    let mut stream = TcpStream::connect(("127.0.0.1", demo.port)).unwrap();
    stream.write_all(b"\x16\x03\x01 hello\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"));
    assert_eq!(demo.request("GET", "/api/faults", "", "").0, 200);
}

#[test]
fn demo_binds_sessions_rotates_keys_and_keeps_reports() {
    let demo = Demo::start();
    let (_, _, body) = demo.request("GET", "/api/cameras", "", "");
    let info: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let garage = &info["cameras"][2];
    let first = <[u8; 32]>::from_hex(garage["publicKey"].as_str().unwrap()).unwrap();
    assert_eq!(
        garage["pairingCode"],
        frameseal::pairing::encode(&first).as_str()
    );
    assert_eq!(info["run"].as_str().unwrap().len(), 16);

    // A session-bound viewer: its hello names its stream; every frame it
    // gets is on that stream.
    let session = [0x5a; 16];
    let connect = |hello: &str| {
        let stream = TcpStream::connect(("127.0.0.1", demo.port)).unwrap();
        let url = format!("ws://127.0.0.1:{}/ws/garage", demo.port);
        let (mut ws, _) = tungstenite::client(url.as_str(), stream).unwrap();
        ws.send(tungstenite::Message::text(hello)).unwrap();
        ws
    };
    let next_frame = |ws: &mut tungstenite::WebSocket<TcpStream>| loop {
        if let tungstenite::Message::Binary(bytes) = ws.read().unwrap() {
            return bytes.to_vec();
        }
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64
    };
    let mut ws = connect(&format!(r#"{{"session":"{}"}}"#, hex::encode(session)));
    let policy = Policy {
        stream_id: Some(session),
        ..Policy::default()
    };
    let mut display = Verifier::new(LinkedKey::from_bytes(&first).unwrap(), policy).unwrap();
    for _ in 0..2 {
        let frame = next_frame(&mut ws);
        assert_eq!(frame[layout::STREAM_ID], session);
        display.verify(&frame, now()).unwrap();
    }

    // Rotation: the viewer gets the rotation frame, then new-key frames.
    let (status, _, body) = demo.request("POST", "/api/cameras/garage/rotate", "", "");
    assert_eq!(status, 200);
    let rotated: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(rotated["previousFingerprint"], fingerprint(&first).as_str());
    let second = <[u8; 32]>::from_hex(rotated["publicKey"].as_str().unwrap()).unwrap();
    let mut rotations = 0;
    for _ in 0..40 {
        if let Ok(accepted) = display.verify(&next_frame(&mut ws), now()) {
            rotations += usize::from(accepted.new_public_key.is_some());
            if rotations == 1 && accepted.header.codec == Codec::Jpeg {
                break;
            }
        }
    }
    assert_eq!(rotations, 1);
    assert_eq!(display.linked_key().as_bytes(), &second);
    let _ = ws.close(None);
    let (status, _, _) = demo.request("POST", "/api/cameras/attic/rotate", "", "");
    assert_eq!(status, 404);

    // A viewer that still holds the first key gets the chain first.
    let other = [0x6b; 16];
    let mut late = connect(&format!(
        r#"{{"session":"{}","key":"{}"}}"#,
        hex::encode(other),
        hex::encode(first)
    ));
    let policy = Policy {
        stream_id: Some(other),
        ..Policy::default()
    };
    let mut reloaded = Verifier::new(LinkedKey::from_bytes(&first).unwrap(), policy).unwrap();
    let chain = next_frame(&mut late);
    let accepted = reloaded.verify(&chain, now()).unwrap();
    assert_eq!(accepted.new_public_key, Some(second));
    assert!(reloaded.verify(&next_frame(&mut late), now()).is_ok());
    let _ = late.close(None);

    // Reports: checked, bounded, served back.
    let report = r#"{"camera":"garage","report":{"intervalMs":2000,"accepted":8,"drawn":8,"dropped":{"wrong-stream":3},"stalledMs":0}}"#;
    let (status, _, _) = demo.request(
        "POST",
        "/api/reports",
        "Content-Type: text/plain;charset=UTF-8\r\n",
        report,
    );
    assert_eq!(status, 204);
    let (status, _, body) = demo.request(
        "POST",
        "/api/reports",
        "",
        &report.replace("garage", "attic"),
    );
    assert_eq!(
        (
            status,
            String::from_utf8(body)
                .unwrap()
                .contains("no camera 'attic'")
        ),
        (400, true)
    );
    let (status, _, _) = demo.request("POST", "/api/reports", "", &" ".repeat(5000));
    assert_eq!(status, 413);
    let (status, _, body) = demo.request("GET", "/api/reports", "", "");
    assert_eq!(status, 200);
    let reports: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let garage = reports["cameras"]["garage"].as_array().unwrap();
    assert_eq!(garage.len(), 1);
    assert_eq!(garage[0]["dropped"]["wrong-stream"], 3);
    assert!(garage[0]["atMs"].as_u64().unwrap() > 1_700_000_000_000);
}

/// Runs `frameseal-demo ARGS` to its end; returns the exit code and stderr,
/// which must hold exactly one `error: ...` line.
fn fails(args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    (output.status.code().unwrap_or(-1), errors[0].to_string())
}

#[test]
fn demo_on_a_busy_port_or_without_the_page_says_so() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    assert_eq!(
        fails(&["--port", &port, "--root", ROOT]),
        (
            1,
            format!("error: cannot listen on 127.0.0.1:{port}: Address already in use")
        )
    );
    let empty = std::env::temp_dir();
    let empty = empty.to_str().unwrap();
    assert_eq!(
        fails(&["--root", empty]),
        (
            1,
            format!(
                "error: '{empty}' has no www/index.html; pass --root with the frameseal repository"
            )
        )
    );
}

#[test]
fn usage_mistakes_exit_2_with_the_usage() {
    assert_eq!(
        fails(&["--port", "http"]),
        (
            2,
            "error: --port expects a port number (0 picks a free one), got 'http'".to_string()
        )
    );
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("usage: frameseal-demo [--port N]")
    );
}
