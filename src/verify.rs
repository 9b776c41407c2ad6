//! The verification policy: which frames a display may show, and the state
//! (pinned stream, replay window, newest timestamp, linked key) that
//! decision depends on.
//!
//! Checks run in this order, and the first that fails is the drop reason
//! (SPEC §3):
//! 1. layout ([`Frame::parse`]): `malformed`, `unsupported-version`,
//!    `too-large`;
//! 2. `foreign-key`: the frame's key id is not the linked key's;
//! 3. `bad-signature`: strict Ed25519 under the linked key — the only key
//!    ever used; nothing in a frame can name another;
//! 4. `wrong-stream`: the stream policy below;
//! 5. `stale` / `future`: timestamp older than `now - max_age` or newer than
//!    `now + max_future_skew` (each check can be switched off);
//! 6. `replayed`: seq already accepted on the pinned stream, or `window` or
//!    more below the highest accepted seq;
//! 7. `bad-rotation`: a key-rotation frame that [`Verifier`] refuses.
//!
//! State changes in one step, `Verifier::commit`, reached only by a frame
//! that passed all seven checks: an unauthenticated or refused frame can
//! never move the window, pin a stream or change the key.
//!
//! Stream policy: with [`Policy::stream_id`] set, only that stream passes.
//! Otherwise the first accepted frame pins its stream; a frame of another
//! stream passes only as a KEYFRAME whose timestamp is newer than every
//! frame accepted so far (a camera restart), which re-pins and resets the
//! replay window.

use alloc::vec::Vec;
use core::fmt;

use crate::frame::{
    self, Codec, DEFAULT_MAX_PAYLOAD, Frame, FrameError, HEADER_LEN, Header, OVERHEAD,
};
use crate::keys::{LinkedKey, PreparedKey, Tables};
use crate::memory::OutOfMemory;

/// Largest replay window a verifier keeps (bits of memory per verifier).
pub const MAX_REPLAY_WINDOW: u32 = 1 << 16;

/// Why a frame was dropped. Each has a stable lower-case name for JS and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Not a well-formed v1 frame.
    Malformed,
    /// A frame of a wire-format version this verifier does not read.
    UnsupportedVersion,
    /// An in-band unit that carries no frameseal seal (SPEC §6.4).
    Unsigned,
    /// Declares a payload above the configured maximum.
    TooLarge,
    /// Claims to be signed by a key other than the linked one.
    ForeignKey,
    /// Claims the linked key, but the signature does not verify strictly.
    BadSignature,
    /// Signed by the linked key, but for another streaming session.
    WrongStream,
    /// Captured longer ago than the maximum age.
    Stale,
    /// Captured further in the future than the allowed clock skew.
    Future,
    /// Already shown, or too old for the replay window.
    Replayed,
    /// A key-rotation frame that is refused.
    BadRotation,
}

impl DropReason {
    /// Every reason, in check order.
    pub const ALL: [DropReason; 11] = [
        DropReason::Malformed,
        DropReason::UnsupportedVersion,
        DropReason::Unsigned,
        DropReason::TooLarge,
        DropReason::ForeignKey,
        DropReason::BadSignature,
        DropReason::WrongStream,
        DropReason::Stale,
        DropReason::Future,
        DropReason::Replayed,
        DropReason::BadRotation,
    ];

