//! Frames back to back on a byte stream (an HTTP body, a file: SPEC §2),
//! fed in chunks of any size, cut into candidate frames for the
//! [`Verifier`](crate::Verifier).
//!
//! ```
//! use frameseal::reader::{Boundaries, FrameReader};
//! use frameseal::{FrameSpec, LinkedKey, Policy, Signer, Verifier};
//!
//! let mut camera = Signer::from_secret(&[7; 32], [1; 16]);
//! let key = LinkedKey::from_bytes(camera.public_key()).expect("a valid key");
//! let mut verifier = Verifier::new(key, Policy::default()).expect("a valid policy");
//! let mut reader = FrameReader::for_verifier(&verifier);
//!
//! let now_us = 1_700_000_000_000_000;
//! let mut body = camera.sign_frame(b"one", &FrameSpec::at(now_us)).expect("signable");
//! body.extend(camera.sign_frame(b"two", &FrameSpec::at(now_us)).expect("signable"));
//!
//! let mut shown = Vec::new();
//! for chunk in body.chunks(5) {
//!     reader.push(chunk, |frame| {
//!         let verdict = verifier.verify(frame.bytes, now_us as i64);
//!         if let Ok(ok) = &verdict {
//!             shown.push(ok.payload.to_vec());
//!         }
//!         Boundaries::of(&verdict)
//!     });
//! }
//! assert_eq!(shown, [b"one".to_vec(), b"two".to_vec()]);
//! ```
//!
//! How the reader cuts the stream:
//! - It reads 52 bytes and judges them as a header with the same layout
//!   rules as the verifier ([`Header::parse`]), including the maximum
//!   payload: a header that could not start an acceptable frame is not
//!   buffered beyond its first 52 bytes, whatever length it claims. Such a
//!   frame (one above the maximum payload, of another version, with an
//!   unknown codec) never reaches the verifier: its bytes are searched like
//!   garbage and counted as skipped, not as a `too-large` drop.
//! - A plausible header names the frame's length; the reader collects that
//!   many bytes (never more, and only as they arrive: a header claiming a
//!   gigabyte that is followed by 100 bytes costs 152 bytes of buffer) and
//!   hands the candidate to a `judge` closure, which verifies it and tells
//!   the reader whether the verdict vouches for the boundaries
//!   ([`Boundaries::of`]).
//! - **Only an authenticated frame moves the reader past its declared
//!   length.** A candidate whose signature was not checked or did not
//!   verify (`foreign-key`, `bad-signature`, layout drops) may have a
//!   garbage length, so the reader gives up its first byte and searches
//!   again from the next one: for `FSEAL`, version 1 and a plausible
//!   header. Bytes given up while searching are counted
//!   ([`ReaderStats::skipped_bytes`]). A frame the verifier dropped after
//!   the signature (stale, replayed, ...) was signed by the linked key, so
//!   its length is the camera's and the reader continues after it.
//! - Searching again inside a candidate re-reads its bytes, and a forged
//!   stream could nest plausible headers to make every byte be re-read by
//!   many candidates. The reader has a budget for this: every byte pushed
//!   earns one byte of re-reading, up to four maximum-size frames, and an
//!   unauthenticated candidate is searched again only if the budget covers
//!   its length; otherwise it is skipped whole, as a trusted length would
//!   be ([`ReaderStats::unscanned`]). So the bytes handed to `judge` stay
//!   below three times the input plus four maximum frames, whatever the
//!   input.
//! - At the end of the stream, [`FrameReader::finish`] gives up an
//!   incomplete candidate (its length may have been garbage) and searches
//!   the bytes it held, so a corrupted length near the end does not hide
//!   the frames behind it.
//!
//! What the reader does not do: it never decides whether a frame is shown
//! (the verifier does), and it keeps frames in order, so frames behind a
//! plausible header with a garbage length wait until that length has
//! arrived (at most the maximum frame) or the stream ends.
//!
//! Memory: one buffer, never larger than the largest frame the verifier
//! accepts ([`FrameReader::max_frame_len`]), grown only as bytes arrive;
//! a failed allocation gives the candidate up instead of aborting
//! ([`ReaderStats::abandoned`]).

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use crate::frame::{HEADER_LEN, Header, MAGIC, OVERHEAD, VERSION};
use crate::verify::{DropReason, Verifier};

