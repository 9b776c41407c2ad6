//! `frameseal inspect STREAM`: prints every frame's header as it is, with
//! no key and no judgement beyond the layout rules (SPEC §2), so a stream
//! that fails to verify can be looked at. The file is cut by the same
//! byte-stream reader as `verify` and a browser's `FrameReader`
//! (`crate::stream`), with every length taken at its word (there is no key
//! to check it with); bytes that are not part of any frame are listed, with
//! every `FSEAL` header found in them and the layout rule it breaks. Given a
//! key file instead, prints the public key, its fingerprint and its pairing
//! code.

use std::fs;
use std::path::PathBuf;

use frameseal::deframer::Boundaries;
use frameseal::frame::{FLAG_END_OF_STREAM, FLAG_KEYFRAME, Frame, Header};
use frameseal::{Codec, Signer};

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyline::{self, KeyKind};
use crate::stream::{self, Fields, RawFrame};
use crate::time;

pub const SPEC: Spec = Spec {
    usage: "frameseal inspect STREAM|KEYFILE",
    valued: &[],
    switches: &[],
};

pub fn run(args: &Args) -> Result<(), CliError> {
    let path = PathBuf::from(args.one_positional("STREAM (the stream file to inspect)")?);
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
    let cut = stream::cut(&bytes, u32::MAX, |_| (Boundaries::Authenticated, ()));
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
    let codec = match Codec::from_byte(f.codec) {
        Some(c) => format!("{c} ({})", f.codec),
        None => format!("unknown ({})", f.codec),
    };
    format!(
        "{title}\n  version      {}\n  flags        {:#04x} ({})\n  \
         codec        {codec}\n  key id       {}\n  stream id    {}\n  seq          {}\n  \
         timestamp    {} ({})\n  payload      {} bytes\n  layout       {layout}",
        f.version,
        f.flags,
        flag_names(f.flags),
        hex::encode(f.key_id),
        hex::encode(f.stream_id),
        f.seq,
        f.timestamp_us,
        time::rfc3339(f.timestamp_us),
        f.payload_len,
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
