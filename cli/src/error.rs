//! Everything a command can fail with, worded for the person at the
//! terminal. `main` prints `error: {message}` and exits with
//! [`CliError::exit_code`]; nothing in the program panics on bad input.

use std::io;
use std::path::{Path, PathBuf};

use frameseal::SignError;
use frameseal_native::{NoRandomness, io_reason};

use crate::keyline::KeyFileError;
use crate::stream::SplitError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command line itself is wrong; the message says how, `usage`
    /// shows the right form.
    #[error("{message}\nusage: {usage}")]
    Usage {
        /// What is wrong.
        message: String,
        /// The usage line of the command concerned.
        usage: &'static str,
    },
    /// A file or directory could not be read.
    #[error("cannot read {what} '{}': {}", path.display(), io_reason(source))]
    Read {
        /// What the file was for ("key file", "stream", ...).
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {what} '{}': {}", path.display(), io_reason(source))]
    Write {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// `keygen` would overwrite a key file.
    #[error("'{}' already exists (pass --force to overwrite it)", .0.display())]
    Exists(PathBuf),
    /// A key file does not hold what the command needs.
    #[error("key file '{}' {error}", path.display())]
    KeyFile { path: PathBuf, error: KeyFileError },
    /// An input of `sign` is not a JPEG.
    #[error("'{}' is not a JPEG (it does not start with FF D8 FF)", .0.display())]
    NotJpeg(PathBuf),
    /// `sign` was given a directory without JPEG files.
    #[error("directory '{}' holds no .jpg or .jpeg files", .0.display())]
    NoJpegs(PathBuf),
    /// The core refused to sign a frame.
    #[error("cannot sign '{}': {error}", path.display())]
    Sign { path: PathBuf, error: SignError },
    /// A stream file cannot be split into frames.
    #[error("stream '{}': {error}", path.display())]
    Stream { path: PathBuf, error: SplitError },
    /// A media file (`seal`, `verify --codec`) cannot be cut into units or
    /// a unit cannot be sealed.
    #[error("media file '{}': {why}", path.display())]
    Media { path: PathBuf, why: String },
    /// `verify` dropped frames (the per-frame lines say which and why).
    #[error("{dropped} of {total} frames dropped")]
    Dropped { dropped: u64, total: u64 },
    /// `verify --signed-video` cannot use an input (an unreadable or
    /// unrecognised file, a PEM file without a usable key or certificate):
    /// bad input, exit 2.
    #[error("{what} '{}': {why}", path.display())]
    BadInput {
        /// What the file was for ("recording", "--trust-key file", ...).
        what: &'static str,
        path: PathBuf,
        why: String,
    },
    /// `verify --signed-video` found GOPs that are not authentic (the
    /// per-GOP lines say which and why).
    #[error("{bad} of {gops} GOPs not authentic ({detail})")]
    NotAuthentic {
        bad: usize,
        gops: usize,
        /// The counts by verdict, `tampered 1, foreign-key 2`.
        detail: String,
    },
    /// `verify --signed-video --trust-ca`: the signer is not trusted, e.g.
    /// its chain leads to the CA but is not valid at the verification time
    /// (which is not tampering).
    #[error("signer not trusted: {0}")]
    Untrusted(frameseal::signed_video::TrustError),
    /// The system has no randomness to offer.
    #[error(transparent)]
    Random(#[from] NoRandomness),
}

impl CliError {
    /// 2 for a wrong command line or, for `verify --signed-video`, bad
    /// input; 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage { .. } | CliError::BadInput { .. } => 2,
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

    /// What a refusal to sign a frame for `path` becomes (for `map_err`).
    pub fn sign(path: &Path) -> impl FnOnce(SignError) -> CliError {
        let path = path.to_path_buf();
        move |error| CliError::Sign { path, error }
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

#[cfg(test)]
mod tests {
    use super::*;

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
