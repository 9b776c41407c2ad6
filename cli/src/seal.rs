//! `frameseal seal`: puts a seal inside every unit of a media file
//! (SPEC §6.3), so the signature travels in the bitstream through relays
//! that carry nothing else: an H.264 / H.265 elementary stream (Annex B),
//! AV1 in IVF or a low-overhead OBU stream, or a JPEG. Units are numbered
//! in file order (decode order) from seq 0 on one stream id; KEYFRAME
//! comes from the unit itself (IDR / IRAP / AV1 key frame; every JPEG);
//! all carry one timestamp.

use std::fs;
use std::path::{Path, PathBuf};

use frameseal::inband;
use frameseal::{FrameSpec, Signer};

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyfile;
use crate::keyline::KeyKind;
use crate::sign;
use crate::units::{self, MediaFile};

pub const SPEC: Spec = Spec {
    usage: "frameseal seal --codec h264|h265|av1|jpeg --key NAME.key [--stream-id HEX32] \
            [--timestamp-us N] IN OUT",
    valued: &["codec", "key", "stream-id", "timestamp-us"],
    switches: &[],
};

pub fn run(args: &Args) -> Result<(), CliError> {
    let (input, output) =
        args.two_positionals("IN and OUT (the media file and the sealed copy)")?;
    let (input, output) = (PathBuf::from(input), PathBuf::from(output));
    let format = units::format(args)?;
    let key_path = args
        .value("key")
        .ok_or_else(|| args.usage_error("missing --key (the camera's secret key file)"))?;
    let (timestamp_us, stream_id) = sign::session(args)?;
    let secret = keyfile::read(Path::new(key_path), KeyKind::Secret)?;
    let bytes = fs::read(&input).map_err(|e| CliError::read("media file", &input, e))?;
    let media = MediaFile::cut(&bytes, format, &input)?;

    let mut camera = Signer::from_secret(&secret, stream_id);
    let mut sealed = Vec::new();
    let mut keyframes = 0;
    for (seq, unit) in media.units().into_iter().enumerate() {
        let keyframe =
            inband::is_keyframe(unit, format).map_err(|e| units::unit_error(&input, seq, e))?;
        keyframes += usize::from(keyframe);
        let spec = FrameSpec {
            seq: Some(seq as u64),
            keyframe,
            ..FrameSpec::at(timestamp_us)
        };
        let unit = camera
            .seal_unit(unit, format, None, &spec)
            .map_err(|e| units::unit_error(&input, seq, e))?;
        sealed.push(unit);
    }
    fs::write(&output, media.with_units(&sealed))
        .map_err(|e| CliError::write("sealed file", &output, e))?;
    say!(
        "sealed {} unit{} ({keyframes} keyframe{}) into {}",
        sealed.len(),
        if sealed.len() == 1 { "" } else { "s" },
        if keyframes == 1 { "" } else { "s" },
        output.display()
    );
    sign::print_session(timestamp_us, stream_id, &camera);
    Ok(())
}
