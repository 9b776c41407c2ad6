//! `frameseal inspect STREAM`: prints every frame's header as it is, with
//! no key and no judgement beyond the layout rules (SPEC §2), so a stream
//! that fails to verify can be looked at. The file is cut by the same
//! byte-stream reader as `verify` and a browser's `FrameReader`
//! (`crate::stream`), with every length taken at its word (there is no key
//! to check it with); bytes that are not part of any frame are listed, with
//! every `FSEAL` header found in them and the layout rule it breaks. Given a
//! key file instead, prints the public key, its fingerprint and its pairing
//! code.
//!
//! `frameseal inspect --codec h264|h265|av1|jpeg MEDIA`: a media file whose
//! units carry their seals in-band (SPEC §6.3, `frameseal seal`), cut into
//! units as `seal` and `verify --codec` cut it ([`crate::units`]); prints one
//! line per unit with its seal's fields as they are, `no seal`, or why the
//! unit does not parse. No key, so no signature or content hash is checked.

use std::fs;
use std::path::PathBuf;

use frameseal::deframer::Boundaries;
use frameseal::frame::{FLAG_END_OF_STREAM, FLAG_KEYFRAME, Frame, Header, SEAL_LEN, layout};
use frameseal::inband::{self, UnitFormat};
use frameseal::{Codec, Signer};

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyline::{self, KeyKind};
use crate::stream::{self, Fields, RawFrame};
use crate::time;
use crate::units::{self, MediaFile};

pub const SPEC: Spec = Spec {
    usage: "frameseal inspect STREAM|KEYFILE    or: frameseal inspect --codec \
            h264|h265|av1|jpeg MEDIA    (the seal in every unit)",
    valued: &["codec"],
    switches: &[],
};

pub fn run(args: &Args) -> Result<(), CliError> {
    let path = PathBuf::from(args.one_positional("STREAM (the stream file to inspect)")?);
    if args.value("codec").is_some() {
        return inspect_units(args, path);
    }
    let bytes = fs::read(&path).map_err(|e| CliError::read("stream", &path, e))?;
    if let Some((kind, key)) = std::str::from_utf8(&bytes).ok().and_then(keyline::sniff) {
        let public = match kind {
            KeyKind::Public => key,
            KeyKind::Secret => *Signer::from_secret(&key, [0; 16]).public_key(),
        };
        let what = match kind {
            KeyKind::Public => "public key file",
            KeyKind::Secret => "secret key file (only its public half is shown)",
        };
        say!("{}: {what}", path.display());
        say!("{}", keyline::describe_public(&public));
        return Ok(());
    }
    let cut = stream::cut(&bytes, u32::MAX, |_: &[u8]| (Boundaries::Authenticated, ()));
    // Frames and gaps by offset (a gap ends where a frame starts).
    let mut blocks: Vec<(usize, bool, String)> = cut
        .frames
        .iter()
        .map(|(frame, ())| (frame.offset, true, describe(frame)))
        .collect();
    for gap in &cut.gaps {
        let mut block = format!(
            "skipped {} bytes at byte {}: not part of any frame ({})",
            gap.len, gap.offset, gap.start
        );
        for (at, head) in stream::headers_in(&bytes, gap) {
            block.push('\n');
            block.push_str(&describe_header(at, head));
        }
        blocks.push((gap.offset, false, block));
    }
    blocks.sort_by_key(|(offset, is_frame, _)| (*offset, *is_frame));
    for (_, _, block) in &blocks {
        say!("{block}");
    }
    let count = cut.frames.len();
    say!(
        "{count} frame{}, {} bytes",
        if count == 1 { "" } else { "s" },
        bytes.len()
    );
    match cut.error() {
        Some(error) => Err(CliError::Stream { path, error }),
        None => Ok(()),
    }
}

/// `inspect --codec`: one line per unit of the media file at `path`, then
/// a count; fails (after printing every line) if a unit does not parse.
fn inspect_units(args: &Args, path: PathBuf) -> Result<(), CliError> {
    let format = units::format(args)?;
    let bytes = fs::read(&path).map_err(|e| CliError::read("media file", &path, e))?;
    let media = MediaFile::cut(&bytes, format, &path)?;
    let units = media.units();
    let (mut sealed, mut unsealed, mut malformed) = (0, 0, Vec::new());
    for (i, unit) in units.iter().enumerate() {
        let found = match inband::find_seal(unit, format) {
            // SPEC §6.3 check 1: a seal body is exactly SEAL_LEN bytes.
            Ok(Some(body)) if body.seal().is_none() => Err(format!(
                "a seal body of {} bytes, not {SEAL_LEN}",
                body.len()
            )),
            other => other.map_err(|e| e.to_string()),
        };
        let text = match found {
            Ok(Some(body)) => {
                sealed += 1;
                body.seal()
                    .map_or_else(String::new, |seal| describe_seal(seal, format))
            }
            Ok(None) => {
                unsealed += 1;
                "no seal".to_string()
            }
            Err(why) => {
                let text = format!("malformed: {why}");
                malformed.push(units::unit_error(&path, i, why));
                text
            }
        };
        say!("unit {i:<5} {} bytes  {text}", unit.len());
    }
    let count = units.len();
    say!(
        "{count} unit{}: {sealed} sealed, {unsealed} without a seal, {} malformed",
        if count == 1 { "" } else { "s" },
        malformed.len()
    );
    malformed.into_iter().next().map_or(Ok(()), Err)
}

