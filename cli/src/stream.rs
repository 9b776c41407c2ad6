//! Cutting a stream file (frames back to back, SPEC §2) into frames with the
//! core's byte-stream reader, [`FrameReader`]: the same splitter a display's
//! JS `FrameReader` uses, fed the same way (64 KiB at a time), so
//! `frameseal verify` and a browser agree on the same bytes. After garbage,
//! a frame cut short, or a header whose length nothing vouches for, both
//! find the next frame and go on; neither stops at the first bad byte.
//!
//! The reader hands over candidates (a plausible header and the bytes it
//! claims), and the caller judges each one: `verify` with its verifier,
//! whose verdict says whether the length was authenticated; `inspect`, which
//! has no key, takes every length at its word. `verify` also judges a
//! version-2 candidate by its seal as soon as its 148 bytes are read, as the
//! JS reader does, so a forged seal is reported where it stands. Whatever
//! bytes no judged candidate covers are reported as gaps, each with what
//! starts it.

use std::fmt;

use std::ops::Range;

use frameseal::deframer::{Boundaries, Candidate, FrameReader, Judge, SealCandidate};
use frameseal::frame::{HEADER_LEN, Header, MAGIC, SEAL_VERSION, VERSION, Version, layout};

/// Bytes pushed into the reader at a time: what the JS `FrameReader`
/// copies into WebAssembly memory per step (`src/wasm/frame_reader.rs`).
const CHUNK: usize = 64 * 1024;

/// One candidate frame's bytes and where they start in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// Position among the judged candidates, by offset (0 for the first).
    pub index: usize,
    /// Byte offset of its first byte.
    pub offset: usize,
    /// The whole candidate, header to signature.
    pub bytes: &'a [u8],
}

/// A header's 52 bytes, read field by field at the core's offsets
/// ([`layout`]) as they are, without judging them (that is the verifier's
/// job; [`Header::parse`] refuses a header that breaks a layout rule, and
/// `inspect` shows such a header too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields([u8; HEADER_LEN]);

impl Fields {
    /// The header `bytes` start with (zeros past the end, which a
    /// candidate or a full header never has).
    pub fn of(bytes: &[u8]) -> Fields {
        let mut head = [0; HEADER_LEN];
        let n = bytes.len().min(HEADER_LEN);
        head[..n].copy_from_slice(&bytes[..n]);
        Fields(head)
    }

    /// The bytes of `field` (a [`layout`] range `N` bytes long).
    pub fn bytes<const N: usize>(&self, field: Range<usize>) -> [u8; N] {
        at(&self.0, field)
    }

    /// A one-byte field: the version, the flags or the codec byte.
    pub fn byte(&self, field: Range<usize>) -> u8 {
        let [byte] = self.bytes(field);
        byte
    }

    /// An 8-byte big-endian field: the seq or the timestamp.
    pub fn u64(&self, field: Range<usize>) -> u64 {
        u64::from_be_bytes(self.bytes(field))
    }

    /// The payload length (version 1) or content length (version 2).
    pub fn payload_len(&self) -> u32 {
        u32::from_be_bytes(self.bytes(layout::LENGTH))
    }

    /// The length of the whole frame this header claims, if its version is
    /// one this crate reads (the versions' overheads differ).
    pub fn claimed_len(&self) -> Option<u64> {
        let version = Version::from_byte(self.byte(layout::VERSION))?;
        Some(version.overhead() as u64 + u64::from(self.payload_len()))
    }
}

impl RawFrame<'_> {
    /// The frame's header fields. A candidate is at least 116 bytes long,
    /// so every field is present.
    pub fn fields(&self) -> Fields {
        Fields::of(self.bytes)
    }
}

/// The `N` bytes of `bytes` in `field` (zeros if they are not all there,
/// or if `field` is not `N` long).
fn at<const N: usize>(bytes: &[u8], field: Range<usize>) -> [u8; N] {
    bytes
        .get(field)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; N])
}

