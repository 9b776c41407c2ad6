//! The deframer: frames back to back on a byte stream (an HTTP body, a file: SPEC §2),
//! fed in chunks of any size, cut into candidate frames for the
//! [`Verifier`].
//!
//! ```
//! use frameseal::deframer::{Boundaries, FrameReader};
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
//!   garbage length, so the reader searches again inside it, from its
//!   second byte: for `FSEAL`, version 1 or 2 and a plausible header. Bytes
//!   given up while searching are counted ([`ReaderStats::skipped_bytes`]).
//!   A frame the verifier dropped after the signature (stale, replayed,
//!   ...) was signed by the linked key, so its length is the camera's and
//!   the reader continues after it.
//! - **A version-2 seal is judged as soon as its 148 bytes are in**
//!   (SPEC §6.2): its signature covers content_len, so a judge that looks
//!   at seals ([`Judge::seal`], e.g. [`Verifying`]: the verifier's
//!   [`Verifier::authenticate_seal`], which changes no state) tells at
//!   once whether the claimed length is the camera's. A forged seal
//!   (`bad-signature`), a foreign one (`foreign-key`) or a malformed one is
//!   dropped right there, reported to the judge and counted
//!   ([`ReaderStats::rejected_seals`]), and the reader searches on from
//!   its second byte: a forged version-2 header never holds the stream
//!   back, not even until the next genuine frame. An authenticated seal
//!   keeps its candidate waiting for the payload, judged whole when it is
//!   in (the content hash is checked then), with the search inside it as
//!   for any candidate (a replayed genuine seal is the camera's length but
//!   not the camera's payload). A seal whose whole frame is already in the
//!   input at hand is not judged alone: the whole judgement comes in the
//!   same push and checks the seal first. Each seal judgement is paid from
//!   the re-reading budget (below); when the budget does not cover it,
//!   the candidate waits for its payload like a version-1 one. A closure
//!   passed to [`FrameReader::push`] judges no seals alone.
//! - **A length nothing vouches for holds nothing back** (SPEC §4). A
//!   header is 52 bytes, and a forged one (the linked key's id is public)
//!   or a bit flip in a genuine one can claim up to the maximum payload:
//!   waiting for all of it would hold every genuine frame behind it until
//!   they are stale. So while a candidate is incomplete, the reader goes
//!   on searching the bytes that arrive after its start for frame starts
//!   (nested candidates, which may have nested ones of their own), and
//!   judges every candidate as soon as its last byte has arrived:
//!   candidates are judged in the order they complete, not the order they
//!   start. A nested candidate whose verdict is authenticated shows that
//!   the candidates around it were not the camera's (inside a frame of the
//!   camera's there are only its bytes): the bytes before it are given up
//!   (skipped, a resync), it is delivered, and the reader goes on after
//!   it. An unauthenticated one is dropped alone; the candidates around it
//!   keep waiting. So a forged header costs only the time until the next
//!   genuine frame after it is complete, however many forged headers come
//!   in a row or inside each other. Authenticated frames still come out in
//!   stream order and never overlap. The price: a frame of the camera's
//!   whose payload holds a whole frame of the camera's is given up for
//!   that inner frame, which completes first (a camera must not nest its
//!   own frames), and a payload that happens to hold a plausible header
//!   costs one more judgement.
//! - The search inside incomplete candidates has three bounds, each
//!   enforced where it is written down in the code:
//!   - **Every byte is decided once** as a possible frame start: the
//!     search only moves forward, also when a candidate it went past is
//!     then dropped.
//!   - **At most [`PENDING_LIMIT`] (64) candidates wait at once.** When one
//!     more start is found, the oldest nested candidate is given up
//!     unjudged ([`ReaderStats::crowded`]). The candidate at the cursor
//!     and the newest starts stay: a forged header can only come before
//!     the next genuine frame, never inside its signed bytes, so that
//!     frame is always among the newest starts when it arrives.
//!   - **Judging is paid from a budget.** Every byte pushed earns one byte
//!     of re-reading, up to [`RESCAN_BUDGET_FRAMES`] (4) maximum-size
//!     frames. A nested candidate is judged only if the budget covers its
//!     length, which is paid before the judgement and paid back if the
//!     verdict is authenticated (those bytes are moved past, never judged
//!     again); otherwise it is given up unjudged
//!     ([`ReaderStats::unscanned`]). The candidate at the cursor is always
//!     judged; if it is not authenticated, its length is paid and the
//!     reader goes on with the starts nested in it, or, when the budget
//!     does not cover it, it is skipped whole with everything nested in it,
//!     as a trusted length would be ([`ReaderStats::unscanned`]). A seal
//!     judged alone pays its 148 bytes, never paid back. So the bytes
//!     handed to the judge (whole candidates and seals) stay below twice
//!     the input plus four maximum frames, whatever the input: candidates
//!     moved past whole
//!     (authenticated or skipped whole) never overlap, so they add up to
//!     at most the input, and every other judgement was paid for.
//! - At the end of the stream, [`FrameReader::finish`] gives up every
//!   incomplete candidate (its length may have been garbage); the frames
//!   nested in them were already searched for and judged as they arrived.
//!
//! What the reader does not do: it never decides whether a frame is shown
//! (the verifier does, and its state changes only on authenticated
//! frames), and it never hands over a frame out of stream order. A flood
//! that spends the whole budget or crowds the pending candidates (many
//! forged headers per genuine frame, for a long time) makes the reader give
//! candidates up unjudged again, which can cost genuine frames; both are
//! counted.
//!
//! Memory: one buffer, never larger than the largest frame the verifier
//! accepts ([`FrameReader::max_frame_len`]), grown only as bytes arrive,
//! and the list of pending candidates ([`PENDING_LIMIT`] entries, allocated
//! once); a failed allocation gives a candidate up instead of aborting
//! ([`ReaderStats::abandoned`]).

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use crate::frame::{HEADER_LEN, Header, MAGIC, OVERHEAD, SEAL_LEN, Version};
use crate::verify::{Accepted, DropReason, Verifier};

