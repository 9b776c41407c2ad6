//! The relay's WebSocket side: a viewer of one camera gets that camera's
//! frames, one frame per binary message, through its own faulty
//! [`Link`] (the faults in force are read for every frame, so switching
//! one takes effect at once). The viewer's text messages are its control
//! channel ([`Hello`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use axum::http::{HeaderMap, header};
use frameseal::Codec;
use frameseal::frame::{DEFAULT_MAX_PAYLOAD, Frame};
use hex::FromHex;
use serde_json::Value;
use tokio::sync::mpsc::Receiver;
use tokio::time::{Instant, sleep, timeout_at};

use crate::faults::Link;
use crate::server::Server;
use frameseal_native::{now_us, random_bytes};

/// Longest wait for a camera frame before the relay checks its schedule
/// again.
const IDLE_WAIT_US: u64 = 100_000;
/// How long the relay waits for a viewer's hello before it serves the
/// camera's default stream.
const HELLO_WAIT: Duration = Duration::from_millis(500);
/// Longest hello read; a viewer sends nothing else, so this is also the
/// largest message the relay takes from one.
pub const MAX_HELLO: usize = 1024;

/// Whether the comma-separated header `name` contains `token` (any case).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// What is wrong with a request to open a WebSocket, if anything.
pub fn upgrade_problem(headers: &HeaderMap) -> Option<&'static str> {
    if !has_token(headers, header::UPGRADE, "websocket")
        || !has_token(headers, header::CONNECTION, "upgrade")
    {
        return Some("this is a WebSocket endpoint: send Upgrade: websocket");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v != "13")
    {
        return Some("only WebSocket version 13 is spoken here");
    }
    if !headers.contains_key(header::SEC_WEBSOCKET_KEY) {
        return Some("missing Sec-WebSocket-Key");
    }
    None
}

/// What a viewer tells the relay in a text message (its control channel):
/// `{"session": "<32 hex digits>", "key": "<64 hex digits>"}`, both optional.
/// `session` is the stream id the viewer picked for this viewing session
/// (the camera signs this viewer's frames on it); `key` is the public key
/// the viewer holds (if the camera rotated away from it since, the relay
/// first sends the chain of rotation frames from it).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Hello {
    pub session: Option<[u8; 16]>,
    pub key: Option<[u8; 32]>,
}

/// Reads a hello; `None` if it is not one.
pub fn parse_hello(text: &str) -> Option<Hello> {
    if text.len() > MAX_HELLO {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    if object.keys().any(|k| k != "session" && k != "key") {
        return None;
    }
    let field = |name: &str| -> Result<Option<&str>, ()> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(()),
        }
    };
    let session = match field("session").ok()? {
        None => None,
        Some(h) => Some(<[u8; 16]>::from_hex(h).ok()?),
    };
    let key = match field("key").ok()? {
        None => None,
        Some(h) => Some(<[u8; 32]>::from_hex(h).ok()?),
    };
    Some(Hello { session, key })
}

/// Whether `frame` is a key-rotation frame (the relay delivers those
/// reliably, past the fault simulator, like a control message).
fn is_rotation(frame: &[u8]) -> bool {
    Frame::parse(frame, DEFAULT_MAX_PAYLOAD).is_ok_and(|f| f.header().codec == Codec::KeyRotation)
}

/// Sends one frame as a binary message (no copy).
async fn send(socket: &mut WebSocket, frame: Arc<[u8]>) -> Result<(), axum::Error> {
    socket.send(Message::Binary(Bytes::from_owner(frame))).await
}