/// A run of bytes that no judged candidate covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// How many judged candidates start before it.
    pub index: usize,
    /// Byte offset of its first byte.
    pub offset: usize,
    /// Its length.
    pub len: usize,
    /// What its first bytes are.
    pub start: GapStart,
    /// Bytes from its first byte to the end of the stream.
    pub left: usize,
}

/// What a gap starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapStart {
    /// Bytes that cannot start a frame (no `FSEAL`).
    Garbage,
    /// `FSEAL` with a version this crate does not read: its layout, and so
    /// its length, is unknown.
    OtherVersion(u8),
    /// A header that breaks a layout rule, or claims more than the maximum.
    NotAFrame(frameseal::frame::FrameError),
    /// The stream ends inside this frame (or inside its header), and no
    /// frame was found after its start: it would need this many bytes.
    Truncated { needed: u64 },
    /// A plausible header claiming this many bytes, given up because no
    /// signature vouched for its length (frames were found inside it).
    Unvouched { claimed: u64 },
}

impl Gap {
    fn new(stream: &[u8], index: usize, offset: usize, end: usize, max_payload: u32) -> Gap {
        let rest = stream.get(offset..).unwrap_or_default();
        let len = end - offset;
        let start = match gap_start(rest, max_payload) {
            // Frames were found inside it: not cut short, given up.
            GapStart::Truncated { needed } if len < rest.len() && needed > HEADER_LEN as u64 => {
                GapStart::Unvouched { claimed: needed }
            }
            start => start,
        };
        Gap {
            index,
            offset,
            len,
            start,
            left: rest.len(),
        }
    }
}

/// What `rest` (a gap and the stream after it) starts with.
fn gap_start(rest: &[u8], max_payload: u32) -> GapStart {
    let n = rest.len().min(MAGIC.len());
    if rest.get(..n) != MAGIC.get(..n) {
        return GapStart::Garbage;
    }
    let version = rest
        .get(MAGIC.len())
        .map(|&v| Version::from_byte(v).ok_or(v));
    if let Some(Err(v)) = version {
        return GapStart::OtherVersion(v);
    }
    let (Some(head), Some(Ok(version))) = (rest.get(..HEADER_LEN), version) else {
        return GapStart::Truncated {
            needed: HEADER_LEN as u64,
        };
    };
    let claimed = version.overhead() as u64 + u64::from(Fields::of(head).payload_len());
    let frame_len = usize::try_from(claimed).unwrap_or(usize::MAX);
    match Header::parse(head, frame_len, max_payload) {
        Err(e) => GapStart::NotAFrame(e),
        Ok(_) if claimed > rest.len() as u64 => GapStart::Truncated { needed: claimed },
        Ok(_) => GapStart::Unvouched { claimed },
    }
}

impl fmt::Display for GapStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GapStart::Garbage => f.write_str("no frame starts there"),
            GapStart::OtherVersion(v) => {
                write!(f, "a frame of version {v}, whose length is unknown")
            }
            GapStart::NotAFrame(e) => write!(f, "a header that cannot start a frame: {e}"),
            GapStart::Truncated { needed } => {
                write!(f, "a frame cut short, which needs {needed} bytes")
            }
            GapStart::Unvouched { claimed } => write!(
                f,
                "a header claiming {claimed} bytes that no signature vouched for"
            ),
        }
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Gap {
            index,
            offset,
            len,
            left,
            ..
        } = *self;
        match self.start {
            GapStart::Truncated { needed } => write!(
                f,
                "truncated: frame {index} at byte {offset} needs {needed} bytes, only {left} left"
            ),
            GapStart::OtherVersion(v) => write!(
                f,
                "frame {index} at byte {offset} is version {v}; only versions {VERSION} and \
                 {SEAL_VERSION} can be read ({len} bytes skipped)"
            ),
            start => write!(
                f,
                "{len} bytes at byte {offset} are not part of any frame ({start})"
            ),
        }
    }
}

/// Why a stream file is not frames and nothing else: its gaps.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SplitError {
    /// The first gap.
    pub first: Gap,
    /// How many gaps there are.
    pub gaps: usize,
    /// Their bytes, in all.
    pub bytes: u64,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.gaps > 1 {
            write!(
                f,
                "; {} bytes in {} places are not part of any frame",
                self.bytes, self.gaps
            )?;
        }
        Ok(())
    }
}