/// How many maximum-size frames of re-reading the budget holds at most.
const RESCAN_BUDGET_FRAMES: u64 = 4;

/// One candidate frame, handed to the `judge` of [`FrameReader::push`].
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The whole candidate: a plausible header and the length it declares.
    /// Borrowed from the reader's buffer, valid only during the call.
    pub bytes: &'a [u8],
    /// Where it starts in the stream, counted from the first byte pushed
    /// (or the first byte after the last [`FrameReader::finish`]).
    pub offset: u64,
}

/// What a verdict says about a candidate's boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundaries {
    /// The linked key signed these exact bytes, length field included: the
    /// next frame starts right after them.
    Authenticated,
    /// Nothing vouches for the length: search again from the next byte.
    Unauthenticated,
}

impl Boundaries {
    /// The boundaries a verifier's verdict vouches for: an accepted frame,
    /// or a frame dropped after its signature verified, is authenticated.
    pub fn of<T>(verdict: &Result<T, DropReason>) -> Boundaries {
        match verdict {
            Ok(_) => Boundaries::Authenticated,
            Err(reason) => Boundaries::after_drop(*reason),
        }
    }

    /// The boundaries after a drop for `reason`.
    pub fn after_drop(reason: DropReason) -> Boundaries {
        match reason {
            // Dropped before or at the signature check.
            DropReason::Malformed
            | DropReason::UnsupportedVersion
            | DropReason::TooLarge
            | DropReason::ForeignKey
            | DropReason::BadSignature => Boundaries::Unauthenticated,
            // Dropped after the signature verified: the camera made these bytes.
            DropReason::WrongStream
            | DropReason::Stale
            | DropReason::Future
            | DropReason::Replayed
            | DropReason::BadRotation => Boundaries::Authenticated,
        }
    }
}

/// Counts since the reader was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReaderStats {
    /// Bytes pushed.
    pub input_bytes: u64,
    /// Candidates handed to the judge.
    pub frames: u64,
    /// Bytes of candidates the reader moved past whole (authenticated, or
    /// skipped whole when the budget was spent).
    pub frame_bytes: u64,
    /// Bytes given up while searching for a frame start: garbage, the
    /// bytes of unauthenticated candidates, and truncated frames.
    pub skipped_bytes: u64,
    /// How often the reader lost the frame boundaries and started searching.
    pub resyncs: u64,
    /// Unauthenticated candidates skipped whole because the re-reading
    /// budget did not cover them.
    pub unscanned: u64,
    /// Candidates given up before they were complete: at the end of the
    /// stream, or because their buffer could not be allocated.
    pub abandoned: u64,
}

/// What the bytes at the cursor are, as far as they go.
enum Head {
    /// A plausible frame start; the frame is this long.
    Frame(usize),
    /// Cannot start an acceptable frame.
    NotAFrame,
    /// Could still start one: more bytes are needed.
    NeedMore,
}

/// Judges the bytes at the cursor with the verifier's layout rules.
fn judge_head(bytes: &[u8], max_payload: u32) -> Head {
    const START: [u8; 6] = [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], MAGIC[4], VERSION];
    let n = bytes.len().min(START.len());
    if bytes.get(..n) != START.get(..n) {
        return Head::NotAFrame;
    }
    let Some(head) = bytes.first_chunk::<HEADER_LEN>() else {
        return Head::NeedMore;
    };
    let Some(len_field) = head.last_chunk::<4>() else {
        return Head::NotAFrame;
    };
    let payload_len = u32::from_be_bytes(*len_field);
    // Above usize (a 32-bit target): no such frame can be held anyway.
    let Ok(frame_len) = usize::try_from(OVERHEAD as u64 + u64::from(payload_len)) else {
        return Head::NotAFrame;
    };
    match Header::parse(head, frame_len, max_payload) {
        Ok(_) => Head::Frame(frame_len),
        Err(_) => Head::NotAFrame,
    }
}