    /// The stable name JS sees (`"foreign-key"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::UnsupportedVersion => "unsupported-version",
            DropReason::Unsigned => "unsigned",
            DropReason::TooLarge => "too-large",
            DropReason::ForeignKey => "foreign-key",
            DropReason::BadSignature => "bad-signature",
            DropReason::WrongStream => "wrong-stream",
            DropReason::Stale => "stale",
            DropReason::Future => "future",
            DropReason::Replayed => "replayed",
            DropReason::BadRotation => "bad-rotation",
        }
    }

    /// What the reason means, in words a person watching a display
    /// understands (the demo's tables, a dashboard's tooltip).
    pub fn meaning(self) -> &'static str {
        match self {
            DropReason::Malformed => "not a frame",
            DropReason::UnsupportedVersion => "unknown format version",
            DropReason::Unsigned => "no seal in the video",
            DropReason::TooLarge => "larger than the limit",
            DropReason::ForeignKey => "signed by another camera",
            DropReason::BadSignature => "bytes changed after signing",
            DropReason::WrongStream => "this camera, another session",
            DropReason::Stale => "captured too long ago",
            DropReason::Future => "timestamp in the future",
            DropReason::Replayed => "already shown once",
            DropReason::BadRotation => "refused key rotation",
        }
    }

    /// Its position in [`DropReason::ALL`] (check order).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<FrameError> for DropReason {
    fn from(e: FrameError) -> DropReason {
        match e {
            FrameError::UnsupportedVersion(_) => DropReason::UnsupportedVersion,
            FrameError::TooLarge { .. } => DropReason::TooLarge,
            _ => DropReason::Malformed,
        }
    }
}

/// What a display accepts; fixed when the verifier is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Oldest acceptable capture time, relative to now; `None` switches the check off.
    pub max_age_us: Option<u64>,
    /// How far ahead of now a capture time may be; `None` switches the check off.
    pub max_future_skew_us: Option<u64>,
    /// How many sequence numbers up to the highest accepted one are
    /// remembered; 0 (or 1) means strictly increasing.
    pub replay_window: u32,
    /// The only stream accepted, when the viewer chose it.
    pub stream_id: Option<[u8; 16]>,
    /// Largest payload accepted.
    pub max_payload_bytes: u32,
    /// Whether key-rotation frames may replace the linked key.
    pub allow_rotation: bool,
}

impl Default for Policy {
    /// maxAge 10 s, maxFutureSkew 5 s, replay window 64, max payload 16 MiB,
    /// rotation allowed (SPEC §3).
    fn default() -> Policy {
        Policy {
            max_age_us: Some(10_000_000),
            max_future_skew_us: Some(5_000_000),
            replay_window: 64,
            stream_id: None,
            max_payload_bytes: DEFAULT_MAX_PAYLOAD,
            allow_rotation: true,
        }
    }
}

/// Why a verifier could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The replay window is above [`MAX_REPLAY_WINDOW`].
    ReplayWindowTooLarge(u32),
    /// There is no memory for the linked key's tables or the replay window.
    OutOfMemory(OutOfMemory),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ReplayWindowTooLarge(n) => {
                let max = MAX_REPLAY_WINDOW;
                write!(f, "replay window of {n} is above the maximum of {max}")
            }
            PolicyError::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for PolicyError {}

/// A version-2 seal whose signature verified under the linked key: the
/// camera's statement about a frame's content, not yet held against the
/// content ([`Verifier::authenticate_seal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticSeal {
    header: Header,
    content_hash: [u8; frame::CONTENT_HASH_LEN],
    /// The key it was authenticated under.
    key: [u8; 32],
}

impl AuthenticSeal {
    /// The seal's header (its length field: the content's length).
    pub fn header(&self) -> &Header {
        &self.header
    }
}

/// What is left to decide about a frame whose head passed
/// ([`Verifier::judge_head`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// Version 1: verify the whole frame ([`Verifier::try_verify`]).
    Envelope,
    /// Version 2: the seal verified; hash the payload and hold it to the
    /// seal ([`Verifier::try_accept_sealed`]).
    Sealed(AuthenticSeal),
}

/// A frame that passed every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted<'a> {
    /// The frame's header.
    pub header: Header,
    /// The payload, borrowed from the verified bytes.
    pub payload: &'a [u8],
    /// For an accepted key-rotation frame: the key now linked.
    pub new_public_key: Option<[u8; 32]>,
}

/// Counts of accepted frames and of drops by reason since the verifier was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames accepted.
    pub accepted: u64,
    dropped: [u64; DropReason::ALL.len()],
}

impl Stats {
    /// Frames dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// Frames dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// `(reason, count)` for every reason, in check order.
    pub fn by_reason(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.into_iter().map(|r| (r, self.dropped(r)))
    }
}

