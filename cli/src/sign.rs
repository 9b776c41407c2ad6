//! `frameseal sign`: wraps a JPEG file, or every JPEG in a directory sorted
//! by name, into a signed byte stream: frames back to back (SPEC §2), codec
//! jpeg, each a keyframe, seq from 0, one stream id, one timestamp.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use frameseal::{Codec, FrameSpec, Signer, fingerprint};
use frameseal_native::{now_us, random_bytes};
use hex::FromHex;

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyfile;
use crate::keyline::KeyKind;
use crate::time;

pub const SPEC: Spec = Spec {
    usage: "frameseal sign --key NAME.key --out STREAM [--timestamp-us N] [--stream-id HEX32] \
            INPUT    (INPUT: a JPEG file, or a directory of .jpg/.jpeg files)",
    valued: &["key", "out", "timestamp-us", "stream-id"],
    switches: &[],
};

/// The first bytes of every JPEG: SOI and the start of the next marker.
const JPEG_START: [u8; 3] = [0xFF, 0xD8, 0xFF];

pub fn run(args: &Args) -> Result<(), CliError> {
    let input = PathBuf::from(args.one_positional("INPUT (a JPEG file or a directory)")?);
    let key_path = args
        .value("key")
        .ok_or_else(|| args.usage_error("missing --key (the camera's secret key file)"))?;
    let out_path = PathBuf::from(
        args.value("out")
            .ok_or_else(|| args.usage_error("missing --out (the stream file to write)"))?,
    );
    let (timestamp_us, stream_id) = session(args)?;
    let secret = keyfile::read(Path::new(key_path), KeyKind::Secret)?;
    let inputs = jpeg_inputs(&input)?;

    let mut camera = Signer::from_secret(&secret, stream_id);
    let file = File::create(&out_path).map_err(|e| CliError::write("stream", &out_path, e))?;
    let mut out = BufWriter::new(file);
    let spec = FrameSpec {
        keyframe: true,
        codec: Codec::Jpeg,
        ..FrameSpec::at(timestamp_us)
    };
    let written = inputs.iter().try_fold(0u64, |total, path| {
        let jpeg = fs::read(path).map_err(|e| CliError::read("JPEG", path, e))?;
        if !jpeg.starts_with(&JPEG_START) {
            return Err(CliError::NotJpeg(path.clone()));
        }
        let frame = camera
            .sign_frame(&jpeg, &spec)
            .map_err(CliError::sign(path))?;
        out.write_all(&frame)
            .map_err(|e| CliError::write("stream", &out_path, e))?;
        Ok(total + frame.len() as u64)
    });
    let written = written
        .and_then(|n| {
            out.flush()
                .map_err(|e| CliError::write("stream", &out_path, e))?;
            Ok(n)
        })
        .inspect_err(|_| {
            // Never leave a half-written stream behind.
            let _ = fs::remove_file(&out_path);
        })?;
    say!(
        "signed {} frame{} ({written} bytes) into {}",
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" },
        out_path.display()
    );
    print_session(timestamp_us, stream_id, &camera);
    Ok(())
}

/// `--timestamp-us` (default now) and `--stream-id` (default random): the
/// session every frame or unit of one `sign` / `seal` run belongs to.
pub fn session(args: &Args) -> Result<(u64, [u8; 16]), CliError> {
    let timestamp_us = args
        .parsed::<u64>("timestamp-us", "microseconds since the Unix epoch")?
        .unwrap_or_else(now_us);
    let stream_id = match args.value("stream-id") {
        Some(text) => <[u8; 16]>::from_hex(text).ok().ok_or_else(|| {
            args.usage_error(format!("--stream-id expects 32 hex digits, got '{text}'"))
        })?,
        None => random_bytes::<16>()?,
    };
    Ok((timestamp_us, stream_id))
}

/// The session's lines after a `sign` / `seal` run.
pub fn print_session(timestamp_us: u64, stream_id: [u8; 16], camera: &Signer) {
    say!("stream id    {}", hex::encode(stream_id));
    say!(
        "timestamp    {timestamp_us} ({})",
        time::rfc3339(timestamp_us)
    );
    say!("fingerprint  {}", fingerprint(camera.public_key()));
}

/// `input` itself if it is a file; the `.jpg` / `.jpeg` files in it, sorted
/// by name, if it is a directory.
fn jpeg_inputs(input: &Path) -> Result<Vec<PathBuf>, CliError> {
    let meta = fs::metadata(input).map_err(|e| CliError::read("input", input, e))?;
    if !meta.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(input).map_err(|e| CliError::read("directory", input, e))? {
        let entry = entry.map_err(|e| CliError::read("directory", input, e))?;
        let path = entry.path();
        let is_jpeg = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"));
        if is_jpeg && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(CliError::NoJpegs(input.to_path_buf()));
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}
