//! The relay's WebSocket side: a viewer of one camera gets that camera's
//! frames, one frame per binary message, through its own faulty
//! [`Link`] (the faults in force are read for every frame, so switching
//! one takes effect at once).

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::Role;
use tungstenite::{Error, Message, WebSocket};

use crate::demo::Server;
use crate::demo::faults::Link;
use crate::demo::http::{Request, Response};
use crate::{random, time};

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
    let Some(frames) = server.hub.subscribe(camera) else {
        return;
    };
    if stream.set_read_timeout(Some(READ_POLL)).is_err() {
        return;
    }
    let seed = random::bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| time::now_us());
    let mut link = Link::new(camera, seed);
    let mut ws = WebSocket::from_partially_read(stream, leftover, Role::Server, None);
    loop {
        let now = time::now_us();
        let wait = link
            .next_due_us()
            .map_or(IDLE_WAIT_US, |due| due.saturating_sub(now))
            .min(IDLE_WAIT_US);
        match frames.recv_timeout(Duration::from_micros(wait)) {
            Ok(frame) => {
                let faults = server.faults();
                link.push(frame, faults, time::now_us(), &*server.hub);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        for frame in link.take_due(time::now_us()) {
            if ws.send(Message::binary(frame.to_vec())).is_err() {
                return;
            }
        }
        // Answers pings, and notices the viewer leaving.
        match ws.read() {
            Ok(Message::Close(_)) => {
                let _ = ws.flush();
                return;
            }
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
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
    use crate::demo::http::read_request;

    fn request(headers: &str) -> Request {
        let raw = format!("GET /ws/nursery HTTP/1.1\r\nHost: 127.0.0.1:1\r\n{headers}\r\n");
        read_request(&mut raw.as_bytes()).unwrap().0
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
