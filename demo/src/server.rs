//! What every request shares: the cameras, the fault switches, the
//! displays' reports, and where the page and the package are.

use std::env;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::axis_relay::AxisFeed;
use crate::cameras::Hub;
use crate::error::DemoError;
use crate::faults::Faults;
use crate::live::Live;
use crate::reports::Reports;

/// What every request shares.
pub struct Server {
    /// The directory holding `www/` and `pkg/`.
    pub root: PathBuf,
    /// The port actually bound.
    pub port: u16,
    pub hub: Arc<Hub>,
    /// The live H.264 cameras (MSE over WebSocket, LL-HLS).
    pub live: Arc<Live>,
    /// The Axis camera's recordings (axis_relay.rs), or why they cannot
    /// be played (read from the web root's tests/fixtures/).
    pub axis: Result<Arc<AxisFeed>, String>,
    faults: Mutex<Faults>,
    reports: Mutex<Reports>,
    /// Random per run: a page keeps keys it stored under another run's id
    /// out of this one (the cameras get fresh keys every run).
    pub run_id: String,
}

impl Server {
    pub fn new(root: PathBuf, port: u16, hub: Arc<Hub>, live: Arc<Live>, run_id: String) -> Server {
        let slugs = hub.cameras().iter().map(|c| c.look.slug).collect();
        let axis = AxisFeed::load(&root)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        Server {
            axis,
            root,
            port,
            hub,
            live,
            faults: Mutex::new(Faults::default()),
            reports: Mutex::new(Reports::new(slugs)),
            run_id,
        }
    }

    /// The fault switches, for reading or changing.
    pub fn faults_lock(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The displays' reports.
    pub fn reports_lock(&self) -> MutexGuard<'_, Reports> {
        self.reports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The faults in force now.
    pub fn faults(&self) -> Faults {
        *self.faults_lock()
    }
}

fn has_page(dir: &Path) -> bool {
    dir.join("www").join("index.html").is_file()
}

/// `--root`, or the current directory if it holds the page, or the
/// repository this program was built from.
pub fn web_root(given: Option<&str>) -> Result<PathBuf, DemoError> {
    if let Some(dir) = given {
        let dir = PathBuf::from(dir);
        return if has_page(&dir) {
            Ok(dir)
        } else {
            Err(DemoError::NoWebRoot(dir))
        };
    }
    let cwd = env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    // This package is demo/ in the repository; the pages are beside it.
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    [Some(cwd.as_path()), repository]
        .into_iter()
        .flatten()
        .map(Path::to_path_buf)
        .find(|d| has_page(d))
        .ok_or_else(|| DemoError::NoWebRoot(cwd.clone()))
}