/// A stream cut by the reader.
pub struct Cut<'a, T> {
    /// Every judged candidate, by offset, with what the judge returned for it.
    pub frames: Vec<(RawFrame<'a>, T)>,
    /// The bytes no judged candidate covers, by offset.
    pub gaps: Vec<Gap>,
}

impl<T> Cut<'_, T> {
    /// The gaps as an error, if there are any.
    pub fn error(&self) -> Option<SplitError> {
        let first = *self.gaps.first()?;
        Some(SplitError {
            first,
            gaps: self.gaps.len(),
            bytes: self.gaps.iter().map(|g| g.len as u64).sum(),
        })
    }
}

/// What the caller of [`cut`] says of the candidates the reader finds.
pub trait CutJudge<T> {
    /// Judges a whole candidate: what its verdict says about the
    /// boundaries ([`Boundaries::of`]), and anything to keep beside it.
    fn frame(&mut self, bytes: &[u8]) -> (Boundaries, T);

    /// Judges a version-2 candidate by its 148-byte seal before the rest
    /// has arrived (`frame_len`: the whole length the seal claims): `None`
    /// waits for the whole frame, `Some(Ok(()))` says the seal is
    /// authentic (the frame is judged whole later), `Some(Err(kept))` drops
    /// it there, kept like a frame's verdict at the seal's bytes.
    fn seal(&mut self, seal: &[u8], frame_len: usize) -> Option<Result<(), T>> {
        let _ = (seal, frame_len);
        None
    }
}

/// A closure judges whole candidates only.
impl<T, F: FnMut(&[u8]) -> (Boundaries, T)> CutJudge<T> for F {
    fn frame(&mut self, bytes: &[u8]) -> (Boundaries, T) {
        self(bytes)
    }
}

/// Cuts `stream` with a [`FrameReader`] for payloads of at most
/// `max_payload` bytes. `judge` gets each candidate as the reader completes
/// it (in that order: the verifier's state moves as it would in a display).
pub fn cut<T>(stream: &[u8], max_payload: u32, judge: impl CutJudge<T>) -> Cut<'_, T> {
    let mut reader = FrameReader::new(max_payload);
    let mut recorder = Recorder {
        judge,
        judged: Vec::new(),
    };
    for chunk in stream.chunks(CHUNK) {
        reader.push_to(chunk, &mut recorder);
    }
    reader.finish_to(&mut recorder);
    let mut judged = recorder.judged;
    // Judged in the order they completed; shown by offset (stable: equal
    // offsets cannot happen, every start is judged at most once).
    judged.sort_by_key(|(offset, ..)| *offset);
    cut_at(stream, max_payload, judged)
}

/// The deframer's judge for [`cut`]: the caller's, with every verdict
/// kept with its offset and length.
struct Recorder<J, T> {
    judge: J,
    judged: Vec<(usize, usize, T)>,
}

impl<J: CutJudge<T>, T> Judge for Recorder<J, T> {
    fn frame(&mut self, c: Candidate<'_>) -> Boundaries {
        let (boundaries, kept) = self.judge.frame(c.bytes);
        let offset = usize::try_from(c.offset).unwrap_or(usize::MAX);
        self.judged.push((offset, c.bytes.len(), kept));
        boundaries
    }

    fn seal(&mut self, seal: SealCandidate<'_>) -> Option<Boundaries> {
        match self.judge.seal(seal.seal, seal.frame_len)? {
            Ok(()) => Some(Boundaries::Authenticated),
            Err(kept) => {
                let offset = usize::try_from(seal.offset).unwrap_or(usize::MAX);
                self.judged.push((offset, seal.seal.len(), kept));
                Some(Boundaries::Unauthenticated)
            }
        }
    }
}

