//! The relay's faults: what an untrusted cache and a poor network do to the
//! frames on their way to one viewer. Pure logic (no sockets, no clock, a
//! seeded generator), so the tests can replay minutes of traffic exactly.
//!
//! Per genuine frame of the viewer's camera, each fault that is on does:
//! - **mix-up** (the incident): the relay's cache also serves, at random,
//!   the newest frame of another camera, a cached frame of this camera from
//!   11–25 s ago (older than a display accepts: `stale`), or one from the
//!   last 8 s (already delivered: `replayed`);
//! - **loss**: drops the frame (1 in 5);
//! - **duplication**: sends it twice (1 in 4);
//! - **reordering**: holds it back and sends it after the next delivery (3 in 10);
//! - **far reordering**: holds it back until 70 more of the camera's frames
//!   have reached the relay (1 in 10): further back than a display's replay
//!   window of 64 (and, at 5 fps, 14 s: older than its 10 s max age too);
//! - **delay**: delivers every frame 1–2.5 s late, each with its own delay;
//! - **long delay**: delivers a frame 11–14 s late, beyond a display's 10 s
//!   max age (1 in 5);
//! - **corruption**: flips one bit of its payload or signature (3 in 20);
//! - **blackhole**: delivers nothing at all (the relay cuts every camera
//!   off; applied in `relay.rs`, so a display's liveness mark
//!   can be watched).
//!
//! Three more act on the live H.264 cameras only (`live_relay.rs`,
//! `hls.rs`), which also honour mix-up, loss, reordering and blackhole:
//! - **replay**: sends a fragment the viewer already had once more;
//! - **tamper**: flips a byte inside a slice of a fragment's sample;
//! - **oldparts**: the LL-HLS server serves some parts and segments from
//!   earlier in place of the ones asked for.
//!
//! The Axis camera (`axis_relay.rs`, a Signed Video recording) honours
//! mix-up (a GOP of another signed camera), tamper (one byte of a picture),
//! loss (two pictures) and blackhole, each in one GOP per loop.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use frameseal::frame::HEADER_LEN;
use serde_json::{Map, Value};

/// Which faults are on. Shared by every viewer; switched from the page or
/// `POST /api/faults`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    pub mixup: bool,
    pub loss: bool,
    pub duplication: bool,
    pub reordering: bool,
    pub far_reordering: bool,
    pub delay: bool,
    pub long_delay: bool,
    pub corruption: bool,
    pub blackhole: bool,
    pub replay: bool,
    pub tamper: bool,
    pub old_parts: bool,
}

/// The faults' names, as the JSON API and the page spell them.
pub const NAMES: [&str; 12] = [
    "mixup",
    "loss",
    "duplication",
    "reordering",
    "farreordering",
    "delay",
    "longdelay",
    "corruption",
    "blackhole",
    "replay",
    "tamper",
    "oldparts",
];

/// Why a fault update was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultsError {
    /// The body does not parse as JSON.
    NotJson(String),
    /// The JSON is not an object.
    NotAnObject,
    /// A key that names no fault.
    Unknown(String),
    /// A value that is not `true` or `false`.
    NotABoolean(String),
}

impl fmt::Display for FaultsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultsError::NotJson(e) => write!(f, "body is not JSON: {e}"),
            FaultsError::NotAnObject => {
                f.write_str("body must be a JSON object such as {\"mixup\": true}")
            }
            FaultsError::Unknown(name) => {
                write!(f, "unknown fault '{name}' (known: {})", NAMES.join(", "))
            }
            FaultsError::NotABoolean(name) => write!(f, "fault '{name}' must be true or false"),
        }
    }
}

