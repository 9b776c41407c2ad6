//! `frameseal-demo`: the incident, live, in one process on 127.0.0.1.
//!
//! Simulated cameras ([`cameras`]) sign JPEG frames they render themselves
//! ([`render`]); a relay with switchable faults ([`faults`]) delivers them
//! to viewers over WebSocket ([`relay`]); the HTTP side ([`routes`], on
//! axum, behind [`guard`]) serves the page and the JS package ([`files`])
//! and a JSON API for the cameras' public keys, the fault switches and the
//! displays' reports ([`reports`]). The Axis camera ([`axis_relay`]) loops a
//! recording signed with Axis Signed Video ([`recording`]) through the same
//! fault switches.
//!
//! ```text
//! frameseal-demo --port 8080              (./build.sh demo runs this)
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod answer;
mod axis_relay;
mod cameras;
mod error;
mod faults;
mod files;
mod font;
mod guard;
mod hls;
mod live;
mod live_relay;
mod mp4box;
mod recording;
mod relay;
mod render;
mod reports;
mod routes;
mod server;

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use frameseal::signed_video::spki_fingerprint;
use frameseal::{fingerprint, pairing};
// `println!` that shrugs off a closed stdout (a terminal that went away
// must not end the server).
use frameseal_native::say;
use tokio::net::TcpListener;

use cameras::Hub;
use error::DemoError;
use server::Server;

const USAGE: &str = "frameseal-demo [--port N] [--root DIR]    (port 0 picks a free port; DIR \
                     holds www/ and pkg/)";

/// The command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    port: u16,
    root: Option<String>,
}

fn usage(message: String) -> DemoError {
    DemoError::Usage(message)
}

/// Reads `--port N` and `--root DIR` (also `--port=N`), each at most once.
fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Options, DemoError> {
    let (mut port, mut root) = (None, None);
    let mut argv = argv.into_iter();
    while let Some(arg) = argv.next() {
        let arg = arg
            .into_string()
            .map_err(|raw| usage(format!("argument {raw:?} is not valid UTF-8")))?;
        if !arg.starts_with("--") {
            return Err(usage(format!("unexpected argument '{arg}'")));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let slot = match name {
            "--port" => &mut port,
            "--root" => &mut root,
            _ => return Err(usage(format!("unknown option '{name}'"))),
        };
        let value = match inline {
            Some(value) => value,
            None => argv
                .next()
                .and_then(|v| v.into_string().ok())
                .ok_or_else(|| usage(format!("{name} needs a value")))?,
        };
        if slot.replace(value).is_some() {
            return Err(usage(format!("{name} is given twice")));
        }
    }
    let port = match port {
        None => 8080,
        Some(v) => v.parse().map_err(|_| {
            usage(format!(
                "--port expects a port number (0 picks a free one), got '{v}'"
            ))
        })?,
    };
    Ok(Options { port, root })
}

/// Starts the runtime (one worker per core) and serves until killed.
fn run(options: Options) -> Result<(), DemoError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DemoError::Spawn)?
        .block_on(serve(options))
}

async fn serve(options: Options) -> Result<(), DemoError> {
    let root = server::web_root(options.root.as_deref())?;
    let address = format!("127.0.0.1:{}", options.port);
    let listen_error = |source| DemoError::Listen {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(listen_error)?;
    let port = listener.local_addr().map_err(listen_error)?.port();
    let hub = Hub::start()?;
    let live = live::Live::start()?;
    let run_id = hex::encode(frameseal_native::random_bytes::<8>()?);
    let server = Arc::new(Server::new(root, port, hub, Arc::clone(&live), run_id));

    say!("frameseal demo: http://127.0.0.1:{port}/www/");
    for camera in server.hub.cameras() {
        let key = camera.public_key();
        say!(
            "  camera {:<8} key {}  pairing code {}",
            camera.look.name,
            fingerprint(&key),
            pairing::encode(&key)
        );
    }
    for camera in server.live.cameras() {
        match camera.problem() {
            None => say!(
                "  live H.264 camera {:<10} key {}",
                camera.look.name,
                fingerprint(&camera.public_key())
            ),
            Some(problem) => say!("  live H.264 camera {}: {problem}", camera.look.name),
        }
    }
    match &server.axis {
        Ok(feed) => say!(
            "  Axis camera (Signed Video recording) key {}",
            spki_fingerprint(&feed.genuine.spki)
        ),
        Err(problem) => say!("  Axis camera: {problem}"),
    }
    say!("  faults: the page's switches, or POST /api/faults {{\"mixup\": true, ...}}");
    if !server.root.join("pkg").join("frameseal.js").is_file() {
        eprintln!(
            "warning: {} has no pkg/frameseal.js: build the package first (./build.sh build)",
            server.root.display()
        );
    }
    say!("Ctrl-C to stop");
    let served = axum::serve(listener, routes::router(server))
        .await
        .map_err(listen_error);
    live.stop();
    served
}

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        say!("usage: {USAGE}");
        return ExitCode::SUCCESS;
    }
    if argv.iter().any(|a| a == "--version" || a == "-V") {
        say!("frameseal-demo {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match parse(argv).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let DemoError::Usage(_) = e {
                eprintln!("usage: {USAGE}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(argv: &[&str]) -> Result<Options, String> {
        parse(argv.iter().map(OsString::from)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_port_and_the_root_in_either_form() {
        assert_eq!(
            parse_strs(&[]),
            Ok(Options {
                port: 8080,
                root: None
            })
        );
        assert_eq!(
            parse_strs(&["--port", "0", "--root=/srv/frameseal"]),
            Ok(Options {
                port: 0,
                root: Some("/srv/frameseal".to_string())
            })
        );
    }

    #[test]
    fn mistakes_name_the_option() {
        for (argv, message) in [
            (
                &["--port", "http"][..],
                "--port expects a port number (0 picks a free one), got 'http'",
            ),
            (
                &["--port", "70000"],
                "--port expects a port number (0 picks a free one), got '70000'",
            ),
            (&["--port"], "--port needs a value"),
            (&["--root", "a", "--root=b"], "--root is given twice"),
            (&["--verbose"], "unknown option '--verbose'"),
            (&["www"], "unexpected argument 'www'"),
        ] {
            assert_eq!(parse_strs(argv), Err(message.to_string()), "{argv:?}");
        }
    }
}
