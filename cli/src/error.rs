//! Everything a command can fail with, worded for the person at the
//! terminal. `main` prints `error: {message}` and exits with
//! [`CliError::exit_code`]; nothing in the program panics on bad input.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use frameseal::{KeyError, SignError};

use crate::keyline::KeyFileError;
use crate::stream::SplitError;

/// Why a command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CliError {
    /// The command line itself is wrong; the message says how, `usage`
    /// shows the right form.
    Usage {
        /// What is wrong.
        message: String,
        /// The usage line of the command concerned.
        usage: &'static str,
    },
    /// A file or directory could not be read.
    Read {
        /// What the file was for ("key file", "stream", ...).
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A file could not be written.
    Write {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// `keygen` would overwrite a key file.
    Exists(PathBuf),
    /// A key file does not hold what the command needs.
    KeyFile { path: PathBuf, error: KeyFileError },
    /// A public key file holds 32 bytes that cannot be linked.
    Link { path: PathBuf, error: KeyError },
    /// An input of `sign` is not a JPEG.
    NotJpeg(PathBuf),
    /// `sign` was given a directory without JPEG files.
    NoJpegs(PathBuf),
    /// The core refused to sign a frame.
    Sign { path: PathBuf, error: SignError },
    /// A stream file cannot be split into frames.
    Stream { path: PathBuf, error: SplitError },
    /// A media file (`seal`, `verify --codec`) cannot be cut into units or
    /// a unit cannot be sealed.
    Media { path: PathBuf, why: String },
    /// `verify` dropped frames (the per-frame lines say which and why).
    Dropped { dropped: u64, total: u64 },
    /// The system has no randomness to offer.
    Random(String),
}

impl CliError {
    /// 2 for a wrong command line, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage { .. } => 2,
            _ => 1,
        }
    }

    /// A read error for `path`.
    pub fn read(what: &'static str, path: &Path, source: io::Error) -> CliError {
        CliError::Read {
            what,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A write error for `path`.
    pub fn write(what: &'static str, path: &Path, source: io::Error) -> CliError {
        CliError::Write {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An I/O error as a person wants to read it: "No such file or directory",
/// without the "(os error 2)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage { message, usage } => write!(f, "{message}\nusage: {usage}"),
            CliError::Read { what, path, source } => {
                write!(
                    f,
                    "cannot read {what} '{}': {}",
                    path.display(),
                    io_reason(source)
                )
            }
            CliError::Write { what, path, source } => {
                write!(
                    f,
                    "cannot write {what} '{}': {}",
                    path.display(),
                    io_reason(source)
                )
            }
            CliError::Exists(path) => write!(
                f,
                "'{}' already exists (pass --force to overwrite it)",
                path.display()
            ),
            CliError::KeyFile { path, error } => {
                write!(f, "key file '{}' {error}", path.display())
            }
            CliError::Link { path, error } => {
                write!(f, "key file '{}' cannot be linked: {error}", path.display())
            }
            CliError::NotJpeg(path) => write!(
                f,
                "'{}' is not a JPEG (it does not start with FF D8 FF)",
                path.display()
            ),
            CliError::NoJpegs(path) => write!(
                f,
                "directory '{}' holds no .jpg or .jpeg files",
                path.display()
            ),
            CliError::Sign { path, error } => {
                write!(f, "cannot sign '{}': {error}", path.display())
            }
            CliError::Stream { path, error } => {
                write!(f, "stream '{}': {error}", path.display())
            }
            CliError::Media { path, why } => write!(f, "media file '{}': {why}", path.display()),
            CliError::Dropped { dropped, total } => {
                write!(f, "{dropped} of {total} frames dropped")
            }
            CliError::Random(why) => write!(f, "no randomness from the system: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_lose_the_os_error_suffix() {
        let e = io::Error::from_raw_os_error(2);
        assert!(e.to_string().contains("(os error 2)"));
        assert_eq!(io_reason(&e), "No such file or directory");
        let custom = io::Error::other("plain words");
        assert_eq!(io_reason(&custom), "plain words");
    }

    #[test]
    fn a_missing_key_file_reads_as_one_sentence() {
        let e = CliError::read("key file", Path::new("x"), io::Error::from_raw_os_error(2));
        assert_eq!(
            e.to_string(),
            "cannot read key file 'x': No such file or directory"
        );
        assert_eq!(e.exit_code(), 1);
    }
}