/// Sequence numbers accepted on the pinned stream: the highest, and a
/// bitmap of the `size` values up to it (bit `seq % bits`), so memory is
/// `size / 8` bytes whatever the traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ReplayWindow {
    size: u64,
    highest: Option<u64>,
    /// After a camera restart: the restart keyframe's seq. Nothing at or
    /// below it is ever usable again on this stream (SPEC §3).
    floor: Option<u64>,
    seen: Vec<u64>,
}

impl ReplayWindow {
    /// An empty window of `size` seqs; its bitmap is the only allocation.
    fn try_new(size: u32) -> Result<ReplayWindow, OutOfMemory> {
        let words = (size as usize).div_ceil(64);
        let mut seen = Vec::new();
        seen.try_reserve_exact(words).map_err(|_| OutOfMemory {
            bytes: words * core::mem::size_of::<u64>(),
        })?;
        seen.resize(words, 0);
        Ok(ReplayWindow {
            size: u64::from(size),
            highest: None,
            floor: None,
            seen,
        })
    }

    /// Starts the window afresh at a restart keyframe: `seq` is the highest
    /// accepted, and everything at or below it is refused. So a relay that
    /// switches the display between two live sessions of the camera can
    /// never make an already accepted frame acceptable again.
    fn restart_at(&mut self, seq: u64) {
        self.seen.fill(0);
        self.highest = None;
        self.floor = Some(seq);
        self.accept(seq);
    }

    fn bits(&self) -> u64 {
        self.seen.len() as u64 * 64
    }

    fn slot(&self, seq: u64) -> Option<(usize, u64)> {
        let bits = self.bits();
        (bits > 0).then(|| {
            let i = seq % bits;
            ((i / 64) as usize, 1u64 << (i % 64))
        })
    }

    fn is_seen(&self, seq: u64) -> bool {
        self.slot(seq)
            .and_then(|(word, mask)| self.seen.get(word).map(|w| w & mask != 0))
            .unwrap_or(false)
    }

    fn set(&mut self, seq: u64, on: bool) {
        if let Some((word, mask)) = self.slot(seq)
            && let Some(w) = self.seen.get_mut(word)
        {
            if on {
                *w |= mask;
            } else {
                *w &= !mask;
            }
        }
    }

    /// Whether `seq` may still be accepted.
    fn allows(&self, seq: u64) -> bool {
        if self.floor.is_some_and(|floor| seq <= floor) {
            return false;
        }
        match self.highest {
            None => true,
            Some(high) if seq > high => true,
            // In the window: `high - seq < size`; then not seen before.
            Some(high) => high - seq < self.size && !self.is_seen(seq),
        }
    }

    fn accept(&mut self, seq: u64) {
        match self.highest {
            Some(high) if seq <= high => {}
            Some(high) if seq - high < self.bits() => {
                for s in high + 1..=seq {
                    self.set(s, false);
                }
                self.highest = Some(seq);
            }
            _ => {
                self.seen.fill(0);
                self.highest = Some(seq);
            }
        }
        self.set(seq, true);
    }
}

/// Everything a verdict depends on besides the frame, the policy and the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    /// The linked key, with its precomputed tables.
    key: PreparedKey,
    pinned: Option<[u8; 16]>,
    newest_timestamp_us: Option<u64>,
    window: ReplayWindow,
}

/// How a frame's stream relates to the pinned one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamMatch {
    /// The pinned (or viewer-chosen) stream.
    Same,
    /// The first accepted frame will pin its stream.
    First,
    /// A camera restart: re-pin and start the window at this keyframe.
    Restart,
}

/// Why [`Verifier::try_verify`] could not give a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Drop(DropReason),
    OutOfMemory(OutOfMemory),
}

impl From<DropReason> for Refusal {
    fn from(reason: DropReason) -> Refusal {
        Refusal::Drop(reason)
    }
}

