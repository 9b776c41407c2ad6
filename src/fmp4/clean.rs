//! The init segment a FragmentFilter hands to a `SourceBuffer` (SPEC §7),
//! and the MSE codec string of its video track.
//!
//! The init segment is not signed, yet a few of its boxes change the
//! picture without touching a signed byte. The cleaned copy keeps only what
//! the one video track needs to decode, and makes those boxes harmless:
//! - `ftyp` as it is; `free` / `skip` and every other top-level box go;
//! - in `moov`: `mvhd` with its matrix set to the identity, the video
//!   `trak`, and `mvex` with `mehd` and the video track's `trex` only;
//!   other tracks (unsigned audio from another home is a leak too), their
//!   `trex`, and `udta`, `meta`, `pssh`, `iods` go;
//! - in the video `trak`: `tkhd` with its matrix set to the identity (a
//!   rotation or mirror), `edts` and `mdia`; `tref`, `udta`, `meta` go;
//! - `clap` (a crop that could hide most of the picture), `irot` and
//!   `imir` (rotation, mirror) are removed wherever they stand below
//!   `mdia`, the sample entry included.
//!
//! Every box is rewritten with a new size (a 64-bit one only when needed).
//! The input must be an init segment [`InitSegment::parse`] accepted.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::boxes::{BoxRef, Boxes};
use super::{Fmp4Error, InitSegment};
use crate::inband::UnitCodec;
use crate::memory::OutOfMemory;

/// The identity transformation matrix of `mvhd` / `tkhd` (ISO/IEC 14496-12
/// §8.2.2.3): { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 }.
const IDENTITY: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// Bytes of a visual sample entry before its child boxes (§12.1.3: 8 of
/// SampleEntry, 70 of VisualSampleEntry).
const VISUAL_ENTRY_FIELDS: usize = 78;

/// Boxes that alter the picture outside the signed bytes (SPEC §7).
const PICTURE_CHANGERS: [&[u8; 4]; 3] = [b"clap", b"irot", b"imir"];