/// The next text message within [`HELLO_WAIT`], if one comes; `Err` if the
/// viewer went away.
async fn await_hello(socket: &mut WebSocket) -> Result<Option<Hello>, ()> {
    let deadline = Instant::now() + HELLO_WAIT;
    loop {
        match timeout_at(deadline, socket.recv()).await {
            Err(_) => return Ok(None),
            Ok(Some(Ok(Message::Text(text)))) => return Ok(parse_hello(text.as_str())),
            Ok(Some(Ok(Message::Close(_))) | Some(Err(_)) | None) => return Err(()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Relays `camera`'s frames to the viewer on `socket` until it goes; a new
/// hello starts a new subscription (another session, or the chain from
/// another key).
pub async fn serve(mut socket: WebSocket, camera: usize, server: Arc<Server>) {
    let seed = random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| now_us());
    let mut link = Link::new(camera, seed);
    let Ok(hello) = await_hello(&mut socket).await else {
        return;
    };
    let mut hello = hello.unwrap_or_default();
    loop {
        let Some(mut subscription) =
            server
                .hub
                .subscribe(camera, hello.session, hello.key.as_ref(), now_us())
        else {
            return;
        };
        if !server.faults().blackhole {
            for frame in subscription.chain {
                if send(&mut socket, frame).await.is_err() {
                    return;
                }
            }
        }
        match relay(&mut socket, &mut subscription.frames, &mut link, &server).await {
            Some(next) => hello = next,
            None => return,
        }
    }
}

/// Relays one subscription's frames until the viewer goes (`None`) or
/// sends a new hello.
async fn relay(
    socket: &mut WebSocket,
    frames: &mut Receiver<Arc<[u8]>>,
    link: &mut Link,
    server: &Server,
) -> Option<Hello> {
    loop {
        let wait = link
            .next_due_us()
            .map_or(IDLE_WAIT_US, |due| due.saturating_sub(now_us()))
            .min(IDLE_WAIT_US);
        let faults = server.faults();
        tokio::select! {
            frame = frames.recv() => match frame {
                None => return None,
                Some(_) if faults.blackhole => {}
                Some(frame) if is_rotation(&frame) => send(socket, frame).await.ok()?,
                Some(frame) => link.push(frame, faults, now_us(), &*server.hub),
            },
            // Pings are answered by the WebSocket layer; a close, an error
            // or a new hello ends this subscription.
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    if let Some(hello) = parse_hello(text.as_str()) {
                        return Some(hello);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(_)) => {}
            },
            () = sleep(Duration::from_micros(wait)) => {}
        }
        for frame in link.take_due(now_us()) {
            if !faults.blackhole {
                send(socket, frame).await.ok()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use frameseal::{FrameSpec, Signer};

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn hellos_name_a_session_and_a_key_or_are_ignored() {
        let session = "00112233445566778899aabbccddeeff";
        let key = "ab".repeat(32);
        assert_eq!(
            parse_hello(&format!(r#"{{"session":"{session}","key":"{key}"}}"#)),
            Some(Hello {
                session: Some(<[u8; 16]>::from_hex(session).unwrap()),
                key: Some([0xab; 32]),
            })
        );
        assert_eq!(parse_hello("{}"), Some(Hello::default()));
        assert_eq!(parse_hello(r#"{"session": null}"#), Some(Hello::default()));
        for bad in [
            "",
            "[]",
            r#"{"session":"00"}"#,
            r#"{"key": 5}"#,
            r#"{"sesion":"00112233445566778899aabbccddeeff"}"#,
        ] {
            assert_eq!(parse_hello(bad), None, "{bad}");
        }
        assert_eq!(parse_hello(&" ".repeat(MAX_HELLO + 1)), None);
    }

    #[test]
    fn a_browser_upgrade_is_accepted() {
        let upgrade = headers(&[
            (header::UPGRADE, "websocket"),
            (header::CONNECTION, "keep-alive, Upgrade"),
            (header::SEC_WEBSOCKET_VERSION, "13"),
            (header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        assert_eq!(upgrade_problem(&upgrade), None);
    }

    #[test]
    fn other_requests_are_told_what_is_missing() {
        assert_eq!(
            upgrade_problem(&headers(&[])),
            Some("this is a WebSocket endpoint: send Upgrade: websocket")
        );
        for (version, problem) in [
            ("8", "only WebSocket version 13 is spoken here"),
            ("13", "missing Sec-WebSocket-Key"),
        ] {
            let request = headers(&[
                (header::UPGRADE, "websocket"),
                (header::CONNECTION, "upgrade"),
                (header::SEC_WEBSOCKET_VERSION, version),
            ]);
            assert_eq!(
                upgrade_problem(&request),
                Some(problem),
                "version {version}"
            );
        }
    }

    #[test]
    fn rotation_frames_are_told_apart_by_the_core_parser() {
        let mut old = Signer::from_secret(&[1; 32], [1; 16]);
        let next = Signer::from_secret(&[2; 32], [1; 16]);
        let spec = FrameSpec::at(1);
        assert!(is_rotation(&old.sign_rotation(&next, &spec).unwrap()));
        assert!(!is_rotation(&old.sign_frame(b"jpeg", &spec).unwrap()));
        assert!(!is_rotation(b"FSEAL"));
    }
}
