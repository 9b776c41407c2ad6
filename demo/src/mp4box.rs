//! The few fragmented-MP4 edits the live relay makes on its way to a
//! viewer, on bytes that `frameseal::fmp4` has already parsed or that
//! ffmpeg just wrote: cutting ffmpeg's output at top-level boxes into the
//! init segment and one `moof`+`mdat` per frame ([`Splitter`]), giving a
//! fragment a new decode time (`tfdt`, [`set_decode_time`]) the way a
//! per-viewer muxer such as go2rtc's numbers every viewer's stream from 0,
//! and flipping one byte inside a slice NAL unit of a sample
//! ([`tamper_slice`]), the tampered-sample fault. Every size is checked
//! before it is used.

use std::fmt;
use std::ops::Range;

/// Most bytes the splitter holds while it waits for a box to complete:
/// far above one 640×360 frame, so only a broken muxer reaches it.
pub const MAX_PENDING: usize = 8 * 1024 * 1024;

/// Why a box could not be read or edited.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BoxError {
    /// A box whose size is below its header or runs past its parent.
    BadSize,
    /// A box the edit needs is not there.
    Missing(&'static str),
    /// A decode time that does not fit the box's version-0 field.
    DecodeTimeTooLarge,
    /// No byte of a slice NAL unit can be flipped without changing its
    /// framing (every candidate is a zero, a start-code or an
    /// emulation-prevention byte).
    NothingToTamper,
    /// More than [`MAX_PENDING`] bytes without a complete box.
    TooMuchPending,
}

impl fmt::Display for BoxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoxError::BadSize => f.write_str("a box size is out of bounds"),
            BoxError::Missing(what) => write!(f, "no {what} box"),
            BoxError::DecodeTimeTooLarge => f.write_str("the decode time does not fit tfdt v0"),
            BoxError::NothingToTamper => f.write_str("no slice byte can be flipped"),
            BoxError::TooMuchPending => f.write_str("the muxer wrote too much without a box"),
        }
    }
}

/// One box inside `bytes[within]`: its type and the range of its whole
/// box and of its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoxAt {
    pub kind: [u8; 4],
    pub whole: Range<usize>,
    pub body: Range<usize>,
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// The header of the box at `at` in `bytes`, if all of it is there:
/// `Ok(None)` when the bytes end before the box does (more to come),
/// `Err` for a size that can never be right.
fn box_at(bytes: &[u8], at: usize) -> Result<Option<BoxAt>, BoxError> {
    let (Some(size), Some(kind)) = (
        be_u32(bytes, at),
        bytes
            .get(at + 4..at + 8)
            .and_then(|k| <[u8; 4]>::try_from(k).ok()),
    ) else {
        return Ok(None);
    };
    let (size, header) = match size {
        1 => match be_u64(bytes, at + 8) {
            Some(large) => (usize::try_from(large).map_err(|_| BoxError::BadSize)?, 16),
            None => return Ok(None),
        },
        // Size 0 (to the end of the file) cannot be cut from a stream.
        0 => return Err(BoxError::BadSize),
        n => (n as usize, 8),
    };
    if size < header {
        return Err(BoxError::BadSize);
    }
    let end = at.checked_add(size).ok_or(BoxError::BadSize)?;
    if end > bytes.len() {
        return Ok(None);
    }
    Ok(Some(BoxAt {
        kind,
        whole: at..end,
        body: at + header..end,
    }))
}

/// The boxes directly inside `bytes[range]`, in order; every one must end
/// inside the range.
pub fn children(bytes: &[u8], range: Range<usize>) -> Result<Vec<BoxAt>, BoxError> {
    let inside = bytes.get(..range.end).ok_or(BoxError::BadSize)?;
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        match box_at(inside, at)? {
            Some(b) => {
                at = b.whole.end;
                out.push(b);
            }
            None => return Err(BoxError::BadSize),
        }
    }
    Ok(out)
}

/// What the splitter cut from the muxer's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// `ftyp` + `moov` (and anything before `moov`).
    Init(Vec<u8>),
    /// One `moof` + `mdat` (and any `styp`/`sidx`/`prft` before them).
    Fragment(Vec<u8>),
}