impl Faults {
    /// Only the fault `name` on (for the relays' tests); panics on a name
    /// that is not a fault.
    #[cfg(test)]
    pub(crate) fn only(name: &str) -> Faults {
        let mut faults = Faults::default();
        *faults.slot(name).expect("a fault's name") = true;
        faults
    }

    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "mixup" => Some(&mut self.mixup),
            "loss" => Some(&mut self.loss),
            "duplication" => Some(&mut self.duplication),
            "reordering" => Some(&mut self.reordering),
            "farreordering" => Some(&mut self.far_reordering),
            "delay" => Some(&mut self.delay),
            "longdelay" => Some(&mut self.long_delay),
            "corruption" => Some(&mut self.corruption),
            "blackhole" => Some(&mut self.blackhole),
            "replay" => Some(&mut self.replay),
            "tamper" => Some(&mut self.tamper),
            "oldparts" => Some(&mut self.old_parts),
            _ => None,
        }
    }

    /// `{"mixup": false, "loss": true, ...}`, every fault.
    pub fn to_json(self) -> Value {
        let mut copy = self;
        let map: Map<String, Value> = NAMES
            .iter()
            .map(|name| {
                let on = copy.slot(name).is_some_and(|b| *b);
                (name.to_string(), Value::Bool(on))
            })
            .collect();
        Value::Object(map)
    }

    /// Applies a JSON object of `name: bool` (any subset of the faults).
    /// All or nothing: on an error nothing changes.
    pub fn apply_json(&mut self, body: &[u8]) -> Result<(), FaultsError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| FaultsError::NotJson(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(FaultsError::NotAnObject);
        };
        let mut next = *self;
        for (name, value) in &map {
            let slot = next
                .slot(name)
                .ok_or_else(|| FaultsError::Unknown(name.clone()))?;
            *slot = value
                .as_bool()
                .ok_or_else(|| FaultsError::NotABoolean(name.clone()))?;
        }
        *self = next;
        Ok(())
    }
}

/// How often a fault strikes where it is on, in percent (of the genuine
/// frames, or of the deliveries for the delays).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percent(pub u64);

/// The loss fault drops 1 frame in 5.
pub const LOSS_PERCENT: Percent = Percent(20);
/// The duplication fault sends 1 frame in 4 twice.
pub const DUPLICATION_PERCENT: Percent = Percent(25);
/// The reordering fault holds 3 frames in 10 back by one delivery.
pub const REORDERING_PERCENT: Percent = Percent(30);
/// The far-reordering fault holds 1 frame in 10 back.
pub const FAR_REORDERING_PERCENT: Percent = Percent(10);
/// How many of the camera's later frames pass a far-reordered frame: more
/// than the default replay window (64).
pub const FAR_REORDERING_FRAMES: u32 = 70;
/// The long-delay fault delays 1 delivery in 5.
pub const LONG_DELAY_PERCENT: Percent = Percent(20);
/// How late the long-delay fault delivers a frame, µs: beyond the 10 s max
/// age a display accepts by default.
pub const LONG_DELAY_US: Range<u64> = 11_000_000..14_000_000;
/// The corruption fault flips a bit in 3 frames in 20.
pub const CORRUPTION_PERCENT: Percent = Percent(15);
/// Per genuine frame, the mix-up also serves another camera's newest frame
/// this often,
pub const MIXUP_FOREIGN_PERCENT: Percent = Percent(30);
/// a stale one of this camera (aged [`STALE_AGE_US`]) this often,
pub const MIXUP_STALE_PERCENT: Percent = Percent(20);
/// and a recent one, already delivered (aged [`RECENT_AGE_US`]), this often.
pub const MIXUP_RECENT_PERCENT: Percent = Percent(15);
/// How late the delay fault delivers each frame, µs.
pub const DELAY_US: Range<u64> = 1_000_000..2_500_000;
/// Age of the cached frames the mix-up serves as stale: older than the
/// 10 s a display accepts by default.
pub const STALE_AGE_US: Range<u64> = 11_000_000..25_000_000;
/// Age of the cached frames the mix-up serves as recent (already shown).
pub const RECENT_AGE_US: Range<u64> = 400_000..8_000_000;

/// What the relay's cache holds, as the mix-up fault reaches into it: the
/// cache says what it has, the fault (the provided methods) chooses.
pub trait FrameCache {
    /// How many cameras the cache keeps frames of.
    fn camera_count(&self) -> usize;
    /// The frames `camera` has cached, oldest first, each with its capture
    /// time (µs since the Unix epoch); none for a camera that is not there.
    fn cached(&self, camera: usize) -> Vec<(u64, Arc<[u8]>)>;

    /// The newest frame of a camera other than `camera`; `pick` chooses which.
    fn other_camera_frame(&self, camera: usize, pick: u64) -> Option<Arc<[u8]>> {
        let others: Vec<usize> = (0..self.camera_count()).filter(|i| *i != camera).collect();
        let other = others.get((pick % others.len().max(1) as u64) as usize)?;
        self.cached(*other).pop().map(|(_, frame)| frame)
    }