/// Cuts a byte stream into candidate frames; see the module docs.
#[derive(Clone, Debug)]
pub struct FrameReader {
    max_payload: u32,
    /// `buf[start..]` are the bytes from the cursor on, never more than
    /// the candidate at the cursor needs.
    buf: Vec<u8>,
    start: usize,
    /// Stream offset of `buf[start]`.
    cursor: u64,
    /// Length of the candidate at the cursor, once its header was judged.
    want: Option<usize>,
    /// Searching for a frame start since the last resync began.
    searching: bool,
    /// Bytes of re-reading left (see the module docs).
    budget: u64,
    stats: ReaderStats,
}

impl FrameReader {
    /// A reader for frames whose payload is at most `max_payload_bytes`
    /// (the verifier's [`Policy::max_payload_bytes`](crate::Policy)).
    pub fn new(max_payload_bytes: u32) -> FrameReader {
        let mut reader = FrameReader {
            max_payload: max_payload_bytes,
            buf: Vec::new(),
            start: 0,
            cursor: 0,
            want: None,
            searching: false,
            budget: 0,
            stats: ReaderStats::default(),
        };
        reader.budget = reader.budget_cap();
        reader
    }

    /// A reader with the maximum payload of `verifier`'s policy.
    pub fn for_verifier(verifier: &Verifier) -> FrameReader {
        FrameReader::new(verifier.policy().max_payload_bytes)
    }

    /// The longest candidate this reader hands over, and the most it buffers.
    pub fn max_frame_len(&self) -> u64 {
        OVERHEAD as u64 + u64::from(self.max_payload)
    }