/// The judged candidates (by offset) as frames, and the bytes between them
/// as gaps.
fn cut_at<T>(stream: &[u8], max_payload: u32, judged: Vec<(usize, usize, T)>) -> Cut<'_, T> {
    let mut frames = Vec::with_capacity(judged.len());
    let mut gaps = Vec::new();
    let mut covered = 0usize;
    for (index, (offset, len, kept)) in judged.into_iter().enumerate() {
        if offset > covered {
            gaps.push(Gap::new(stream, index, covered, offset, max_payload));
        }
        let bytes = stream.get(offset..offset + len).unwrap_or_default();
        covered = covered.max(offset + len);
        frames.push((
            RawFrame {
                index,
                offset,
                bytes,
            },
            kept,
        ));
    }
    if stream.len() > covered {
        let index = frames.len();
        gaps.push(Gap::new(stream, index, covered, stream.len(), max_payload));
    }
    Cut { frames, gaps }
}

/// The offsets in `gap` where a whole 52-byte `FSEAL` header of a version
/// this crate reads starts (headers that could not start a frame there, or whose length
/// nothing vouched for), for `inspect` to show.
pub fn headers_in<'a>(stream: &'a [u8], gap: &Gap) -> Vec<(usize, &'a [u8])> {
    let end = gap.offset + gap.len;
    (gap.offset..end)
        .filter_map(|at| {
            let head = stream.get(at..at + HEADER_LEN)?;
            let readable = head.get(MAGIC.len()).copied().and_then(Version::from_byte);
            (head.get(..MAGIC.len()) == Some(&MAGIC[..]) && readable.is_some())
                .then_some((at, head))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::{Codec, FrameSpec, Signer};

    fn stream(payloads: &[&[u8]]) -> Vec<u8> {
        let mut camera = Signer::from_secret(&[3; 32], [4; 16]);
        let spec = FrameSpec {
            codec: Codec::Jpeg,
            ..FrameSpec::at(1)
        };
        payloads
            .iter()
            .flat_map(|p| camera.sign_frame(p, &spec).unwrap())
            .collect()
    }

    /// Every candidate's length taken at its word (what `inspect` does).
    fn trusted(bytes: &[u8]) -> Cut<'_, ()> {
        cut(bytes, u32::MAX, |_: &[u8]| (Boundaries::Authenticated, ()))
    }

    #[test]
    fn cuts_frames_back_to_back() {
        let bytes = stream(&[b"one", b"", b"three!"]);
        let got = trusted(&bytes);
        assert!(got.gaps.is_empty());
        let frames: Vec<RawFrame> = got.frames.iter().map(|(f, _)| *f).collect();
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames.iter().map(|f| f.offset).collect::<Vec<_>>(),
            [0, 119, 235]
        );
        assert_eq!(frames[2].bytes.len(), 122);
        assert_eq!(&frames[2].bytes[52..58], b"three!");
        assert_eq!(frames[1].index, 1);
    }

    #[test]
    fn version_2_frames_are_cut_by_their_own_overhead() {
        let mut camera = Signer::from_secret(&[3; 32], [4; 16]);
        let spec = FrameSpec::at(1);
        let mut bytes = camera.seal_frame(b"sealed", &spec).unwrap();
        bytes.extend(camera.sign_frame(b"signed", &spec).unwrap());
        let got = trusted(&bytes);
        assert!(got.gaps.is_empty());
        let frames: Vec<RawFrame> = got.frames.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            frames
                .iter()
                .map(|f| (f.offset, f.bytes.len()))
                .collect::<Vec<_>>(),
            [(0, 148 + 6), (154, 116 + 6)]
        );
        assert_eq!(frames[0].fields().byte(layout::VERSION), 2);
        assert_eq!(frames[0].fields().claimed_len(), Some(154));
        // Cut short, a version 2 frame needs its own overhead too.
        let mut cut_short = bytes[154..].to_vec();
        cut_short.extend_from_slice(&bytes[..100]);
        let got = trusted(&cut_short);
        assert_eq!(got.frames.len(), 1);
        assert_eq!(got.gaps[0].start, GapStart::Truncated { needed: 154 });
        assert_eq!(
            got.error().unwrap().to_string(),
            "truncated: frame 1 at byte 122 needs 154 bytes, only 100 left"
        );
    }

    #[test]
    fn fields_are_read_from_the_header() {
        let bytes = stream(&[b"one", b"two"]);
        let got = trusted(&bytes);
        let f = got.frames[1].0.fields();
        let bytes = [layout::VERSION, layout::FLAGS, layout::CODEC].map(|at| f.byte(at));
        assert_eq!(bytes, [1, 0, 1]);
        assert_eq!(f.bytes(layout::STREAM_ID), [4; 16]);
        assert_eq!(
            (
                f.u64(layout::SEQ),
                f.u64(layout::TIMESTAMP_US),
                f.payload_len()
            ),
            (1, 1, 3)
        );
        assert_eq!(
            f.bytes::<8>(layout::KEY_ID),
            frameseal::KeyId::of(Signer::from_secret(&[3; 32], [0; 16]).public_key()).0
        );
    }

    #[test]
    fn an_empty_stream_has_no_frames_and_no_gaps() {
        let got = trusted(&[]);
        assert!(got.frames.is_empty() && got.gaps.is_empty());
        assert_eq!(got.error(), None);
    }

    #[test]
    fn every_cut_inside_the_last_frame_is_truncated() {
        let bytes = stream(&[b"ab", b"cd"]);
        let second = 118;
        for cut in second + 1..bytes.len() {
            let got = trusted(&bytes[..cut]);
            assert_eq!(got.frames.len(), 1, "cut {cut}");
            let needed = if cut - second < HEADER_LEN { 52 } else { 118 };
            assert_eq!(
                got.gaps,
                [Gap {
                    index: 1,
                    offset: second,
                    len: cut - second,
                    start: GapStart::Truncated { needed },
                    left: cut - second,
                }],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_and_other_versions_are_gaps_and_the_frames_after_them_are_found() {
        let two = stream(&[b"ab", b"cd"]);
        let mut bytes = two[..118].to_vec();
        bytes.extend_from_slice(b"JUNK");
        let mut v3 = two[118..].to_vec();
        v3[layout::VERSION.start] = 3;
        bytes.extend_from_slice(&v3);
        bytes.extend_from_slice(&two[118..]);
        let got = trusted(&bytes);
        assert_eq!(
            got.frames.iter().map(|(f, _)| f.offset).collect::<Vec<_>>(),
            [0, 122 + 118]
        );
        assert_eq!(got.gaps.len(), 1);
        assert_eq!((got.gaps[0].offset, got.gaps[0].len), (118, 122));
        assert_eq!(got.gaps[0].start, GapStart::Garbage);
        assert_eq!(
            got.error().unwrap().to_string(),
            "122 bytes at byte 118 are not part of any frame (no frame starts there)"
        );
        // A stream starting with a version no reader knows.
        let got = trusted(&v3);
        assert_eq!(got.gaps[0].start, GapStart::OtherVersion(3));
        // "FSE" alone is a cut-off frame, not garbage.
        assert_eq!(
            trusted(b"FSE").gaps[0].start,
            GapStart::Truncated { needed: 52 }
        );
    }

    #[test]
    fn a_huge_declared_length_is_truncated_not_a_panic() {
        let mut bytes = stream(&[b"ab"]);
        bytes[layout::LENGTH].copy_from_slice(&u32::MAX.to_be_bytes());
        let got = trusted(&bytes);
        assert_eq!(
            got.gaps,
            [Gap {
                index: 0,
                offset: 0,
                len: 118,
                start: GapStart::Truncated {
                    needed: 116 + u64::from(u32::MAX)
                },
                left: 118,
            }]
        );
    }

    #[test]
    fn errors_say_where() {
        let e = SplitError {
            first: Gap {
                index: 5,
                offset: 900,
                len: 12,
                start: GapStart::Truncated { needed: 300 },
                left: 12,
            },
            gaps: 1,
            bytes: 12,
        };
        assert_eq!(
            e.to_string(),
            "truncated: frame 5 at byte 900 needs 300 bytes, only 12 left"
        );
    }
}