/// A unit's seal on one line: every field as it is, and what the layout
/// rules and the unit's codec say of them.
fn describe_seal(seal: &[u8; SEAL_LEN], format: UnitFormat) -> String {
    let f = Fields::of(seal);
    let (flags, codec_byte) = (f.byte(layout::FLAGS), f.byte(layout::CODEC));
    let content_len = f.payload_len();
    let timestamp_us = f.u64(layout::TIMESTAMP_US);
    let frame_len = SEAL_LEN.saturating_add(content_len as usize);
    let layout = match Header::parse(seal, frame_len, u32::MAX) {
        Err(e) => format!("malformed: {e}"),
        Ok(_) if codec_byte != format.codec().codec_byte() => {
            format!("malformed: not a {} seal", format.codec())
        }
        Ok(_) => "ok".to_string(),
    };
    format!(
        "version {}  flags {flags:#04x} ({})  codec {}  key id {}  stream id {}  seq {}  \
         timestamp {timestamp_us} ({})  content {content_len} bytes  hash {}  layout {layout}",
        f.byte(layout::VERSION),
        flag_names(flags),
        codec_name(codec_byte),
        hex::encode(f.bytes::<8>(layout::KEY_ID)),
        hex::encode(f.bytes::<16>(layout::STREAM_ID)),
        f.u64(layout::SEQ),
        time::rfc3339(timestamp_us),
        hex::encode(&seal[layout::CONTENT_HASH]),
    )
}

/// `jpeg (1)`, `h264 (16)`, `unknown (9)`.
fn codec_name(byte: u8) -> String {
    match Codec::from_byte(byte) {
        Some(c) => format!("{c} ({byte})"),
        None => format!("unknown ({byte})"),
    }
}

fn flag_names(flags: u8) -> String {
    let mut names = Vec::new();
    if flags & FLAG_KEYFRAME != 0 {
        names.push("keyframe".to_string());
    }
    if flags & FLAG_END_OF_STREAM != 0 {
        names.push("end-of-stream".to_string());
    }
    let reserved = flags & !(FLAG_KEYFRAME | FLAG_END_OF_STREAM);
    if reserved != 0 {
        names.push(format!("reserved bits {reserved:#04x}"));
    }
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The frame's block of `name value` lines.
fn describe(frame: &RawFrame) -> String {
    let layout = match Frame::parse(frame.bytes, u32::MAX) {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("malformed: {e}"),
    };
    let title = format!(
        "frame {} at byte {} ({} bytes)",
        frame.index,
        frame.offset,
        frame.bytes.len()
    );
    block(&title, &frame.fields(), &layout)
}

/// The block of a 52-byte header that is not a frame here.
fn describe_header(at: usize, head: &[u8]) -> String {
    let f = Fields::of(head);
    // headers_in lists only headers of versions it can read.
    let claimed = f.claimed_len().unwrap_or(u64::MAX);
    let layout = match Header::parse(
        head,
        usize::try_from(claimed).unwrap_or(usize::MAX),
        u32::MAX,
    ) {
        Ok(_) => "ok, but no frame was cut here".to_string(),
        Err(e) => format!("malformed: {e}"),
    };
    let title = format!("  header at byte {at} (claims {claimed} bytes), not a frame:");
    block(&title, &f, &layout)
}

/// `title`, then the fields as `name value` lines and the layout verdict.
fn block(title: &str, f: &Fields, layout: &str) -> String {
    let flags = f.byte(layout::FLAGS);
    let codec = codec_name(f.byte(layout::CODEC));
    let timestamp_us = f.u64(layout::TIMESTAMP_US);
    format!(
        "{title}\n  version      {}\n  flags        {:#04x} ({})\n  \
         codec        {codec}\n  key id       {}\n  stream id    {}\n  seq          {}\n  \
         timestamp    {} ({})\n  payload      {} bytes\n  layout       {layout}",
        f.byte(layout::VERSION),
        flags,
        flag_names(flags),
        hex::encode(f.bytes::<8>(layout::KEY_ID)),
        hex::encode(f.bytes::<16>(layout::STREAM_ID)),
        f.u64(layout::SEQ),
        timestamp_us,
        time::rfc3339(timestamp_us),
        f.payload_len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_and_reserved_bits_shown() {
        assert_eq!(flag_names(0), "none");
        assert_eq!(flag_names(1), "keyframe");
        assert_eq!(flag_names(3), "keyframe, end-of-stream");
        assert_eq!(flag_names(0x84), "reserved bits 0x84");
    }
}