/// Verifies frames for one display linked to one camera key, and counts
/// every verdict.
#[derive(Clone, Debug)]
pub struct Verifier {
    policy: Policy,
    state: State,
    stats: Stats,
}

impl Verifier {
    /// A verifier trusting `key` under `policy`, with [`Tables::Fast`].
    pub fn new(key: LinkedKey, policy: Policy) -> Result<Verifier, PolicyError> {
        Verifier::with_tables(key, policy, Tables::Fast)
    }

    /// A verifier trusting `key` under `policy`, whose key tables (and
    /// those of any key it rotates to) are of kind `tables`: the same
    /// verdicts, a different speed and memory ([`Tables`]).
    pub fn with_tables(
        key: LinkedKey,
        policy: Policy,
        tables: Tables,
    ) -> Result<Verifier, PolicyError> {
        if policy.replay_window > MAX_REPLAY_WINDOW {
            return Err(PolicyError::ReplayWindowTooLarge(policy.replay_window));
        }
        Ok(Verifier {
            state: State {
                key: PreparedKey::try_with_tables(key, tables).map_err(PolicyError::OutOfMemory)?,
                pinned: policy.stream_id,
                newest_timestamp_us: None,
                window: ReplayWindow::try_new(policy.replay_window)
                    .map_err(PolicyError::OutOfMemory)?,
            },
            policy,
            stats: Stats::default(),
        })
    }

    /// The key frames are checked against now (changed only by an accepted
    /// key-rotation frame).
    pub fn linked_key(&self) -> &LinkedKey {
        self.state.key.key()
    }

    /// The kind of key tables this verifier builds.
    pub fn tables(&self) -> Tables {
        self.state.key.tables()
    }

    /// The policy this verifier was built with.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Counts since construction.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The longest byte string that could be an acceptable frame of either
    /// version (the larger overhead, a version-2 seal's, plus the maximum
    /// payload). Callers holding a longer one should not copy it: see
    /// [`Verifier::drop_oversized`].
    pub fn max_frame_len(&self) -> usize {
        OVERHEAD
            .max(frame::SEAL_LEN)
            .saturating_add(self.policy.max_payload_bytes as usize)
    }