impl InitSegment {
    /// The init segment `bytes` (the one this was parsed from) cleaned as
    /// the module docs say: what reaches a `SourceBuffer`.
    pub fn cleaned(&self, bytes: &[u8]) -> Result<Vec<u8>, Fmp4Error> {
        let mut out = Vec::new();
        reserve(&mut out, bytes.len())?;
        for b in Boxes::new(bytes, 0, true) {
            let b = b?;
            match &b.kind.0 {
                b"ftyp" => copy(&mut out, bytes, &b)?,
                b"moov" => {
                    let body = self.clean_moov(bytes, &b)?;
                    put(&mut out, b"moov", &body)?;
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The MSE / WebCodecs codec string of the video track, from its
    /// configuration record (RFC 6381 as ISO/IEC 14496-15 Annex E and the
    /// AV1 codec ISOBMFF binding §5 define it): `avc1.PPCCLL`,
    /// `hvc1.1.6.L93.B0`, `av01.0.04M.08`.
    pub fn codec_string(&self) -> String {
        let entry = self.sample_entry().to_string();
        let c = self.config();
        let at = |i: usize| c.get(i).copied().unwrap_or(0);
        match self.codec() {
            UnitCodec::H264 => format!("{entry}.{:02x}{:02x}{:02x}", at(1), at(2), at(3)),
            UnitCodec::H265 => {
                let space = match at(1) >> 6 {
                    0 => "",
                    1 => "A",
                    2 => "B",
                    _ => "C",
                };
                let tier = if at(1) & 0x20 != 0 { 'H' } else { 'L' };
                let compat = u32::from_be_bytes([at(2), at(3), at(4), at(5)]).reverse_bits();
                let mut s = format!(
                    "{entry}.{space}{}.{compat:x}.{tier}{}",
                    at(1) & 0x1f,
                    at(12)
                );
                // The six constraint bytes, trailing zero bytes left out.
                let constraints: Vec<u8> = (6..12).map(at).collect();
                let used = constraints
                    .iter()
                    .rposition(|&b| b != 0)
                    .map_or(0, |i| i + 1);
                for b in &constraints[..used] {
                    s.push_str(&format!(".{b:X}"));
                }
                s
            }
            UnitCodec::Av1 => {
                let profile = at(1) >> 5;
                let level = at(1) & 0x1f;
                let tier = if at(2) & 0x80 != 0 { 'H' } else { 'M' };
                let depth = match (at(2) & 0x40 != 0, at(2) & 0x20 != 0) {
                    (true, true) => 12,
                    (true, false) => 10,
                    _ => 8,
                };
                format!("av01.{profile}.{level:02}{tier}.{depth:02}")
            }
            UnitCodec::Jpeg => String::from("jpeg"),
        }
    }

    /// The MIME type with codecs for `MediaSource.isTypeSupported` and
    /// `addSourceBuffer`: `video/mp4; codecs="…"`.
    pub fn mime_type(&self) -> String {
        format!("video/mp4; codecs=\"{}\"", self.codec_string())
    }

    fn clean_moov(&self, bytes: &[u8], moov: &BoxRef<'_>) -> Result<Vec<u8>, Fmp4Error> {
        let mut out = Vec::new();
        for b in Boxes::new(moov.body, moov.body_offset, false) {
            let b = b?;
            match &b.kind.0 {
                b"mvhd" => put_with_identity(&mut out, &b, 32, 44)?,
                b"trak" if trak_id(&b)? == Some(self.track_id()) => {
                    let body = self.clean_trak(bytes, &b)?;
                    put(&mut out, b"trak", &body)?;
                }
                b"mvex" => {
                    let mut body = Vec::new();
                    for c in Boxes::new(b.body, b.body_offset, false) {
                        let c = c?;
                        let keep = match &c.kind.0 {
                            b"mehd" => true,
                            b"trex" => c.body.get(4..8) == Some(&self.track_id().to_be_bytes()),
                            _ => false,
                        };
                        if keep {
                            copy(&mut body, bytes, &c)?;
                        }
                    }
                    put(&mut out, b"mvex", &body)?;
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn clean_trak(&self, bytes: &[u8], trak: &BoxRef<'_>) -> Result<Vec<u8>, Fmp4Error> {
        let mut out = Vec::new();
        for b in Boxes::new(trak.body, trak.body_offset, false) {
            let b = b?;
            match &b.kind.0 {
                b"tkhd" => put_with_identity(&mut out, &b, 36, 48)?,
                b"edts" => copy(&mut out, bytes, &b)?,
                b"mdia" => {
                    let body = self.without_changers(bytes, &b, 0)?;
                    put(&mut out, b"mdia", &body)?;
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The children of container `parent` (`fields` bytes of its own
    /// first), without [`PICTURE_CHANGERS`], descending into the boxes on
    /// the way to the video sample entry.
    fn without_changers(
        &self,
        bytes: &[u8],
        parent: &BoxRef<'_>,
        fields: usize,
    ) -> Result<Vec<u8>, Fmp4Error> {
        let bad = Fmp4Error::BadBody {
            offset: parent.offset,
            kind: parent.kind,
        };
        let head = parent.body.get(..fields).ok_or(bad)?;
        let mut out = Vec::new();
        reserve(&mut out, parent.body.len())?;
        out.extend_from_slice(head);
        let children = &parent.body[fields..];
        for b in Boxes::new(children, parent.body_offset + fields, false) {
            let b = b?;
            let kind = &b.kind.0;
            if PICTURE_CHANGERS.contains(&kind) {
                continue;
            }
            let inner = match kind {
                b"minf" | b"stbl" => Some(0),
                // Full box header and entry_count.
                b"stsd" => Some(8),
                _ if b.kind == self.sample_entry() => Some(VISUAL_ENTRY_FIELDS),
                _ => None,
            };
            match inner {
                Some(fields) => {
                    let body = self.without_changers(bytes, &b, fields)?;
                    put(&mut out, kind, &body)?;
                }
                None => copy(&mut out, bytes, &b)?,
            }
        }
        Ok(out)
    }
}

/// The track id of a `trak`'s `tkhd`, if it has one.
fn trak_id(trak: &BoxRef<'_>) -> Result<Option<u32>, Fmp4Error> {
    for b in Boxes::new(trak.body, trak.body_offset, false) {
        let b = b?;
        if b.kind.0 == *b"tkhd" {
            let at = if b.body.first() == Some(&1) { 20 } else { 12 };
            return Ok(b
                .body
                .get(at..at + 4)
                .map(|id| u32::from_be_bytes([id[0], id[1], id[2], id[3]])));
        }
    }
    Ok(None)
}

/// A copy of full box `b` (`mvhd` or `tkhd`) whose matrix, `v0` (version
/// 0) or `v1` bytes into its body, is the identity.
fn put_with_identity(
    out: &mut Vec<u8>,
    b: &BoxRef<'_>,
    v0: usize,
    v1: usize,
) -> Result<(), Fmp4Error> {
    let at = if b.body.first() == Some(&1) { v1 } else { v0 };
    let bad = Fmp4Error::BadBody {
        offset: b.offset,
        kind: b.kind,
    };
    let end = at.checked_add(36).ok_or(bad.clone())?;
    if b.body.len() < end {
        return Err(bad);
    }
    let mut body = Vec::new();
    reserve(&mut body, b.body.len())?;
    body.extend_from_slice(b.body);
    for (i, v) in IDENTITY.iter().enumerate() {
        body[at + 4 * i..at + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    put(out, &b.kind.0, &body)
}

/// Box `b` as it stands in `bytes`, header (and `uuid` user type) included.
fn copy(out: &mut Vec<u8>, bytes: &[u8], b: &BoxRef<'_>) -> Result<(), Fmp4Error> {
    let whole = bytes
        .get(b.offset..b.offset + b.len())
        .ok_or(Fmp4Error::BadBody {
            offset: b.offset,
            kind: b.kind,
        })?;
    reserve(out, whole.len())?;
    out.extend_from_slice(whole);
    Ok(())
}

/// A box of type `kind` with `body`, its size in 32 bits when it fits.
fn put(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) -> Result<(), Fmp4Error> {
    reserve(out, body.len() + 16)?;
    match u32::try_from(body.len() + 8) {
        Ok(size) => out.extend_from_slice(&size.to_be_bytes()),
        Err(_) => out.extend_from_slice(&1u32.to_be_bytes()),
    }
    out.extend_from_slice(kind);
    if u32::try_from(body.len() + 8).is_err() {
        out.extend_from_slice(&(body.len() as u64 + 16).to_be_bytes());
    }
    out.extend_from_slice(body);
    Ok(())
}

fn reserve(out: &mut Vec<u8>, more: usize) -> Result<(), Fmp4Error> {
    out.try_reserve(more)
        .map_err(|_| Fmp4Error::OutOfMemory(OutOfMemory { bytes: more }))
}