    /// Counts since construction.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// Bytes held, waiting for the rest of a candidate.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The capacity of the buffer: what the reader's memory is.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn budget_cap(&self) -> u64 {
        RESCAN_BUDGET_FRAMES.saturating_mul(self.max_frame_len())
    }

    /// Feeds the next `chunk` of the stream (any size, even empty). Each
    /// candidate completed by it is passed to `judge`, in stream order;
    /// `judge` verifies it and returns what the verdict says about its
    /// boundaries ([`Boundaries::of`]).
    pub fn push<F>(&mut self, chunk: &[u8], mut judge: F)
    where
        F: FnMut(Candidate<'_>) -> Boundaries,
    {
        let earned = chunk.len() as u64;
        self.stats.input_bytes += earned;
        self.budget = self.budget.saturating_add(earned).min(self.budget_cap());
        let mut input = chunk;
        while let Some(len) = self.next_candidate(&mut input, false) {
            self.judge_candidate(len, &mut judge);
        }
    }

    /// Ends the stream: an incomplete candidate is given up, the bytes it
    /// held are searched for frames (passed to `judge` like in
    /// [`FrameReader::push`]), and whatever is left is skipped. The reader
    /// is then empty, and the next push starts a new stream at offset 0.
    pub fn finish<F>(&mut self, mut judge: F)
    where
        F: FnMut(Candidate<'_>) -> Boundaries,
    {
        let mut input: &[u8] = &[];
        while let Some(len) = self.next_candidate(&mut input, true) {
            self.judge_candidate(len, &mut judge);
        }
        self.buf.clear();
        self.start = 0;
        self.cursor = 0;
        self.want = None;
        self.searching = false;
    }

    fn judge_candidate<F>(&mut self, len: usize, judge: &mut F)
    where
        F: FnMut(Candidate<'_>) -> Boundaries,
    {
        let end = self.start + len;
        let verdict = match self.buf.get(self.start..end) {
            Some(bytes) => judge(Candidate {
                bytes,
                offset: self.cursor,
            }),
            // Unreachable: next_candidate returned a length it holds.
            None => Boundaries::Unauthenticated,
        };
        self.stats.frames += 1;
        self.want = None;
        match verdict {
            Boundaries::Authenticated => self.consume(len),
            Boundaries::Unauthenticated if self.budget >= len as u64 => {
                self.budget -= len as u64;
                self.skip_to_next_start();
            }
            Boundaries::Unauthenticated => {
                self.stats.unscanned += 1;
                self.consume(len);
            }
        }
    }

    /// Takes bytes from `input` until a candidate is complete at the cursor
    /// and returns its length, or `None` when `input` is used up. With
    /// `at_end`, no more input will come: incomplete candidates and partial
    /// headers are given up instead of waited for.
    fn next_candidate(&mut self, input: &mut &[u8], at_end: bool) -> Option<usize> {
        loop {
            let held = self.buffered();
            if let Some(want) = self.want {
                if held >= want {
                    return Some(want);
                }
                if input.is_empty() && !at_end {
                    return None;
                }
                let (now, rest) = input.split_at((want - held).min(input.len()));
                if now.is_empty() || self.append(now).is_err() {
                    // The stream ended, or there is no memory for this
                    // candidate: its length cannot be checked.
                    self.stats.abandoned += 1;
                    self.want = None;
                    self.skip_to_next_start();
                } else {
                    *input = rest;
                }
                continue;
            }
            match judge_head(
                self.buf.get(self.start..).unwrap_or_default(),
                self.max_payload,
            ) {
                Head::Frame(len) => self.want = Some(len),
                Head::NotAFrame => self.skip_to_next_start(),
                Head::NeedMore if input.is_empty() => {
                    if at_end && held > 0 {
                        self.skip(1);
                    } else {
                        return None;
                    }
                }
                Head::NeedMore if held == 0 => {
                    // Nothing held: bytes before the next 'F' cannot start
                    // a frame and are skipped without being buffered.
                    let garbage = input
                        .iter()
                        .position(|&b| b == MAGIC[0])
                        .unwrap_or(input.len());
                    if garbage > 0 {
                        self.lose_sync();
                        self.cursor += garbage as u64;
                        self.stats.skipped_bytes += garbage as u64;
                        *input = input.get(garbage..).unwrap_or_default();
                    } else {
                        self.take_header_bytes(input);
                    }
                }
                Head::NeedMore => self.take_header_bytes(input),
            }
        }
    }

    /// Moves up to a header's worth of bytes from `input` to the buffer.
    fn take_header_bytes(&mut self, input: &mut &[u8]) {
        let n = HEADER_LEN.saturating_sub(self.buffered()).min(input.len());
        let (now, rest) = input.split_at(n);
        if self.append(now).is_ok() {
            *input = rest;
        } else {
            // Not even 52 bytes to spare: give up a byte instead of spinning.
            self.lose_sync();
            self.cursor += 1;
            self.stats.skipped_bytes += 1;
            *input = input.get(1..).unwrap_or_default();
        }
    }

    /// Appends to the buffer, growing it only as far as the candidate at the
    /// cursor (or a header) needs.
    fn append(&mut self, bytes: &[u8]) -> Result<(), TryReserveError> {
        if self.start > 0 && self.buf.len() + bytes.len() > self.buf.capacity() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let need = self.buf.len() + bytes.len();
        if need > self.buf.capacity() {
            let limit = self.want.unwrap_or(HEADER_LEN).max(need);
            let target = need.max(self.buf.capacity().saturating_mul(2)).min(limit);
            self.buf.try_reserve_exact(target - self.buf.len())?;
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Moves the cursor past a whole candidate.
    fn consume(&mut self, len: usize) {
        self.advance(len);
        self.stats.frame_bytes += len as u64;
        self.searching = false;
    }

    /// Gives up `n` held bytes while searching.
    fn skip(&mut self, n: usize) {
        self.lose_sync();
        self.advance(n);
        self.stats.skipped_bytes += n as u64;
    }

    /// Gives up the byte at the cursor and every held byte before the next
    /// one that could start a frame.
    fn skip_to_next_start(&mut self) {
        let held = self.buf.get(self.start + 1..).unwrap_or_default();
        let to_next = held
            .iter()
            .position(|&b| b == MAGIC[0])
            .unwrap_or(held.len());
        self.skip(1 + to_next);
    }

    fn advance(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        self.cursor += n as u64;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    fn lose_sync(&mut self) {
        if !self.searching {
            self.searching = true;
            self.stats.resyncs += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Codec, DEFAULT_MAX_PAYLOAD};
    use crate::keys::{KeyId, LinkedKey};
    use crate::sign::{FrameSpec, Signer};
    use crate::verify::Policy;
    use alloc::vec;

    const NOW: i64 = 1_700_000_000_000_000;
    const STREAM: [u8; 16] = [0x5A; 16];

    fn camera(seed: u8) -> Signer {
        Signer::from_secret(&[seed; 32], STREAM)
    }

    fn verifier(cam: &Signer, max_payload_bytes: u32) -> Verifier {
        let policy = Policy {
            max_payload_bytes,
            ..Policy::default()
        };
        Verifier::new(LinkedKey::from_bytes(cam.public_key()).unwrap(), policy).unwrap()
    }

    fn frame(cam: &mut Signer, seq: u64, payload: &[u8]) -> Vec<u8> {
        let spec = FrameSpec {
            seq: Some(seq),
            keyframe: seq == 0,
            codec: Codec::Jpeg,
            ..FrameSpec::at(NOW as u64)
        };
        cam.sign_frame(payload, &spec).unwrap()
    }

    /// A verdict as the tests compare it: accepted seq, or the drop reason.
    type Seen = Result<u64, DropReason>;

    /// Pushes `stream` in chunks of `chunk` bytes (cycling through the
    /// sizes), finishes, and returns every verdict with its offset.
    fn run(
        reader: &mut FrameReader,
        v: &mut Verifier,
        stream: &[u8],
        chunks: &[usize],
    ) -> Vec<(u64, Seen)> {
        let mut seen = Vec::new();
        let mut judge = |c: Candidate<'_>| {
            let verdict = v.verify(c.bytes, NOW);
            let b = Boundaries::of(&verdict);
            seen.push((c.offset, verdict.map(|ok| ok.header.seq)));
            b
        };
        let mut rest = stream;
        let mut sizes = chunks.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap()).clamp(1, rest.len());
            let (now, later) = rest.split_at(n);
            reader.push(now, &mut judge);
            rest = later;
        }
        reader.finish(&mut judge);
        seen
    }

    fn accounts_balance(r: &FrameReader) {
        let s = r.stats();
        assert_eq!(
            s.input_bytes,
            s.frame_bytes + s.skipped_bytes + r.buffered() as u64,
            "{s:?}"
        );
    }

    #[test]
    fn frames_back_to_back_come_out_whole_under_any_chunking() {
        let mut cam = camera(1);
        let frames: Vec<Vec<u8>> = (0..5)
            .map(|seq| frame(&mut cam, seq, &vec![seq as u8; 10 * seq as usize]))
            .collect();
        let stream = frames.concat();
        let mut offsets = Vec::new();
        let mut at = 0u64;
        for f in &frames {
            offsets.push(at);
            at += f.len() as u64;
        }
        for chunks in [
            vec![1],
            vec![2],
            vec![5, 1],
            vec![51],
            vec![52],
            vec![53],
            vec![115, 116, 117],
            vec![stream.len()],
        ] {
            let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
            let mut r = FrameReader::for_verifier(&v);
            let seen = run(&mut r, &mut v, &stream, &chunks);
            let want: Vec<(u64, Seen)> =
                offsets.iter().zip(0..).map(|(&o, s)| (o, Ok(s))).collect();
            assert_eq!(seen, want, "chunks {chunks:?}");
            let s = r.stats();
            assert_eq!((s.frames, s.skipped_bytes, s.resyncs), (5, 0, 0));
            assert_eq!(s.frame_bytes, stream.len() as u64);
            accounts_balance(&r);
        }
    }

    #[test]
    fn garbage_between_frames_is_skipped_and_counted() {
        let mut cam = camera(1);
        let mut stream = b"HTTP/1.1 junk FSE FSEAL\x02 FSEAL\x01".to_vec();
        let garbage = stream.len() as u64;
        stream.extend(frame(&mut cam, 0, b"a"));
        stream.extend(b"\xff\x00F");
        stream.extend(frame(&mut cam, 1, b"b"));
        for chunks in [vec![1], vec![3], vec![1000]] {
            let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
            let mut r = FrameReader::for_verifier(&v);
            let seen = run(&mut r, &mut v, &stream, &chunks);
            assert_eq!(
                seen,
                [(garbage, Ok(0)), (garbage + 117 + 3, Ok(1))],
                "{chunks:?}"
            );
            assert_eq!(r.stats().skipped_bytes, garbage + 3);
            assert_eq!(r.stats().resyncs, 2);
            accounts_balance(&r);
        }
    }

    #[test]
    fn a_corrupted_length_that_swallows_the_next_frames_is_resynced() {
        let mut cam = camera(1);
        let mut hit = frame(&mut cam, 0, b"picture one");
        // The length field now claims 300 bytes more: the candidate runs
        // into the next frames and fails its signature.
        hit[48..52].copy_from_slice(&(11u32 + 300).to_be_bytes());
        let next: Vec<Vec<u8>> = (1..4)
            .map(|seq| frame(&mut cam, seq, b"picture n"))
            .collect();
        let stream = [hit.clone(), next.concat()].concat();
        for chunks in [vec![1], vec![64], vec![stream.len()]] {
            let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
            let mut r = FrameReader::for_verifier(&v);
            let seen = run(&mut r, &mut v, &stream, &chunks);
            let h = hit.len() as u64;
            assert_eq!(
                seen,
                [
                    (0, Err(DropReason::BadSignature)),
                    (h, Ok(1)),
                    (h + 125, Ok(2)),
                    (h + 250, Ok(3)),
                ],
                "{chunks:?}"
            );
            assert_eq!(r.stats().skipped_bytes, h);
            accounts_balance(&r);
        }
    }

    #[test]
    fn a_truncated_frame_followed_by_a_genuine_one_costs_only_itself() {
        let mut cam = camera(1);
        let cut = frame(&mut cam, 0, &[1; 200]);
        let whole = frame(&mut cam, 1, &[2; 200]);
        let stream = [&cut[..150], &whole[..]].concat();
        let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
        let mut r = FrameReader::for_verifier(&v);
        let seen = run(&mut r, &mut v, &stream, &[7]);
        assert_eq!(seen, [(0, Err(DropReason::BadSignature)), (150, Ok(1))]);
    }

    #[test]
    fn a_corrupted_length_near_the_end_does_not_hide_the_last_frames() {
        let mut cam = camera(1);
        let mut hit = frame(&mut cam, 0, b"x");
        hit[48..52].copy_from_slice(&100_000u32.to_be_bytes());
        let last = frame(&mut cam, 1, b"y");
        let stream = [hit, last].concat();
        let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
        let mut r = FrameReader::for_verifier(&v);
        r.push(&stream, |_| unreachable!("still waiting for 100 000 bytes"));
        assert_eq!(r.buffered(), stream.len());
        let mut seen = Vec::new();
        r.finish(|c| {
            let verdict = v.verify(c.bytes, NOW);
            seen.push((c.offset, verdict.map(|ok| ok.header.seq)));
            Boundaries::of(&verdict)
        });
        assert_eq!(seen, [(117, Ok(1))]);
        assert_eq!(r.stats().abandoned, 1);
        assert_eq!(r.stats().skipped_bytes, 117);
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn a_foreign_camera_mixed_into_the_stream_costs_none_of_ours() {
        let mut ours = camera(1);
        let mut theirs = camera(2);
        let mut stream = Vec::new();
        for seq in 0..4 {
            stream.extend(frame(&mut theirs, seq, b"a stranger's living room"));
            stream.extend(frame(&mut ours, seq, b"our door"));
        }
        let mut v = verifier(&ours, DEFAULT_MAX_PAYLOAD);
        let mut r = FrameReader::for_verifier(&v);
        let seen = run(&mut r, &mut v, &stream, &[33]);
        let verdicts: Vec<Seen> = seen.into_iter().map(|(_, s)| s).collect();
        let want: Vec<Seen> = (0..4)
            .flat_map(|seq| [Err(DropReason::ForeignKey), Ok(seq)])
            .collect();
        assert_eq!(verdicts, want);
        assert_eq!(v.stats().accepted, 4);
        // Their frames' bytes were searched, not trusted.
        assert_eq!(r.stats().skipped_bytes, 4 * (116 + 24));
        assert_eq!(r.stats().unscanned, 0);
    }

    #[test]
    fn a_frame_hidden_in_a_genuine_payload_is_not_cut_out() {
        // A genuine frame whose payload happens to hold another genuine
        // frame: the outer one is authenticated, so the reader moves past
        // it and never hands over the inner one.
        let mut cam = camera(1);
        let inner = frame(&mut cam, 5, b"inner");
        let outer = frame(&mut cam, 6, &inner);
        let replayed = outer.clone();
        let stream = [outer, replayed].concat();
        let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
        let mut r = FrameReader::for_verifier(&v);
        let seen = run(&mut r, &mut v, &stream, &[10]);
        assert_eq!(
            seen,
            [
                (0, Ok(6)),
                (stream.len() as u64 / 2, Err(DropReason::Replayed))
            ]
        );
        assert_eq!(r.stats().skipped_bytes, 0);
    }

    #[test]
    fn a_header_claiming_four_gigabytes_allocates_only_what_arrives() {
        let mut cam = camera(1);
        let mut v = verifier(&cam, u32::MAX);
        let mut r = FrameReader::for_verifier(&v);
        let mut liar = frame(&mut cam, 0, b"");
        liar[48..52].copy_from_slice(&(u32::MAX - 200).to_be_bytes());
        liar.extend([0u8; 100]);
        r.push(&liar, |c| Boundaries::of(&v.verify(c.bytes, NOW)));
        assert_eq!(r.buffered(), liar.len());
        assert!(
            r.buffer_capacity() <= 2 * liar.len(),
            "{}",
            r.buffer_capacity()
        );
        r.push(&[0; 1000], |_| unreachable!("incomplete"));
        assert!(r.buffer_capacity() <= 2 * (liar.len() + 1000));
    }

    #[test]
    fn a_length_above_the_maximum_is_skipped_after_52_bytes() {
        let mut cam = camera(1);
        let mut v = verifier(&cam, 1000);
        let mut r = FrameReader::for_verifier(&v);
        let mut liar = frame(&mut cam, 0, b"");
        liar[48..52].copy_from_slice(&(1u32 << 30).to_be_bytes());
        let good = frame(&mut cam, 1, b"ok");
        for _ in 0..1000 {
            r.push(&liar, |_| {
                unreachable!("an implausible header is never a candidate")
            });
        }
        assert_eq!(r.buffer_capacity(), HEADER_LEN);
        let seen = run(&mut r, &mut v, &good, &[1]);
        assert_eq!(seen, [(1000 * 116, Ok(1))]);
        assert_eq!(r.stats().skipped_bytes, 1000 * 116);
    }

    #[test]
    fn the_buffer_never_outgrows_the_largest_frame() {
        let mut cam = camera(1);
        let max = 4096;
        let mut v = verifier(&cam, max);
        let mut r = FrameReader::for_verifier(&v);
        let mut stream = Vec::new();
        for seq in 0..20 {
            stream.extend(frame(
                &mut cam,
                seq,
                &vec![0x46; (seq as usize * 397) % 4097],
            ));
            stream.extend(b"FSEAL\x01garbage");
        }
        for chunks in [vec![1], vec![999], vec![stream.len()]] {
            let mut peak = 0;
            let mut rest = &stream[..];
            while !rest.is_empty() {
                let n = chunks[0].min(rest.len());
                r.push(&rest[..n], |c| Boundaries::of(&v.verify(c.bytes, NOW)));
                peak = peak.max(r.buffer_capacity());
                rest = &rest[n..];
            }
            assert!(peak as u64 <= r.max_frame_len(), "{peak}");
        }
    }

    #[test]
    fn a_nest_of_forged_headers_costs_linear_work() {
        // Forged headers carrying our key id, one every 60 bytes, each
        // claiming a maximum-size frame: without a budget every byte would
        // be re-read by ~max/60 candidates.
        let cam = camera(1);
        let max = 60_000u32;
        let mut v = verifier(&cam, max);
        let mut r = FrameReader::for_verifier(&v);
        let forged = Header {
            keyframe: true,
            end_of_stream: false,
            codec: Codec::Jpeg,
            key_id: KeyId::of(cam.public_key()).0,
            stream_id: STREAM,
            seq: 1,
            timestamp_us: NOW as u64,
            payload_len: max,
        }
        .encode();
        let mut unit = forged.to_vec();
        unit.resize(60, 0);
        let stream = unit.repeat(20_000);
        let mut judged = 0u64;
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let n = 4096.min(rest.len());
            r.push(&rest[..n], |c| {
                judged += c.bytes.len() as u64;
                Boundaries::of(&v.verify(c.bytes, NOW))
            });
            rest = &rest[n..];
        }
        let input = stream.len() as u64;
        let bound = 3 * input + RESCAN_BUDGET_FRAMES * r.max_frame_len();
        assert!(judged <= bound, "{judged} > {bound}");
        assert!(r.stats().unscanned > 0);
        assert_eq!(v.stats().accepted, 0);
        accounts_balance(&r);
    }

    #[test]
    fn authenticated_drops_keep_the_boundaries() {
        for reason in [
            DropReason::WrongStream,
            DropReason::Stale,
            DropReason::Future,
            DropReason::Replayed,
            DropReason::BadRotation,
        ] {
            assert_eq!(Boundaries::after_drop(reason), Boundaries::Authenticated);
        }
        for reason in [
            DropReason::Malformed,
            DropReason::UnsupportedVersion,
            DropReason::TooLarge,
            DropReason::ForeignKey,
            DropReason::BadSignature,
        ] {
            assert_eq!(Boundaries::after_drop(reason), Boundaries::Unauthenticated);
        }
        assert_eq!(Boundaries::of::<()>(&Ok(())), Boundaries::Authenticated);
    }

    #[test]
    fn finish_starts_a_new_stream() {
        let mut cam = camera(1);
        let f = frame(&mut cam, 0, b"a");
        let mut v = verifier(&cam, DEFAULT_MAX_PAYLOAD);
        let mut r = FrameReader::for_verifier(&v);
        r.push(&f[..60], |_| unreachable!());
        r.finish(|_| unreachable!());
        assert_eq!(r.buffered(), 0);
        let seen = run(&mut r, &mut v, &f, &[1]);
        assert_eq!(seen, [(0, Ok(0))]);
    }
}