/// How many maximum-size frames of re-reading the budget holds at most.
pub const RESCAN_BUDGET_FRAMES: u64 = 4;

/// How many incomplete candidates the reader keeps at most: the one at the
/// cursor and the frame starts found inside it (see the module docs). 64
/// is far more than a stream needs (one, or a few forged headers before a
/// genuine frame) and costs 1 KiB.
pub const PENDING_LIMIT: usize = 64;

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

/// The seal of a version-2 candidate whose payload has not all arrived,
/// handed to [`Judge::seal`] so a forged or foreign one is dropped at once
/// instead of being waited for.
#[derive(Clone, Copy, Debug)]
pub struct SealCandidate<'a> {
    /// The seal's 148 bytes, borrowed from the reader's buffer.
    pub seal: &'a [u8],
    /// The length of the whole frame the seal claims (148 + content_len).
    pub frame_len: usize,
    /// Where the frame starts in the stream (as [`Candidate::offset`]).
    pub offset: u64,
}

/// What the reader asks about its candidates: a whole candidate's
/// verdict, and, for a version-2 candidate still incomplete, its seal's.
/// A closure `FnMut(Candidate) -> Boundaries` is a judge through
/// [`FrameReader::push`]; it judges no seals alone.
pub trait Judge {
    /// Verifies a whole candidate and says what the verdict vouches for
    /// ([`Boundaries::of`]).
    fn frame(&mut self, candidate: Candidate<'_>) -> Boundaries;

    /// Judges a version-2 candidate by its seal before its payload has
    /// arrived: layout, key id and the seal's signature, which covers the
    /// claimed length ([`Verifier::authenticate_seal`]). `Unauthenticated`
    /// drops the candidate now (the reader searches on from its second
    /// byte); `Authenticated` keeps it waiting for its payload, to be
    /// judged whole by [`Judge::frame`]; `None` (the default) means this
    /// judge does not look at seals alone. It must change nothing a
    /// verdict depends on.
    fn seal(&mut self, seal: SealCandidate<'_>) -> Option<Boundaries> {
        let _ = seal;
        None
    }
}

/// A closure judging whole candidates only.
struct FrameJudge<F>(F);

impl<F> Judge for FrameJudge<F>
where
    F: FnMut(Candidate<'_>) -> Boundaries,
{
    fn frame(&mut self, candidate: Candidate<'_>) -> Boundaries {
        (self.0)(candidate)
    }
}

/// A [`Judge`] that verifies with a [`Verifier`] at one instant: whole
/// candidates with [`Verifier::verify`], version-2 seals alone with
/// [`Verifier::authenticate_seal`] (which changes no state). Every verdict,
/// also a seal's drop, goes to `then` with the candidate's offset.
pub struct Verifying<'v, F> {
    /// The display's verifier.
    pub verifier: &'v mut Verifier,
    /// The instant the verdicts are given at (µs since the Unix epoch).
    pub now_us: i64,
    /// Called with each verdict.
    pub then: F,
}

impl<F> Judge for Verifying<'_, F>
where
    F: FnMut(u64, Result<Accepted<'_>, DropReason>),
{
    fn frame(&mut self, candidate: Candidate<'_>) -> Boundaries {
        let verdict = self.verifier.verify(candidate.bytes, self.now_us);
        let boundaries = Boundaries::of(&verdict);
        (self.then)(candidate.offset, verdict);
        boundaries
    }

    fn seal(&mut self, seal: SealCandidate<'_>) -> Option<Boundaries> {
        match self.verifier.authenticate_seal(seal.seal, seal.frame_len) {
            Ok(_) => Some(Boundaries::Authenticated),
            Err(reason) => {
                (self.then)(seal.offset, Err(reason));
                Some(Boundaries::Unauthenticated)
            }
        }
    }
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
            | DropReason::Unsigned
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
    /// Candidates judged: handed whole to the judge, or dropped by their
    /// seal alone ([`ReaderStats::rejected_seals`]).
    pub frames: u64,
    /// Of the frames: version-2 candidates dropped by their seal alone,
    /// before their payload arrived (a forged or foreign seal).
    pub rejected_seals: u64,
    /// Bytes of candidates the reader moved past whole (authenticated, or
    /// skipped whole when the budget was spent).
    pub frame_bytes: u64,
    /// Bytes given up while searching for a frame start: garbage, the
    /// bytes of unauthenticated candidates, of candidates given up because
    /// a frame nested in them was authenticated, and truncated frames.
    pub skipped_bytes: u64,
    /// How often the reader lost the frame boundaries and started searching.
    pub resyncs: u64,
    /// Candidates the re-reading budget did not cover: an unauthenticated
    /// candidate skipped whole, or a nested candidate given up unjudged.
    pub unscanned: u64,
    /// Candidates given up before they were complete: at the end of the
    /// stream, because their buffer could not be allocated, or crowded out
    /// of the pending list.
    pub abandoned: u64,
    /// Of the abandoned: nested candidates given up unjudged because
    /// [`PENDING_LIMIT`] candidates were pending.
    pub crowded: u64,
}

/// What the bytes at the cursor are, as far as they go.
enum Head {
    /// A plausible frame start; the frame is this long, and starts with a
    /// version-2 seal when `sealed`.
    Frame { len: usize, sealed: bool },
    /// Cannot start an acceptable frame.
    NotAFrame,
    /// Could still start one: more bytes are needed.
    NeedMore,
}

/// Judges the bytes at the cursor with the verifier's layout rules.
fn judge_head(bytes: &[u8], max_payload: u32) -> Head {
    let n = bytes.len().min(MAGIC.len());
    if bytes.get(..n) != MAGIC.get(..n) {
        return Head::NotAFrame;
    }
    let version = match bytes.get(MAGIC.len()) {
        None => return Head::NeedMore,
        Some(&byte) => match Version::from_byte(byte) {
            Some(version) => version,
            None => return Head::NotAFrame,
        },
    };
    let Some(head) = bytes.first_chunk::<HEADER_LEN>() else {
        return Head::NeedMore;
    };
    let Some(len_field) = head.last_chunk::<4>() else {
        return Head::NotAFrame;
    };
    let payload_len = u32::from_be_bytes(*len_field);
    // Above usize (a 32-bit target): no such frame can be held anyway.
    let Ok(frame_len) = usize::try_from(version.overhead() as u64 + u64::from(payload_len)) else {
        return Head::NotAFrame;
    };
    match Header::parse(head, frame_len, max_payload) {
        Ok(_) => Head::Frame {
            len: frame_len,
            sealed: version == Version::Sealed,
        },
        Err(_) => Head::NotAFrame,
    }
}

/// An incomplete candidate: a plausible header whose frame has not all
/// arrived yet.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// Stream offset of its first byte.
    start: u64,
    /// Its length, from its header: at most the maximum frame.
    len: usize,
    /// A version-2 frame whose seal is still to be judged alone.
    seal_due: bool,
}

impl Pending {
    fn end(&self) -> u64 {
        self.start + self.len as u64
    }