    /// A frame `camera` captured between `ages.start` and `ages.end` µs
    /// before `now_us`; `pick` chooses among them.
    fn own_frame_aged(
        &self,
        camera: usize,
        now_us: u64,
        ages: Range<u64>,
        pick: u64,
    ) -> Option<Arc<[u8]>> {
        let fit: Vec<Arc<[u8]>> = self
            .cached(camera)
            .into_iter()
            .filter(|(at, _)| ages.contains(&now_us.saturating_sub(*at)))
            .map(|(_, frame)| frame)
            .collect();
        let count = fit.len().max(1) as u64;
        fit.into_iter().nth((pick % count) as usize)
    }
}

/// A small seeded generator (SplitMix64): the faults need variety, not secrecy.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True `percent` times in a hundred.
    pub fn percent(&mut self, percent: Percent) -> bool {
        self.next_u64() % 100 < percent.0
    }

    /// A value in `range` (its start if the range is empty).
    pub fn in_range(&mut self, range: Range<u64>) -> u64 {
        let span = range.end.saturating_sub(range.start);
        range.start + if span == 0 { 0 } else { self.next_u64() % span }
    }
}

/// A copy of `frame` with one bit of its payload or signature flipped.
pub fn corrupt(frame: &[u8], rng: &mut Rng) -> Arc<[u8]> {
    let mut copy = frame.to_vec();
    let start = HEADER_LEN.min(copy.len());
    let span = (copy.len() - start) as u64;
    if span > 0 {
        let at = start + (rng.next_u64() % span) as usize;
        let bit = rng.next_u64() % 8;
        if let Some(byte) = copy.get_mut(at) {
            *byte ^= 1 << bit;
        }
    }
    copy.into()
}

#[derive(Debug)]
struct Pending {
    due_us: u64,
    order: u64,
    frame: Arc<[u8]>,
}

/// The relay's path to one viewer of one camera.
#[derive(Debug)]
pub struct Link {
    camera: usize,
    rng: Rng,
    /// A frame the reordering fault holds back until the next delivery.
    held: Option<Arc<[u8]>>,
    /// Frames the far-reordering fault holds back, each with how many more
    /// of the camera's frames must pass it.
    held_far: Vec<(u32, Arc<[u8]>)>,
    pending: Vec<Pending>,
    next_order: u64,
}

impl Link {
    /// The path to a viewer of `camera`.
    pub fn new(camera: usize, seed: u64) -> Link {
        Link {
            camera,
            rng: Rng::new(seed),
            held: None,
            held_far: Vec::new(),
            pending: Vec::new(),
            next_order: 0,
        }
    }

    /// A genuine frame of this link's camera reaches the relay at `now_us`;
    /// schedules what the viewer gets because of it.
    pub fn push(&mut self, frame: Arc<[u8]>, faults: Faults, now_us: u64, cache: &impl FrameCache) {
        let late = self.held.take();
        let mut far_late = Vec::new();
        self.held_far.retain_mut(|(passes, frame)| {
            *passes -= 1;
            if *passes == 0 {
                far_late.push(Arc::clone(frame));
            }
            *passes > 0
        });
        let mut out = Vec::new();
        if !(faults.loss && self.rng.percent(LOSS_PERCENT)) {
            let frame = if faults.corruption && self.rng.percent(CORRUPTION_PERCENT) {
                corrupt(&frame, &mut self.rng)
            } else {
                frame
            };
            if faults.duplication && self.rng.percent(DUPLICATION_PERCENT) {
                out.push(Arc::clone(&frame));
            }
            if faults.far_reordering && self.rng.percent(FAR_REORDERING_PERCENT) {
                self.held_far.push((FAR_REORDERING_FRAMES, frame));
            } else if faults.reordering && self.rng.percent(REORDERING_PERCENT) {
                self.held = Some(frame);
            } else {
                out.push(frame);
            }
        }
        if faults.mixup {
            if self.rng.percent(MIXUP_FOREIGN_PERCENT) {
                let pick = self.rng.next_u64();
                out.extend(cache.other_camera_frame(self.camera, pick));
            }
            if self.rng.percent(MIXUP_STALE_PERCENT) {
                let pick = self.rng.next_u64();
                out.extend(cache.own_frame_aged(self.camera, now_us, STALE_AGE_US, pick));
            }
            if self.rng.percent(MIXUP_RECENT_PERCENT) {
                let pick = self.rng.next_u64();
                out.extend(cache.own_frame_aged(self.camera, now_us, RECENT_AGE_US, pick));
            }
        }
        out.extend(late);
        out.extend(far_late);
        for frame in out {
            let delay = if faults.long_delay && self.rng.percent(LONG_DELAY_PERCENT) {
                self.rng.in_range(LONG_DELAY_US)
            } else if faults.delay {
                self.rng.in_range(DELAY_US)
            } else {
                0
            };
            self.pending.push(Pending {
                due_us: now_us.saturating_add(delay),
                order: self.next_order,
                frame,
            });
            self.next_order += 1;
        }
    }

