//! Key files on disk: reading one (refusing anything that is not the key
//! line a command needs, [`crate::keyline`]) and writing one, a secret key
//! with mode 0600 from the moment it exists.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use frameseal::LinkedKey;

use crate::error::CliError;
use crate::keyline::{self, KeyFileError, KeyKind};

/// Longest file read as a key file; a key line is under 90 bytes.
const MAX_KEY_FILE_LEN: usize = 4096;

/// Reads the key of kind `wanted` from `path`. Warns on stderr when a
/// secret key file can be read by other users.
pub fn read(path: &Path, wanted: KeyKind) -> Result<[u8; 32], CliError> {
    let bytes = fs::read(path).map_err(|e| CliError::read("key file", path, e))?;
    let not_a_key = || CliError::KeyFile {
        path: path.to_path_buf(),
        error: KeyFileError::NotAKey(wanted),
    };
    if bytes.len() > MAX_KEY_FILE_LEN {
        return Err(not_a_key());
    }
    let text = String::from_utf8(bytes).map_err(|_| not_a_key())?;
    let key = keyline::parse(&text, wanted).map_err(|error| CliError::KeyFile {
        path: path.to_path_buf(),
        error,
    })?;
    if wanted == KeyKind::Secret {
        warn_if_shared(path);
    }
    Ok(key)
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: secret key file '{}' is readable by other users (mode {mode:03o}); \
                 chmod 600 it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// Reads the public key file `path` and links its key, as a display would.
pub fn linked(path: &Path) -> Result<([u8; 32], LinkedKey), CliError> {
    let public = read(path, KeyKind::Public)?;
    let key = LinkedKey::from_bytes(&public).map_err(|e| CliError::KeyFile {
        path: path.to_path_buf(),
        error: KeyFileError::Unlinkable(e),
    })?;
    Ok((public, key))
}

/// Writes a key file; a secret key file gets mode 0600 from the moment it
/// exists. Refuses to replace an existing file unless `force`.
pub fn write(path: &Path, kind: KeyKind, key: &[u8; 32], force: bool) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if kind == KeyKind::Secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let what = match kind {
        KeyKind::Secret => "secret key file",
        KeyKind::Public => "public key file",
    };
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Exists(path.to_path_buf())
        } else {
            CliError::write(what, path, e)
        }
    })?;
    // `mode` applies only to a file this call created; one replaced with
    // --force keeps its old mode unless it is set here.
    #[cfg(unix)]
    if kind == KeyKind::Secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::write(what, path, e))?;
    }
    file.write_all(keyline::render(kind, key).as_bytes())
        .map_err(|e| CliError::write(what, path, e))
}