/// Cuts a fragmented-MP4 byte stream, as it arrives, into the init segment
/// and its fragments.
#[derive(Default)]
pub struct Splitter {
    pending: Vec<u8>,
    /// Where the next box starts in `pending`.
    at: usize,
    /// Whether a `moof` has been taken since the last piece.
    in_fragment: bool,
}

impl Splitter {
    /// Takes the next bytes; returns every piece they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Piece>, BoxError> {
        self.pending.extend_from_slice(bytes);
        let mut pieces = Vec::new();
        while let Some(b) = box_at(&self.pending, self.at)? {
            self.at = b.whole.end;
            match &b.kind {
                b"moov" => pieces.push(Piece::Init(self.take())),
                b"moof" => self.in_fragment = true,
                b"mdat" if self.in_fragment => {
                    self.in_fragment = false;
                    pieces.push(Piece::Fragment(self.take()));
                }
                // A muxer's closing index, or an mdat outside a fragment.
                b"mfra" | b"mdat" => {
                    self.take();
                }
                _ => {}
            }
        }
        if self.pending.len() > MAX_PENDING {
            return Err(BoxError::TooMuchPending);
        }
        Ok(pieces)
    }

    /// The bytes of the boxes read so far, leaving what follows.
    fn take(&mut self) -> Vec<u8> {
        let rest = self.pending.split_off(self.at);
        self.at = 0;
        std::mem::replace(&mut self.pending, rest)
    }
}

/// The box of `kind` directly inside `bytes[range]`.
fn child(bytes: &[u8], range: Range<usize>, kind: &[u8; 4]) -> Result<Option<BoxAt>, BoxError> {
    Ok(children(bytes, range)?
        .into_iter()
        .find(|b| &b.kind == kind))
}

/// Gives every track fragment of the fragment in `segment` (one `moof`
/// then its `mdat`) the base media decode time `decode_time` (`tfdt`).
pub fn set_decode_time(segment: &mut [u8], decode_time: u64) -> Result<(), BoxError> {
    let moof = child(segment, 0..segment.len(), b"moof")?.ok_or(BoxError::Missing("moof"))?;
    let mut found = false;
    for traf in children(segment, moof.body)?
        .into_iter()
        .filter(|b| &b.kind == b"traf")
    {
        let tfdt = child(segment, traf.body, b"tfdt")?.ok_or(BoxError::Missing("tfdt"))?;
        let at = tfdt.body.start;
        let version = *segment.get(at).ok_or(BoxError::BadSize)?;
        let field = if version == 1 {
            decode_time.to_be_bytes().to_vec()
        } else {
            u32::try_from(decode_time)
                .map_err(|_| BoxError::DecodeTimeTooLarge)?
                .to_be_bytes()
                .to_vec()
        };
        let end = at + 4 + field.len();
        if end > tfdt.body.end {
            return Err(BoxError::BadSize);
        }
        segment[at + 4..end].copy_from_slice(&field);
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(BoxError::Missing("traf"))
    }
}