    /// The frames due by `now_us`, in delivery order.
    pub fn take_due(&mut self, now_us: u64) -> Vec<Arc<[u8]>> {
        let (mut due, rest): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due_us <= now_us);
        self.pending = rest;
        due.sort_by_key(|p| (p.due_us, p.order));
        due.into_iter().map(|p| p.frame).collect()
    }

    /// When the next scheduled frame is due, if any is.
    pub fn next_due_us(&self) -> Option<u64> {
        self.pending.iter().map(|p| p.due_us).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::{Codec, DropReason, FrameSpec, KeyId, LinkedKey, Policy, Signer, Verifier};
    use std::collections::{HashMap, HashSet};

    const FRAME_US: u64 = 200_000;
    const T0: u64 = 1_700_000_000_000_000;

    /// Two cameras' frames, every 200 ms, the way the relay's cache keeps them.
    struct World {
        cameras: Vec<Signer>,
        history: Vec<Vec<(u64, Arc<[u8]>)>>,
    }

    impl World {
        fn new() -> World {
            World {
                cameras: vec![
                    Signer::from_secret(&[1; 32], [1; 16]),
                    Signer::from_secret(&[2; 32], [2; 16]),
                ],
                history: vec![Vec::new(), Vec::new()],
            }
        }

        /// Both cameras capture at `now_us`; returns camera 0's frame.
        fn capture(&mut self, now_us: u64) -> Arc<[u8]> {
            for (camera, history) in self.cameras.iter_mut().zip(&mut self.history) {
                let spec = FrameSpec {
                    keyframe: true,
                    codec: Codec::Jpeg,
                    ..FrameSpec::at(now_us)
                };
                let frame: Arc<[u8]> = camera.sign_frame(b"jpeg", &spec).unwrap().into();
                history.push((now_us, frame));
            }
            Arc::clone(&self.history[0].last().unwrap().1)
        }
    }

    impl FrameCache for World {
        fn camera_count(&self) -> usize {
            self.history.len()
        }

        fn cached(&self, camera: usize) -> Vec<(u64, Arc<[u8]>)> {
            self.history.get(camera).cloned().unwrap_or_default()
        }
    }

    type Frames = Vec<Arc<[u8]>>;
    /// Frames with the time each arrived.
    type Arrivals = Vec<(u64, Arc<[u8]>)>;

    /// Runs `seconds` of traffic through one link with `faults`; returns
    /// what camera 0 sent, and what the viewer received with when.
    fn run_timed(faults: Faults, seconds: u64, seed: u64) -> (World, Frames, Arrivals) {
        run_and_wait(faults, seconds, 0, seed)
    }

    /// [`run_timed`], with `wait` more seconds of deliveries (and no
    /// captures) after the traffic ends.
    fn run_and_wait(
        faults: Faults,
        seconds: u64,
        wait: u64,
        seed: u64,
    ) -> (World, Frames, Arrivals) {
        let mut world = World::new();
        let mut link = Link::new(0, seed);
        let (mut sent, mut received) = (Vec::new(), Vec::new());
        let end = T0 + seconds * 1_000_000;
        let mut now = T0;
        while now < end + wait * 1_000_000 {
            if now < end {
                let frame = world.capture(now);
                sent.push(Arc::clone(&frame));
                link.push(frame, faults, now, &world);
            }
            received.extend(link.take_due(now).into_iter().map(|f| (now, f)));
            now += FRAME_US;
        }
        // Let everything scheduled arrive; a held frame waits for a push,
        // as on the real relay, and is left out.
        received.extend(link.take_due(u64::MAX).into_iter().map(|f| (now, f)));
        (world, sent, received)
    }

    fn run(faults: Faults, seconds: u64, seed: u64) -> (World, Frames, Frames) {
        let (world, sent, received) = run_timed(faults, seconds, seed);
        (world, sent, received.into_iter().map(|(_, f)| f).collect())
    }

    /// Where in `sent` each received frame stands.
    fn places(sent: &[Arc<[u8]>], received: &[Arc<[u8]>]) -> Vec<usize> {
        received
            .iter()
            .map(|f| sent.iter().position(|s| s == f).unwrap())
            .collect()
    }

    /// A display linked to camera 0, after judging every arrival at the
    /// time it arrived.
    fn display_after(world: &World, received: &Arrivals) -> Verifier {
        let key = LinkedKey::from_bytes(world.cameras[0].public_key()).unwrap();
        let mut display = Verifier::new(key, Policy::default()).unwrap();
        for (arrived_us, frame) in received {
            let _ = display.verify(frame, i64::try_from(*arrived_us).unwrap());
        }
        display
    }

    fn counts(frames: &[Arc<[u8]>]) -> HashMap<Vec<u8>, usize> {
        let mut map = HashMap::new();
        for f in frames {
            *map.entry(f.to_vec()).or_insert(0) += 1;
        }
        map
    }

    #[test]
    fn with_no_fault_every_frame_arrives_once_in_order_at_once() {
        let (_, sent, received) = run(Faults::default(), 20, 1);
        assert_eq!(sent, received);
    }

    #[test]
    fn loss_drops_about_one_frame_in_five_and_adds_nothing() {
        let faults = Faults::only("loss");
        let (_, sent, received) = run(faults, 200, 2);
        let lost = sent.len() - received.len();
        assert!((150..250).contains(&lost), "lost {lost} of {}", sent.len());
        let sent_set = counts(&sent);
        assert!(received.iter().all(|f| sent_set.contains_key(&f.to_vec())));
        assert!(counts(&received).values().all(|n| *n == 1));
        // What arrives is still in order.
        let order = places(&sent, &received);
        assert!(order.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn duplication_sends_some_frames_twice_and_none_more() {
        let faults = Faults::only("duplication");
        let (_, sent, received) = run(faults, 100, 3);
        let seen = counts(&received);
        assert_eq!(seen.len(), sent.len());
        let twice = seen.values().filter(|n| **n == 2).count();
        assert!((75..175).contains(&twice), "{twice} of {}", sent.len());
        assert!(seen.values().all(|n| *n <= 2));
    }

    #[test]
    fn reordering_delivers_each_frame_once_at_most_one_place_late() {
        let faults = Faults::only("reordering");
        let (_, sent, received) = run(faults, 100, 4);
        // Everything but possibly the very last frame, still held, arrives once.
        assert!(sent.len() - received.len() <= 1);
        assert!(counts(&received).values().all(|n| *n == 1));
        let order = places(&sent, &received);
        let swaps = order.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(swaps > 50, "only {swaps} frames out of order");
        for (place, index) in order.iter().enumerate() {
            assert!(
                place.abs_diff(*index) <= 1,
                "frame {index} arrived {place}th"
            );
        }
    }

    #[test]
    fn delay_holds_each_frame_between_one_and_two_and_a_half_seconds() {
        let world = World::new();
        let faults = Faults::only("delay");
        let mut delays = Vec::new();
        for seed in 0..50 {
            let mut link = Link::new(0, seed);
            link.push(Arc::from(&b"frame"[..]), faults, T0, &world);
            assert!(link.take_due(T0 + DELAY_US.start - 1).is_empty());
            let delay = link.next_due_us().unwrap() - T0;
            assert!(DELAY_US.contains(&delay), "{delay}");
            delays.push(delay);
            assert_eq!(link.take_due(T0 + DELAY_US.end).len(), 1);
            assert_eq!(link.next_due_us(), None);
        }
        delays.sort_unstable();
        delays.dedup();
        assert!(delays.len() > 40, "delays should vary");
    }

    #[test]
    fn corruption_flips_one_bit_after_the_header() {
        let faults = Faults::only("corruption");
        let (_, sent, received) = run(faults, 100, 6);
        assert_eq!(sent.len(), received.len());
        let mut changed = 0;
        for (s, r) in sent.iter().zip(&received) {
            let diff: u32 = s
                .iter()
                .zip(r.iter())
                .map(|(a, b)| (a ^ b).count_ones())
                .sum();
            assert!(diff <= 1);
            if diff == 1 {
                changed += 1;
                assert_eq!(s[..HEADER_LEN], r[..HEADER_LEN], "the header is left alone");
            }
        }
        assert!((40..110).contains(&changed), "{changed} of {}", sent.len());
    }

    /// The incident, end to end: a display linked to camera 0 behind a relay
    /// with mix-up, loss, reordering and duplication on.
    #[test]
    fn far_reordering_passes_a_frame_by_seventy_and_the_display_drops_it() {
        let faults = Faults::only("farreordering");
        let (world, sent, received) = run_timed(faults, 100, 11);
        let place = |f: &Arc<[u8]>| sent.iter().position(|s| s == f).unwrap();
        // Each frame arrives once, on time or exactly 70 frames late.
        assert!(
            received
                .iter()
                .map(|(_, f)| f.to_vec())
                .collect::<HashSet<_>>()
                .len()
                == received.len()
        );
        let mut late = 0;
        for (arrived_us, frame) in &received {
            let behind = (arrived_us - T0) / FRAME_US - place(frame) as u64;
            assert!(
                behind == 0 || behind == u64::from(FAR_REORDERING_FRAMES),
                "{behind}"
            );
            late += u64::from(behind > 0);
        }
        assert!((20..80).contains(&late), "{late} late of {}", sent.len());
        let display = display_after(&world, &received);
        // 70 frames at 5 fps is 14 s: past the replay window and the max age.
        assert_eq!(display.stats().dropped_total(), late);
        assert_eq!(display.stats().dropped(DropReason::Stale), late);
    }

    #[test]
    fn long_delay_makes_a_fifth_of_the_frames_stale_and_nothing_else() {
        let faults = Faults::only("longdelay");
        // 100 s of frames, then 15 s more for the late ones to arrive.
        let (world, sent, received) = run_and_wait(faults, 100, 15, 12);
        assert_eq!(sent.len(), received.len());
        let mut late = 0;
        for (arrived_us, frame) in &received {
            let captured_us = T0 + FRAME_US * sent.iter().position(|s| s == frame).unwrap() as u64;
            let delay = arrived_us - captured_us;
            assert!(!(FRAME_US..LONG_DELAY_US.start).contains(&delay), "{delay}");
            late += u64::from(delay >= LONG_DELAY_US.start);
        }
        let display = display_after(&world, &received);
        assert!((60..140).contains(&late), "{late} of {}", sent.len());
        assert_eq!(display.stats().dropped(DropReason::Stale), late);
        assert_eq!(display.stats().accepted, sent.len() as u64 - late);
    }

    #[test]
    fn the_incident_faults_produce_foreign_stale_and_replayed_drops() {
        let faults = Faults {
            mixup: true,
            loss: true,
            reordering: true,
            duplication: true,
            ..Faults::default()
        };
        let (world, _, received) = run_timed(faults, 60, 7);
        let own_id = KeyId::of(world.cameras[0].public_key()).0;
        let display = display_after(&world, &received);
        let stats = display.stats();
        let foreign = received.iter().filter(|(_, f)| f[8..16] != own_id).count() as u64;
        assert!(foreign > 40, "{foreign}");
        assert_eq!(stats.dropped(DropReason::ForeignKey), foreign);
        assert!(stats.dropped(DropReason::Stale) > 20);
        assert!(stats.dropped(DropReason::Replayed) > 20);
        assert!(stats.accepted > 150);
        assert_eq!(
            stats.dropped_total(),
            stats.dropped(DropReason::ForeignKey)
                + stats.dropped(DropReason::Stale)
                + stats.dropped(DropReason::Replayed)
        );
    }

    #[test]
    fn fault_switches_read_and_write_json() {
        let mut faults = Faults::default();
        faults
            .apply_json(br#"{"mixup": true, "delay": true}"#)
            .unwrap();
        assert!(faults.mixup && faults.delay && !faults.loss);
        assert_eq!(
            faults.to_json().to_string(),
            r#"{"blackhole":false,"corruption":false,"delay":true,"duplication":false,"farreordering":false,"longdelay":false,"loss":false,"mixup":true,"oldparts":false,"reordering":false,"replay":false,"tamper":false}"#
        );
        faults.apply_json(br#"{"mixup": false}"#).unwrap();
        assert!(!faults.mixup && faults.delay);
    }

    #[test]
    fn bad_fault_updates_change_nothing_and_say_why() {
        let mut faults = Faults::default();
        let cases: [(&[u8], &str); 4] = [
            (
                b"{",
                "body is not JSON: EOF while parsing an object at line 1 column 1",
            ),
            (
                b"[true]",
                "body must be a JSON object such as {\"mixup\": true}",
            ),
            (
                br#"{"loss": true, "mixups": true}"#,
                "unknown fault 'mixups' (known: mixup, loss, duplication, reordering, farreordering, delay, longdelay, corruption, blackhole, replay, tamper, oldparts)",
            ),
            (br#"{"loss": 1}"#, "fault 'loss' must be true or false"),
        ];
        for (body, message) in cases {
            let err = faults.apply_json(body).unwrap_err();
            assert_eq!(err.to_string(), message);
            assert_eq!(faults, Faults::default());
        }
    }
}