    /// Where its seal ends, while the seal is still to be judged.
    fn seal_end(&self) -> Option<u64> {
        self.seal_due.then(|| self.start + SEAL_LEN as u64)
    }

    /// The next point where something about it is due: its seal, then its end.
    fn due(&self) -> u64 {
        self.seal_end().unwrap_or(self.end())
    }
}

/// Cuts a byte stream into candidate frames; see the module docs.
#[derive(Clone, Debug)]
pub struct FrameReader {
    max_payload: u32,
    /// `buf[start..]` are the bytes from the cursor on: never more than
    /// the candidate at the cursor needs, or a header when there is none.
    buf: Vec<u8>,
    start: usize,
    /// Stream offset of `buf[start]`.
    cursor: u64,
    /// The incomplete candidates, by start: the first one starts at the
    /// cursor, the others inside it. The bytes held never reach past the
    /// end of any of them (the smallest end is where the next judgement
    /// is due). At most [`PENDING_LIMIT`] entries.
    pending: Vec<Pending>,
    /// Stream offset of the first byte not yet examined as a frame start
    /// (at or after the cursor, at most the end of the bytes held). The
    /// bytes from the cursor to here that do not start a pending candidate
    /// cannot start a frame; with nothing pending, the cursor is here.
    scan: u64,
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
            pending: Vec::new(),
            scan: 0,
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

