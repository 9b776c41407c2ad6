//! `frameseal demo`: the incident, live, in one process on 127.0.0.1.
//!
//! Simulated cameras ([`cameras`]) sign JPEG frames they render themselves
//! ([`render`]); a relay with switchable faults ([`faults`]) delivers them
//! to viewers over WebSocket ([`relay`]); a small HTTP server ([`http`])
//! serves the page (`www/`), the JS package (`pkg/`) and a JSON API for the
//! cameras' public keys and the fault switches.

pub mod cameras;
pub mod faults;
pub mod font;
pub mod http;
pub mod relay;
pub mod render;
pub mod reports;

use std::env;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use frameseal::fingerprint;

use crate::args::{Args, Spec};
use crate::error::CliError;
use cameras::Hub;
use faults::Faults;

pub const SPEC: Spec = Spec {
    usage: "frameseal demo [--port N] [--root DIR]    (port 0 picks a free port; DIR holds www/ \
            and pkg/)",
    valued: &["port", "root"],
    switches: &[],
};

/// Connections served at once; more are closed at once (a viewer holds
/// one per camera, so this is dozens of viewers).
const MAX_CONNECTIONS: usize = 256;

/// What every connection shares.
pub struct Server {
    /// The directory holding `www/` and `pkg/`.
    pub root: PathBuf,
    /// The port actually bound.
    pub port: u16,
    pub hub: Arc<Hub>,
    faults: Mutex<Faults>,
    reports: Mutex<reports::Reports>,
    /// Random per run: a page keeps keys it stored under another run's id
    /// out of this one (the cameras get fresh keys every run).
    pub run_id: String,
    connections: AtomicUsize,
}

impl Server {
    /// The fault switches, for reading or changing.
    pub fn faults_lock(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The displays' reports.
    pub fn reports_lock(&self) -> MutexGuard<'_, reports::Reports> {
        self.reports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The faults in force now.
    pub fn faults(&self) -> Faults {
        *self.faults_lock()
    }
}

/// Counts a connection for as long as it lives.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn has_page(dir: &Path) -> bool {
    dir.join("www").join("index.html").is_file()
}

/// `--root`, or the current directory if it holds the page, or the
/// directory this program was built from.
fn web_root(given: Option<&str>) -> Result<PathBuf, CliError> {
    if let Some(dir) = given {
        let dir = PathBuf::from(dir);
        return if has_page(&dir) {
            Ok(dir)
        } else {
            Err(CliError::NoWebRoot(dir))
        };
    }
    let cwd = env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let built_from = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [cwd.clone(), built_from]
        .into_iter()
        .find(|d| has_page(d))
        .ok_or(CliError::NoWebRoot(cwd))
}

pub fn run(args: &Args) -> Result<(), CliError> {
    args.no_positionals()?;
    let port = args
        .parsed::<u16>("port", "a port number (0 picks a free one)")?
        .unwrap_or(8080);
    let root = web_root(args.value("root"))?;
    let address = format!("127.0.0.1:{port}");
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|source| CliError::Listen {
        address: address.clone(),
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| CliError::Listen { address, source })?
        .port();
    let hub = Hub::start()?;
    let slugs = hub.cameras().iter().map(|c| c.look.slug).collect();
    let server = Arc::new(Server {
        root,
        port,
        hub,
        faults: Mutex::new(Faults::default()),
        reports: Mutex::new(reports::Reports::new(slugs)),
        run_id: crate::hex::encode(&crate::random::bytes::<8>()?),
        connections: AtomicUsize::new(0),
    });

    say!("frameseal demo: http://127.0.0.1:{port}/www/");
    for camera in server.hub.cameras() {
        let key = camera.public_key();
        say!(
            "  camera {:<8} key {}  pairing code {}",
            camera.look.name,
            fingerprint(&key),
            frameseal::pairing::encode(&key)
        );
    }
    say!("  faults: the page's switches, or POST /api/faults {{\"mixup\": true, ...}}");
    if !server.root.join("pkg").join("frameseal.js").is_file() {
        eprintln!(
            "warning: {} has no pkg/frameseal.js: build the package first (./build.sh build)",
            server.root.display()
        );
    }
    say!("Ctrl-C to stop");

    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if server.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            server.connections.fetch_sub(1, Ordering::SeqCst);
            continue; // dropping the stream closes it
        }
        let server = Arc::clone(&server);
        let spawned = thread::Builder::new()
            .name("connection".to_string())
            .spawn(move || {
                let _slot = Slot(&server.connections);
                http::handle(stream, &server);
            });
        if let Err(e) = spawned {
            eprintln!("warning: {}", CliError::Spawn(e));
        }
    }
    Ok(())
}
