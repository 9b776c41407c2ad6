//! What can stop the demo from starting, worded for the person at the
//! terminal. `main` prints `error: {message}` (and the usage line after a
//! usage error) and exits with [`DemoError::exit_code`].

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why the demo could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum DemoError {
    /// The command line is wrong; the message says how.
    Usage(String),
    /// The system has no randomness to offer.
    Random(String),
    /// The port could not be bound (or the server stopped listening).
    Listen { address: String, source: io::Error },
    /// The web root has no `www/index.html`.
    NoWebRoot(PathBuf),
    /// A thread (a camera's, or the runtime's) could not be started.
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

/// An I/O error as a person wants to read it: "Address already in use",
/// without the "(os error 98)" suffix.
fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Usage(message) => f.write_str(message),
            DemoError::Random(why) => write!(f, "no randomness from the system: {why}"),
            DemoError::Listen { address, source } => {
                write!(f, "cannot listen on {address}: {}", io_reason(source))
            }
            DemoError::NoWebRoot(path) => write!(
                f,
                "'{}' has no www/index.html; pass --root with the frameseal repository",
                path.display()
            ),
            DemoError::Spawn(e) => write!(f, "cannot start a thread: {}", io_reason(e)),
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
