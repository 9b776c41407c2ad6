//! `frameseal rotate OLD.key NEXT`: replaces a camera's key. Writes a new
//! key pair `NEXT.key` + `NEXT.pub` and a key-rotation frame (SPEC §5.2)
//! signed by the old key, which tells every display linked to `OLD` to
//! trust `NEXT` from then on. The camera sends that frame on its streams
//! before its first frame signed by the new key.

use std::fs;
use std::path::PathBuf;

use frameseal::{FrameSpec, Signer};
use frameseal_native::random_bytes;

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyfile;
use crate::keyline::{self, KeyKind};
use crate::sign;

pub const SPEC: Spec = Spec {
    usage: "frameseal rotate [--force] [--out FILE] [--stream-id HEX32] [--seq N] \
            [--timestamp-us N] OLD.key NEXT    (writes NEXT.key, NEXT.pub and the rotation \
            frame, by default NEXT.rotation.fseal)",
    valued: &["out", "stream-id", "seq", "timestamp-us"],
    switches: &["force"],
};

pub fn run(args: &Args) -> Result<(), CliError> {
    let (old_path, name) =
        args.two_positionals("OLD.key (the current secret key) and NEXT (the new key's name)")?;
    let old_path = PathBuf::from(old_path);
    let force = args.switch("force");
    let secret_path = PathBuf::from(format!("{name}.key"));
    let public_path = PathBuf::from(format!("{name}.pub"));
    let out_path = PathBuf::from(
        args.value("out")
            .map_or_else(|| format!("{name}.rotation.fseal"), str::to_string),
    );
    let (timestamp_us, stream_id) = sign::session(args)?;
    let seq = args.parsed::<u64>("seq", "a frame number")?;
    let old_secret = keyfile::read(&old_path, KeyKind::Secret)?;
    // Check every output before writing any, so a refusal leaves nothing.
    for path in [&secret_path, &public_path, &out_path] {
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(CliError::Exists(path.clone()));
        }
    }
    let mut old = Signer::from_secret(&old_secret, stream_id);
    let next = Signer::from_secret(&random_bytes::<32>()?, stream_id);
    let spec = FrameSpec {
        seq,
        ..FrameSpec::at(timestamp_us)
    };
    let frame = old
        .sign_rotation(&next, &spec)
        .map_err(CliError::sign(&old_path))?;
    let next_public = *next.public_key();
    keyfile::write(&secret_path, KeyKind::Secret, &next.secret_key(), force)?;
    let written =
        keyfile::write(&public_path, KeyKind::Public, &next_public, force).and_then(|()| {
            fs::write(&out_path, &frame)
                .map_err(|e| CliError::write("rotation frame", &out_path, e))
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&secret_path);
        let _ = fs::remove_file(&public_path);
        return Err(e);
    }
    say!(
        "wrote {} (secret key, mode 0600), {} and {} (the rotation frame, {} bytes, signed by {})",
        secret_path.display(),
        public_path.display(),
        out_path.display(),
        frame.len(),
        old_path.display()
    );
    say!(
        "old fingerprint  {}",
        frameseal::fingerprint(old.public_key())
    );
    say!("{}", keyline::describe_public(&next_public));
    say!(
        "send the rotation frame on the camera's streams before any frame signed by {}; \
         a display stores the new key when it accepts it",
        secret_path.display()
    );
    Ok(())
}