    /// Verifies one whole frame at time `now_us` (microseconds since the
    /// Unix epoch) and, if it passes, updates the state. Aborts, like any
    /// Rust allocation, if an accepted key rotation finds no memory for the
    /// new key's tables; [`Verifier::try_verify`] returns that instead.
    pub fn verify<'a>(&mut self, bytes: &'a [u8], now_us: i64) -> Result<Accepted<'a>, DropReason> {
        match self.try_verify(bytes, now_us) {
            Ok(verdict) => verdict,
            Err(e) => alloc::alloc::handle_alloc_error(
                core::alloc::Layout::array::<u8>(e.bytes)
                    .unwrap_or(core::alloc::Layout::new::<u8>()),
            ),
        }
    }

    /// [`Verifier::verify`], except that running out of memory (only a
    /// genuine key rotation allocates: the new key's tables) is an error
    /// instead of an abort. Then nothing was counted and nothing changed:
    /// the verifier is exactly as before the call.
    pub fn try_verify<'a>(
        &mut self,
        bytes: &'a [u8],
        now_us: i64,
    ) -> Result<Result<Accepted<'a>, DropReason>, OutOfMemory> {
        let verdict = self.check(bytes, now_us);
        self.counted(verdict)
    }

    /// Judges a frame of `frame_len` bytes by its first bytes, before a
    /// caller copies or hashes the rest (`head`: the first [`frame::SEAL_LEN`]
    /// bytes, or all of a shorter frame). Layout drops and `foreign-key`
    /// are decided here, and a version-2 seal is authenticated; a drop is
    /// counted. What is left to do is the [`Head`]'s: verify the whole
    /// version-1 frame, or hash the version-2 payload for its seal.
    pub fn judge_head(&mut self, head: &[u8], frame_len: usize) -> Result<Head, DropReason> {
        if head.get(5) == Some(&frame::SEAL_VERSION) && head.starts_with(&frame::MAGIC) {
            return self.authenticate_seal(head, frame_len).map(Head::Sealed);
        }
        let head = head.get(..HEADER_LEN).unwrap_or(head);
        self.check_head(head, frame_len).map(|()| Head::Envelope)
    }

    /// Judges a frame of `frame_len` bytes by its first bytes alone
    /// (`head`: the first [`HEADER_LEN`] bytes,
    /// or all of a shorter frame), before a caller copies or hashes it:
    /// layout drops and `foreign-key` are decided here and counted. `Ok`
    /// means nothing in the head refuses the frame, and only
    /// [`Verifier::verify`] on the whole frame decides (it repeats these
    /// checks; nothing is counted twice).
    pub fn check_head(&mut self, head: &[u8], frame_len: usize) -> Result<(), DropReason> {
        let verdict = match Header::parse(head, frame_len, self.policy.max_payload_bytes) {
            Err(FrameError::TooShort { .. }) if head.len() < frame_len.min(HEADER_LEN) => Ok(()),
            Err(e) => Err(DropReason::from(e)),
            Ok(header) if header.key_id != self.linked_key().id().0 => Err(DropReason::ForeignKey),
            Ok(_) => Ok(()),
        };
        if let Err(reason) = verdict {
            self.stats.dropped[reason.index()] += 1;
        }
        verdict
    }

    /// Counts and returns the drop reason of a frame of `frame_len` bytes,
    /// longer than [`Verifier::max_frame_len`], from its first bytes alone,
    /// so a caller never has to copy or hash it.
    pub fn drop_oversized(&mut self, head: &[u8], frame_len: usize) -> DropReason {
        let reason = match Header::parse(head, frame_len, self.policy.max_payload_bytes) {
            Err(e) => DropReason::from(e),
            // Unreachable for an oversized frame; refuse all the same.
            Ok(_) => DropReason::Malformed,
        };
        self.stats.dropped[reason.index()] += 1;
        reason
    }

    fn check<'a>(&mut self, bytes: &'a [u8], now_us: i64) -> Result<Accepted<'a>, Refusal> {
        let frame = Frame::parse(bytes, self.policy.max_payload_bytes).map_err(DropReason::from)?;
        let header = *frame.header();
        self.authenticate(&header, frame.signed_bytes(), frame.signature())?;
        // Version 2: the signature vouched for the hash, checked only now
        // (a forged or foreign frame never costs a hash of its payload).
        if let Some(expected) = frame.content_hash()
            && frame::content_hash(frame.payload()) != *expected
        {
            return Err(DropReason::BadSignature.into());
        }
        self.admit(header, frame.payload(), now_us)
    }

    /// Checks 2 and 3: the linked key's id, then its strict signature over
    /// `signed` (v1: header and payload; v2: the seal's first 84 bytes).
    fn authenticate(
        &self,
        header: &Header,
        signed: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), DropReason> {
        if header.key_id != self.linked_key().id().0 {
            return Err(DropReason::ForeignKey);
        }
        self.state
            .key
            .verify_strict(signed, signature)
            .map_err(|_| DropReason::BadSignature)
    }

    /// Checks 4 to 7 for an authenticated frame, then the one state change.
    fn admit<'a>(
        &mut self,
        header: Header,
        payload: &'a [u8],
        now_us: i64,
    ) -> Result<Accepted<'a>, Refusal> {
        let stream = self.match_stream(&header)?;
        self.check_freshness(header.timestamp_us, now_us)?;
        if stream == StreamMatch::Same && !self.state.window.allows(header.seq) {
            return Err(DropReason::Replayed.into());
        }
        let new_key = match header.codec {
            // The new key's tables are built before anything changes: if
            // there is no memory for them, the verifier stays as it was.
            Codec::KeyRotation => Some(
                self.state
                    .key
                    .try_prepare(self.check_rotation(&header, payload)?)
                    .map_err(Refusal::OutOfMemory)?,
            ),
            _ => None,
        };
        let new_public_key = new_key.as_ref().map(|k| *k.key().as_bytes());
        self.commit(&header, stream, new_key);
        Ok(Accepted {
            header,
            payload,
            new_public_key,
        })
    }

    /// Judges a version-2 seal before any of the content is read: the
    /// layout rules for a frame of `frame_len` bytes (seal plus content;
    /// `seal` holds at least the seal's 148 bytes when the frame is that
    /// long), the linked key's id and the strict signature over the seal.
    /// A drop is counted here. What passes is an [`AuthenticSeal`]: the
    /// camera's statement about the content, to be held against the content
    /// by [`Verifier::try_accept_sealed`]. Nothing changes state.
    pub fn authenticate_seal(
        &mut self,
        seal: &[u8],
        frame_len: usize,
    ) -> Result<AuthenticSeal, DropReason> {
        let verdict = self.seal_verdict(seal, frame_len);
        if let Err(reason) = verdict {
            self.stats.dropped[reason.index()] += 1;
        }
        verdict
    }

    /// [`Verifier::authenticate_seal`] without counting.
    fn seal_verdict(&self, seal: &[u8], frame_len: usize) -> Result<AuthenticSeal, DropReason> {
        Header::parse(seal, frame_len, self.policy.max_payload_bytes)
            .map_err(DropReason::from)
            .and_then(|header| match header.version {
                frame::Version::Sealed => Ok(header),
                // A version-1 frame has no seal to authenticate alone.
                frame::Version::Envelope => Err(DropReason::Malformed),
            })
            .and_then(|header| {
                let parts = (
                    seal.get(..frame::SEAL_SIGNED_LEN),
                    seal.get(frame::layout::CONTENT_HASH)
                        .and_then(|h| <[u8; 32]>::try_from(h).ok()),
                    seal.get(frame::layout::SEAL_SIGNATURE)
                        .and_then(|s| <&[u8; 64]>::try_from(s).ok()),
                );
                let (Some(signed), Some(content_hash), Some(signature)) = parts else {
                    return Err(DropReason::Malformed);
                };
                self.authenticate(&header, signed, signature)?;
                Ok(AuthenticSeal {
                    header,
                    content_hash,
                    key: *self.linked_key().as_bytes(),
                })
            })
    }

    /// Holds an [`AuthenticSeal`] against its content: `content_hash` is
    /// the BLAKE3 hash the caller computed over the canonical content (the
    /// payload of a version-2 frame, or what `inband` derives from a media
    /// unit); a mismatch is `bad-signature`. Then checks 4 to 7 and, if all
    /// pass, the state change, like [`Verifier::try_verify`]. `payload` is
    /// what the result carries (the frame's payload, or the whole unit).
    pub fn try_accept_sealed<'a>(
        &mut self,
        seal: &AuthenticSeal,
        content_hash: &[u8; frame::CONTENT_HASH_LEN],
        payload: &'a [u8],
        now_us: i64,
    ) -> Result<Result<Accepted<'a>, DropReason>, OutOfMemory> {
        let verdict = if seal.key != *self.linked_key().as_bytes() {
            // Authenticated under a key that is no longer linked.
            Err(Refusal::Drop(DropReason::ForeignKey))
        } else if *content_hash != seal.content_hash {
            Err(Refusal::Drop(DropReason::BadSignature))
        } else {
            self.admit(seal.header, payload, now_us)
        };
        self.counted(verdict)
    }

    /// Counts a verdict (an out-of-memory refusal is no verdict: nothing
    /// is counted) and gives it the public shape.
    fn counted<'a>(
        &mut self,
        verdict: Result<Accepted<'a>, Refusal>,
    ) -> Result<Result<Accepted<'a>, DropReason>, OutOfMemory> {
        match verdict {
            Ok(accepted) => {
                self.stats.accepted += 1;
                Ok(Ok(accepted))
            }
            Err(Refusal::Drop(reason)) => {
                self.stats.dropped[reason.index()] += 1;
                Ok(Err(reason))
            }
            Err(Refusal::OutOfMemory(e)) => Err(e),
        }
    }

    fn match_stream(&self, header: &Header) -> Result<StreamMatch, DropReason> {
        match (self.policy.stream_id, self.state.pinned) {
            (Some(chosen), _) if chosen != header.stream_id => Err(DropReason::WrongStream),
            (Some(_), _) => Ok(StreamMatch::Same),
            (None, None) => Ok(StreamMatch::First),
            (None, Some(pinned)) if pinned == header.stream_id => Ok(StreamMatch::Same),
            (None, Some(_)) => {
                let newer_than_all = self
                    .state
                    .newest_timestamp_us
                    .is_none_or(|newest| header.timestamp_us > newest);
                if header.keyframe && newer_than_all {
                    Ok(StreamMatch::Restart)
                } else {
                    Err(DropReason::WrongStream)
                }
            }
        }
    }

    fn check_freshness(&self, timestamp_us: u64, now_us: i64) -> Result<(), DropReason> {
        // i128: no overflow for any u64 timestamp, i64 clock or u64 limit.
        let ts = i128::from(timestamp_us);
        let now = i128::from(now_us);
        if let Some(max_age) = self.policy.max_age_us
            && ts < now - i128::from(max_age)
        {
            return Err(DropReason::Stale);
        }
        if let Some(skew) = self.policy.max_future_skew_us
            && ts > now + i128::from(skew)
        {
            return Err(DropReason::Future);
        }
        Ok(())
    }

    /// Check 7 (SPEC §5.2): rotation allowed, no flags, the new key links,
    /// differs from the linked key, and its proof over
    /// `frameseal-rotate ‖ old ‖ new` verifies strictly.
    fn check_rotation(&self, header: &Header, payload: &[u8]) -> Result<LinkedKey, DropReason> {
        if !self.policy.allow_rotation || header.keyframe || header.end_of_stream {
            return Err(DropReason::BadRotation);
        }
        let (new_key, proof) = payload
            .split_first_chunk::<32>()
            .ok_or(DropReason::BadRotation)?;
        let proof: &[u8; 64] = proof.try_into().map_err(|_| DropReason::BadRotation)?;
        let new_key = LinkedKey::from_bytes(new_key).map_err(|_| DropReason::BadRotation)?;
        if new_key == *self.linked_key() {
            return Err(DropReason::BadRotation);
        }
        let message =
            frame::rotation_proof_message(self.linked_key().as_bytes(), new_key.as_bytes());
        new_key
            .verify_strict(&message, proof)
            .map_err(|_| DropReason::BadRotation)?;
        Ok(new_key)
    }

    /// The only place state changes; reached only by a fully checked frame.
    fn commit(&mut self, header: &Header, stream: StreamMatch, new_key: Option<PreparedKey>) {
        let state = &mut self.state;
        match stream {
            StreamMatch::Same => state.window.accept(header.seq),
            StreamMatch::First => {
                state.pinned = Some(header.stream_id);
                state.window.accept(header.seq);
            }
            StreamMatch::Restart => {
                state.pinned = Some(header.stream_id);
                state.window.restart_at(header.seq);
            }
        }
        state.newest_timestamp_us = Some(
            state
                .newest_timestamp_us
                .map_or(header.timestamp_us, |t| t.max(header.timestamp_us)),
        );
        if let Some(key) = new_key {
            state.key = key;
        }
    }
}

/// Test hook for the fuzz targets (`fuzz/`), only with the `fuzzing`
/// feature: a snapshot of everything a verdict depends on besides the
/// policy and the clock (linked key, pinned stream, newest timestamp,
/// replay window), so a target can check that a drop changed none of it.
#[cfg(feature = "fuzzing")]
impl Verifier {
    #[doc(hidden)]
    pub fn fuzzing_state(&self) -> impl PartialEq + fmt::Debug + use<> {
        self.state.clone()
    }
}

mod unit;
pub use unit::UNIT_SLACK;

#[cfg(test)]
mod tests;