    /// The longest candidate this reader hands over, and the most it
    /// buffers: the maximum payload behind a version-2 seal, the larger of
    /// the two overheads.
    pub fn max_frame_len(&self) -> u64 {
        OVERHEAD.max(SEAL_LEN) as u64 + u64::from(self.max_payload)
    }

    /// Counts since construction.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// Bytes held, waiting for the rest of a candidate.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The capacity of the buffer: what the reader's memory is (besides
    /// the fixed list of pending candidates).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn budget_cap(&self) -> u64 {
        RESCAN_BUDGET_FRAMES.saturating_mul(self.max_frame_len())
    }

    /// Stream offset just past the bytes held.
    fn held_end(&self) -> u64 {
        self.cursor + self.buffered() as u64
    }

    /// The bytes held from stream offset `at` (at or after the cursor) on.
    fn held_from(&self, at: u64) -> &[u8] {
        let from = usize::try_from(at - self.cursor).unwrap_or(usize::MAX);
        self.buf
            .get(self.start.saturating_add(from)..)
            .unwrap_or_default()
    }

    /// Feeds the next `chunk` of the stream (any size, even empty). Each
    /// candidate completed by it is passed to `judge` as soon as its last
    /// byte is in, so candidates are judged in the order they complete (an
    /// unauthenticated candidate nested in a longer one comes before it);
    /// authenticated frames come out in stream order. `judge` verifies the
    /// candidate and returns what the verdict says about its boundaries
    /// ([`Boundaries::of`]).
    pub fn push<F>(&mut self, chunk: &[u8], judge: F)
    where
        F: FnMut(Candidate<'_>) -> Boundaries,
    {
        self.push_to(chunk, &mut FrameJudge(judge));
    }

    /// [`FrameReader::push`] with a [`Judge`], which may also judge a
    /// version-2 candidate by its seal as soon as the seal's 148 bytes are
    /// in, so a forged or foreign one is dropped at once (module docs).
    pub fn push_to<J>(&mut self, chunk: &[u8], judge: &mut J)
    where
        J: Judge + ?Sized,
    {
        let earned = chunk.len() as u64;
        self.stats.input_bytes += earned;
        self.budget = self.budget.saturating_add(earned).min(self.budget_cap());
        self.read(chunk, false, judge);
    }

    /// Ends the stream: every incomplete candidate is given up (the frames
    /// nested in them were judged as they completed), and whatever is left
    /// is skipped. The reader is then empty, and the next push starts a
    /// new stream at offset 0.
    pub fn finish<F>(&mut self, judge: F)
    where
        F: FnMut(Candidate<'_>) -> Boundaries,
    {
        self.finish_to(&mut FrameJudge(judge));
    }

    /// [`FrameReader::finish`] with a [`Judge`].
    pub fn finish_to<J>(&mut self, judge: &mut J)
    where
        J: Judge + ?Sized,
    {
        self.read(&[], true, judge);
        self.buf.clear();
        self.start = 0;
        self.cursor = 0;
        self.pending.clear();
        self.scan = 0;
        self.searching = false;
    }

    /// Takes `input` in, judging every candidate as it completes. With
    /// `at_end`, no more input will come: incomplete candidates and partial
    /// headers are given up instead of waited for.
    fn read<J>(&mut self, mut input: &[u8], at_end: bool, judge: &mut J)
    where
        J: Judge + ?Sized,
    {
        loop {
            self.search();
            if let Some(i) = self.first_complete() {
                self.judge_pending(i, judge);
                continue;
            }
            // At the end, incomplete candidates are given up unjudged.
            if !at_end && let Some(i) = self.first_seal_in() {
                self.judge_seal(i, input.len(), judge);
                continue;
            }
            if input.is_empty() {
                if !at_end {
                    return;
                }
                if !self.pending.is_empty() {
                    // Incomplete at the end: its length cannot be checked.
                    self.abandon_first();
                } else if self.buffered() > 0 {
                    // A header cut short: not a frame start after all.
                    self.give_up_byte();
                } else {
                    return;
                }
                continue;
            }
            if self.pending.is_empty() && self.buffered() == 0 {
                // Nothing held: bytes before the next 'F' cannot start a
                // frame and are skipped without being buffered.
                let garbage = input
                    .iter()
                    .position(|&b| b == MAGIC[0])
                    .unwrap_or(input.len());
                if garbage > 0 {
                    self.skip_input(&mut input, garbage);
                    continue;
                }
            }
            // Take bytes up to the next point where something is due: the
            // end of the first pending candidate to complete (or of a seal
            // to judge alone), or, with none pending, a header's worth from
            // the search position. This is what keeps the buffer within one
            // candidate (at most the maximum frame) or one header.
            let due = match self.pending.iter().map(Pending::due).min() {
                Some(end) => end,
                None => self.scan + HEADER_LEN as u64,
            };
            let room = usize::try_from(due - self.held_end()).unwrap_or(usize::MAX);
            let (now, rest) = input.split_at(room.min(input.len()));
            if self.append(now).is_ok() {
                input = rest;
            } else if !self.pending.is_empty() {
                // No memory for the candidate at the cursor: its length
                // cannot be checked.
                self.abandon_first();
            } else if self.buffered() > 0 {
                // Not even a header to spare: give a byte up instead of
                // spinning.
                self.give_up_byte();
            } else {
                self.skip_input(&mut input, 1);
            }
        }
    }

    /// Gives up the candidate at the cursor unjudged (its length cannot be
    /// checked), and goes on with what is nested in it.
    fn abandon_first(&mut self) {
        self.pending.remove(0);
        self.stats.abandoned += 1;
        self.settle();
    }

    /// Gives up the byte at the cursor while searching.
    fn give_up_byte(&mut self) {
        self.skip(1);
        self.scan = self.scan.max(self.cursor);
    }

    /// Examines the held bytes from the search position on as frame
    /// starts, each exactly once (the search position only moves forward:
    /// no byte is examined twice, whatever is dropped later), recording
    /// every plausible header as a pending candidate. Stops at a partial
    /// header, which needs more bytes.
    fn search(&mut self) {
        loop {
            let held = self.held_from(self.scan);
            let Some(to_f) = held.iter().position(|&b| b == MAGIC[0]) else {
                self.scan += held.len() as u64;
                break;
            };
            self.scan += to_f as u64;
            match judge_head(self.held_from(self.scan), self.max_payload) {
                Head::NeedMore => break,
                Head::NotAFrame => self.scan += 1,
                Head::Frame { len, sealed } => {
                    self.add_pending(Pending {
                        start: self.scan,
                        len,
                        // A seal that is the whole frame is judged whole.
                        seal_due: sealed && len > SEAL_LEN,
                    });
                    self.scan += 1;
                }
            }
        }
        self.settle();
    }

    /// Records a frame start found by the search.
    fn add_pending(&mut self, found: Pending) {
        // The pending-list bound (module docs): at most PENDING_LIMIT
        // candidates. When it is full, the oldest nested one goes unjudged;
        // the one at the cursor (index 0) and the newest starts stay.
        if self.pending.len() >= PENDING_LIMIT {
            if self.pending.len() > 1 {
                self.pending.remove(1);
            }
            self.stats.abandoned += 1;
            self.stats.crowded += 1;
        }
        // Allocated once, whole, so a stream never allocates for it again.
        if self.pending.capacity() == 0 && self.pending.try_reserve_exact(PENDING_LIMIT).is_err() {
            // No memory even for this list: the start is given up.
            self.stats.abandoned += 1;
            return;
        }
        if self.pending.len() < self.pending.capacity() {
            self.pending.push(found);
        } else {
            self.stats.abandoned += 1;
        }
    }

    /// The pending candidate to judge next: the one that completed first
    /// (the smallest end within the bytes held; at the same end, the one
    /// that starts first), if any is complete.
    fn first_complete(&self) -> Option<usize> {
        let held_end = self.held_end();
        let mut first: Option<(usize, u64)> = None;
        for (i, p) in self.pending.iter().enumerate() {
            let end = p.end();
            if end <= held_end && first.is_none_or(|(_, e)| end < e) {
                first = Some((i, end));
            }
        }
        first.map(|(i, _)| i)
    }

    /// The pending candidate whose seal is in and still to be judged alone.
    fn first_seal_in(&self) -> Option<usize> {
        let held_end = self.held_end();
        self.pending
            .iter()
            .position(|p| p.seal_end().is_some_and(|end| end <= held_end))
    }

    /// Judges the seal of the pending candidate at index `i` alone (module
    /// docs), `remaining` bytes of input still at hand: no state changes
    /// before the judge says the seal is the linked key's.
    fn judge_seal<J>(&mut self, i: usize, remaining: usize, judge: &mut J)
    where
        J: Judge + ?Sized,
    {
        let Some(p) = self.pending.get_mut(i) else {
            return;
        };
        p.seal_due = false;
        let p = *p;
        // Complete with the input at hand: judged whole in this push, which
        // checks the seal first anyway (one signature check, not two).
        if p.end() <= self.held_end() + remaining as u64 {
            return;
        }
        // The budget bound (module docs): a seal's 148 bytes are paid for
        // like any other judgement; without the budget the candidate waits
        // for its payload, as a version-1 one does.
        let cost = SEAL_LEN as u64;
        if self.budget < cost {
            return;
        }
        self.budget -= cost;
        let seal = self.held_from(p.start).get(..SEAL_LEN).unwrap_or_default();
        let verdict = judge.seal(SealCandidate {
            seal,
            frame_len: p.len,
            offset: p.start,
        });
        match verdict {
            // Not judged: nothing was read.
            None => self.budget = self.budget.saturating_add(cost).min(self.budget_cap()),
            Some(Boundaries::Authenticated) => {}
            Some(Boundaries::Unauthenticated) => {
                self.stats.frames += 1;
                self.stats.rejected_seals += 1;
                self.pending.remove(i);
                if i == 0 {
                    // Go on with the starts found inside it.
                    self.settle();
                }
            }
        }
    }

    /// Judges the complete pending candidate at index `i` and acts on the
    /// verdict (module docs).
    fn judge_pending<J>(&mut self, i: usize, judge: &mut J)
    where
        J: Judge + ?Sized,
    {
        let Some(&p) = self.pending.get(i) else {
            return;
        };
        let len = p.len as u64;
        let at_cursor = i == 0;
        if !at_cursor {
            // The budget bound (module docs): a nested candidate's bytes are
            // also the candidates' around it, so judging it is re-reading,
            // paid before it is done; without the budget it goes unjudged.
            if self.budget < len {
                self.pending.remove(i);
                self.stats.unscanned += 1;
                return;
            }
            self.budget -= len;
        }
        let bytes = self.held_from(p.start).get(..p.len).unwrap_or_default();
        let verdict = judge.frame(Candidate {
            bytes,
            offset: p.start,
        });
        self.stats.frames += 1;
        match verdict {
            Boundaries::Authenticated => {
                if !at_cursor {
                    // Moved past, never judged again: paid back.
                    self.budget = self.budget.saturating_add(len).min(self.budget_cap());
                }
                // The candidates around it and everything before it are
                // given up; the ones nested in it go with it.
                self.pending.retain(|q| q.start >= p.end());
                if p.start > self.cursor {
                    self.skip((p.start - self.cursor) as usize);
                }
                self.consume(p.len);
            }
            Boundaries::Unauthenticated if !at_cursor => {
                self.pending.remove(i);
            }
            Boundaries::Unauthenticated if self.budget >= len => {
                // Go on with the starts found inside it: paid from the
                // budget (module docs).
                self.budget -= len;
                self.pending.remove(0);
                self.settle();
            }
            Boundaries::Unauthenticated => {
                // The budget does not cover it: skipped whole, with the
                // starts nested in it.
                self.stats.unscanned += 1;
                self.pending.retain(|q| q.start >= p.end());
                self.consume(p.len);
            }
        }
    }

    /// Moves the cursor to the first pending candidate, or to the search
    /// position when none is pending: the bytes before it were examined
    /// and start no frame, so they are given up.
    fn settle(&mut self) {
        self.scan = self.scan.max(self.cursor);
        let to = self.pending.first().map_or(self.scan, |p| p.start);
        if to > self.cursor {
            self.skip((to - self.cursor) as usize);
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
            let limit = self.pending.first().map_or(HEADER_LEN, |p| p.len).max(need);
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
        self.settle();
    }

    /// Gives up `n` held bytes while searching.
    fn skip(&mut self, n: usize) {
        self.lose_sync();
        self.advance(n);
        self.stats.skipped_bytes += n as u64;
    }

    /// Gives up the first `n` bytes of `input`, with nothing held.
    fn skip_input(&mut self, input: &mut &[u8], n: usize) {
        self.lose_sync();
        self.cursor += n as u64;
        self.scan = self.cursor;
        self.stats.skipped_bytes += n as u64;
        *input = input.get(n..).unwrap_or_default();
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
mod tests;