/// Flips bits of one byte of the first slice NAL unit (H.264
/// types 1 and 5) of the sample at `sample` in `segment`, whose NAL units
/// carry `length_size`-byte lengths. The byte picked and its new value are
/// neither zero nor 1–3, so no start code or emulation-prevention sequence
/// appears or goes: the unit still parses and its content keeps its length,
/// only its bytes differ (a verifier says `bad-signature`). Returns where
/// the flipped byte is.
pub fn tamper_slice(
    segment: &mut [u8],
    sample: Range<usize>,
    length_size: usize,
    pick: u64,
) -> Result<usize, BoxError> {
    if !matches!(length_size, 1 | 2 | 4) {
        return Err(BoxError::BadSize);
    }
    let mut at = sample.start;
    while at + length_size <= sample.end {
        let len = segment
            .get(at..at + length_size)
            .ok_or(BoxError::BadSize)?
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        let nal = at + length_size..at + length_size + len;
        if nal.end > sample.end || len == 0 {
            return Err(BoxError::BadSize);
        }
        let kind = segment[nal.start] & 0x1f;
        // Past the NAL header and the slice's first byte; short of the
        // last byte (the stop bit, and any trailing zeros, are there).
        if matches!(kind, 1 | 5) && len >= 4 {
            let body = nal.start + 2..nal.end - 1;
            let span = (body.end - body.start) as u64;
            let safe = |b: u8| b > 3;
            for step in 0..span {
                let i = body.start + ((pick + step) % span) as usize;
                let (prev, byte, next) = (segment[i - 1], segment[i], segment[i + 1]);
                let flipped = byte ^ 0x50;
                if safe(byte) && safe(flipped) && prev != 0 && next != 0 {
                    segment[i] = flipped;
                    return Ok(i);
                }
            }
            return Err(BoxError::NothingToTamper);
        }
        at = nal.end;
    }
    Err(BoxError::Missing("slice NAL unit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn fragment(decode_time_v1: Option<u64>) -> Vec<u8> {
        let tfdt = match decode_time_v1 {
            Some(t) => boxed(b"tfdt", &[&[1, 0, 0, 0][..], &t.to_be_bytes()].concat()),
            None => boxed(b"tfdt", &[0, 0, 0, 0, 0, 0, 0, 7]),
        };
        let traf = boxed(b"traf", &[boxed(b"tfhd", &[0; 8]), tfdt].concat());
        let moof = boxed(b"moof", &[boxed(b"mfhd", &[0; 8]), traf].concat());
        [moof, boxed(b"mdat", &[9; 5])].concat()
    }

    #[test]
    fn the_splitter_cuts_init_and_fragments_whatever_the_chunking() {
        let init = [boxed(b"ftyp", b"isom"), boxed(b"moov", &[1; 20])].concat();
        let (a, b) = (fragment(Some(1)), fragment(Some(2)));
        let stream = [init.clone(), a.clone(), b.clone(), boxed(b"mfra", &[])].concat();
        for chunk in [1, 3, 7, 64, stream.len()] {
            let mut s = Splitter::default();
            let pieces: Vec<Piece> = stream
                .chunks(chunk)
                .flat_map(|c| s.push(c).unwrap())
                .collect();
            assert_eq!(
                pieces,
                [
                    Piece::Init(init.clone()),
                    Piece::Fragment(a.clone()),
                    Piece::Fragment(b.clone())
                ],
                "chunks of {chunk}"
            );
        }
        let mut s = Splitter::default();
        assert_eq!(
            s.push(&[0, 0, 0, 4, b'f', b'r', b'e', b'e']),
            Err(BoxError::BadSize)
        );
    }

    #[test]
    fn decode_times_are_rewritten_in_both_versions() {
        let mut v1 = fragment(Some(5));
        set_decode_time(&mut v1, 1 << 40).unwrap();
        assert_eq!(v1, fragment(Some(1 << 40)));
        let mut v0 = fragment(None);
        set_decode_time(&mut v0, 0x0102_0304).unwrap();
        assert!(
            v0.windows(8)
                .any(|w| w == [b't', b'f', b'd', b't', 0, 0, 0, 0])
        );
        assert!(v0.windows(4).any(|w| w == [1, 2, 3, 4]));
        assert_eq!(
            set_decode_time(&mut v0, 1 << 33),
            Err(BoxError::DecodeTimeTooLarge)
        );
        let mut short = fragment(Some(5));
        short.truncate(20);
        assert!(set_decode_time(&mut short, 1).is_err());
    }

    #[test]
    fn tampering_flips_one_safe_byte_of_the_slice_only() {
        let sei = [&[0, 0, 0, 5][..], &[6, 5, 1, 2, 0x80]].concat();
        let slice: Vec<u8> = [0x65u8, 0x88, 0x84]
            .into_iter()
            .chain((0..40).map(|i| if i % 4 == 0 { 0 } else { 0x40 + i }))
            .collect();
        let sample = [
            sei.clone(),
            (slice.len() as u32).to_be_bytes().to_vec(),
            slice,
        ]
        .concat();
        for pick in 0..50 {
            let mut copy = sample.clone();
            let len = copy.len();
            let at = tamper_slice(&mut copy, 0..len, 4, pick).unwrap();
            assert!(at >= sei.len() + 4 + 2);
            let diff: Vec<usize> = (0..copy.len()).filter(|&i| copy[i] != sample[i]).collect();
            assert_eq!(diff, [at]);
            assert!(copy[at] > 3 && sample[at] > 3 && copy[at - 1] != 0 && copy[at + 1] != 0);
        }
        let mut no_slice = sei.clone();
        assert_eq!(
            tamper_slice(&mut no_slice, 0..sei.len(), 4, 0),
            Err(BoxError::Missing("slice NAL unit"))
        );
    }
}
