//! `frameseal keygen NAME`: a new device key pair in `NAME.key` (secret,
//! mode 0600) and `NAME.pub` (public), and the fingerprint a person
//! compares at pairing, and the pairing code a display accepts.

use std::fs;
use std::path::PathBuf;

use frameseal::Signer;
use frameseal_native::random_bytes;

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyfile;
use crate::keyline::{self, KeyKind};

pub const SPEC: Spec = Spec {
    usage: "frameseal keygen [--force] NAME    (writes NAME.key and NAME.pub)",
    valued: &[],
    switches: &["force"],
};

pub fn run(args: &Args) -> Result<(), CliError> {
    let name = args.one_positional("NAME (the key files become NAME.key and NAME.pub)")?;
    let force = args.switch("force");
    let secret_path = PathBuf::from(format!("{name}.key"));
    let public_path = PathBuf::from(format!("{name}.pub"));
    // Check both before writing either, so a refusal never leaves half a pair.
    for path in [&secret_path, &public_path] {
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(CliError::Exists(path.clone()));
        }
    }
    let secret = random_bytes::<32>()?;
    let public = *Signer::from_secret(&secret, [0; 16]).public_key();
    keyfile::write(&secret_path, KeyKind::Secret, &secret, force)?;
    if let Err(e) = keyfile::write(&public_path, KeyKind::Public, &public, force) {
        let _ = fs::remove_file(&secret_path);
        return Err(e);
    }
    say!(
        "wrote {} (secret key, mode 0600: keep it on the camera) and {} (public key)",
        secret_path.display(),
        public_path.display()
    );
    say!("{}", keyline::describe_public(&public));
    Ok(())
}
