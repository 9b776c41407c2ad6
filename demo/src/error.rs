//! What can stop the demo from starting, worded for the person at the
//! terminal. `main` prints `error: {message}` (and the usage line after a
//! usage error) and exits with [`DemoError::exit_code`].

use std::io;
use std::path::PathBuf;

use frameseal_native::{NoRandomness, io_reason};

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The command line is wrong; the message says how.
    #[error("{0}")]
    Usage(String),
    /// The system has no randomness to offer.
    #[error(transparent)]
    Random(#[from] NoRandomness),
    /// The port could not be bound (or the server stopped listening).
    #[error("cannot listen on {address}: {}", io_reason(source))]
    Listen { address: String, source: io::Error },
    /// The web root has no `www/index.html`.
    #[error(
        "'{}' has no www/index.html; pass --root with the frameseal repository",
        .0.display()
    )]
    NoWebRoot(PathBuf),
    /// A thread (a camera's, or the runtime's) could not be started.
    #[error("cannot start a thread: {}", io_reason(.0))]
    Spawn(io::Error),
}

impl DemoError {
    /// 2 for a wrong command line, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            DemoError::Usage(_) => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_busy_port_reads_as_one_sentence() {
        let e = DemoError::Listen {
            address: "127.0.0.1:8080".to_string(),
            source: io::Error::from_raw_os_error(98),
        };
        assert_eq!(
            e.to_string(),
            "cannot listen on 127.0.0.1:8080: Address already in use"
        );
        assert_eq!(e.exit_code(), 1);
    }
}
