//! The relay's WebSocket side: a viewer of one camera gets that camera's
//! frames, one frame per binary message, through its own faulty
//! [`Link`] (the faults in force are read for every frame, so switching
//! one takes effect at once).

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use hex::FromHex;
use serde_json::Value;

use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::Role;
use tungstenite::{Error, Message, WebSocket};

use crate::faults::Link;
use crate::os::{now_us, random_bytes};
use crate::routes::{Request, Response};
use crate::server::Server;

/// Longest wait for a camera frame before the relay checks the socket and
/// its schedule again.
const IDLE_WAIT_US: u64 = 100_000;
/// How long a read waits for a close or ping from the viewer.
const READ_POLL: Duration = Duration::from_millis(1);

/// Whether the comma-separated header `value` contains `token` (any case).
fn has_token(value: Option<&str>, token: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// What is wrong with a request to open a WebSocket, if anything.
pub fn upgrade_problem(request: &Request) -> Option<&'static str> {
    if !has_token(request.header("upgrade"), "websocket")
        || !has_token(request.header("connection"), "upgrade")
    {
        return Some("this is a WebSocket endpoint: send Upgrade: websocket");
    }
    if request.header("sec-websocket-version") != Some("13") {
        return Some("only WebSocket version 13 is spoken here");
    }
    if request.header("sec-websocket-key").is_none() {
        return Some("missing Sec-WebSocket-Key");
    }
    None
}

/// How long the relay waits for a viewer's hello before it serves the
/// camera's default stream.
const HELLO_WAIT: Duration = Duration::from_millis(500);
/// Longest hello read.
const MAX_HELLO: usize = 1024;
/// The codec byte of a key-rotation frame (SPEC §2).
const CODEC_KEY_ROTATION: u8 = 32;

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
    frame.get(7) == Some(&CODEC_KEY_ROTATION)
}

/// The next text message within `HELLO_WAIT`, if one comes; `Err` if the
/// viewer went away.
fn await_hello(ws: &mut WebSocket<TcpStream>) -> Result<Option<Hello>, ()> {
    let deadline = Instant::now() + HELLO_WAIT;
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Text(text)) => return Ok(parse_hello(text.as_str())),
            Ok(Message::Close(_)) => return Err(()),
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Err(()),
        }
    }
    Ok(None)
}

/// Opens the WebSocket for `/ws/{camera}` and relays until the viewer goes.
pub fn serve(mut stream: TcpStream, request: &Request, leftover: Vec<u8>, server: &Server) {
    let port = server.port;
    let slug = request.path.trim_start_matches("/ws/");
    let Some(camera) = server.hub.find(slug) else {
        let known: Vec<&str> = server.hub.cameras().iter().map(|c| c.look.slug).collect();
        let message = format!("no camera '{slug}' (cameras: {})", known.join(", "));
        let _ = Response::error(404, message).write_to(&mut stream, port);
        return;
    };
    if let Some(problem) = upgrade_problem(request) {
        let _ = Response::error(400, problem).write_to(&mut stream, port);
        return;
    }
    let key = request.header("sec-websocket-key").unwrap_or("");
    if write_upgrade(&mut stream, &derive_accept_key(key.as_bytes())).is_err() {
        return;
    }
    if stream.set_read_timeout(Some(READ_POLL)).is_err() {
        return;
    }
    let seed = random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| now_us());
    let mut link = Link::new(camera, seed);
    let mut ws = WebSocket::from_partially_read(stream, leftover, Role::Server, None);
    let Ok(hello) = await_hello(&mut ws) else {
        return;
    };
    let mut hello = hello.unwrap_or_default();
    loop {
        let Some(subscription) =
            server
                .hub
                .subscribe(camera, hello.session, hello.key.as_ref(), now_us())
        else {
            return;
        };
        if !server.faults().blackhole {
            for frame in subscription.chain {
                if ws.send(Message::binary(frame.to_vec())).is_err() {
                    return;
                }
            }
        }
        match relay(&mut ws, &subscription.frames, &mut link, server) {
            Some(next) => hello = next,
            None => return,
        }
    }
}

/// Relays one subscription's frames until the viewer goes (`None`) or
/// sends a new hello.
fn relay(
    ws: &mut WebSocket<TcpStream>,
    frames: &Receiver<Arc<[u8]>>,
    link: &mut Link,
    server: &Server,
) -> Option<Hello> {
    loop {
        let now = now_us();
        let wait = link
            .next_due_us()
            .map_or(IDLE_WAIT_US, |due| due.saturating_sub(now))
            .min(IDLE_WAIT_US);
        let faults = server.faults();
        match frames.recv_timeout(Duration::from_micros(wait)) {
            Ok(_) if faults.blackhole => {}
            Ok(frame) if is_rotation(&frame) => {
                ws.send(Message::binary(frame.to_vec())).ok()?;
            }
            Ok(frame) => link.push(frame, faults, now_us(), &*server.hub),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return None,
        }
        for frame in link.take_due(now_us()) {
            if !faults.blackhole {
                ws.send(Message::binary(frame.to_vec())).ok()?;
            }
        }
        // Answers pings, notices the viewer leaving, takes a new hello.
        match ws.read() {
            Ok(Message::Close(_)) => {
                let _ = ws.flush();
                return None;
            }
            Ok(Message::Text(text)) => {
                if let Some(hello) = parse_hello(text.as_str()) {
                    return Some(hello);
                }
            }
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
}

/// The 101 answer: only the handshake headers.
fn write_upgrade(stream: &mut TcpStream, accept_key: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept_key}\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::read_request;

    fn request(headers: &str) -> Request {
        let raw = format!("GET /ws/nursery HTTP/1.1\r\nHost: 127.0.0.1:1\r\n{headers}\r\n");
        read_request(&mut raw.as_bytes()).unwrap().0
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
        let r = request(
            "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        );
        assert_eq!(upgrade_problem(&r), None);
        // RFC 6455's worked example.
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn other_requests_are_told_what_is_missing() {
        assert_eq!(
            upgrade_problem(&request("")),
            Some("this is a WebSocket endpoint: send Upgrade: websocket")
        );
        assert_eq!(
            upgrade_problem(&request(
                "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 8\r\n"
            )),
            Some("only WebSocket version 13 is spoken here")
        );
        assert_eq!(
            upgrade_problem(&request(
                "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\n"
            )),
            Some("missing Sec-WebSocket-Key")
        );
    }
}
