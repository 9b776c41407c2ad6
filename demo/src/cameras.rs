//! The simulated cameras and the relay's frame cache.
//!
//! Each camera has its own device key and a random stream id for this run,
//! and five times a second renders a picture, encodes it as JPEG and signs
//! it (a keyframe, codec jpeg), on a thread of its own. The [`Hub`] keeps
//! the last 30 s of every camera's frames — the cache the mix-up fault
//! reaches into — and fans each new frame out to the camera's viewers,
//! each through a bounded queue that the viewer's relay task reads.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use frameseal::{Codec, FrameSpec, Signer};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{self, Receiver, Sender};

use crate::error::DemoError;
use crate::faults::FrameCache;
use crate::render;
use frameseal_native::{now_us, random_bytes};

/// A camera's name and the background colour that tells it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    /// URL-safe id (`/ws/nursery`).
    pub slug: &'static str,
    pub name: &'static str,
    pub colour: [u8; 3],
}

/// The demo's cameras; their hues are far apart (about 225°, 25°, 145°).
pub const LOOKS: [Look; 3] = [
    Look {
        slug: "nursery",
        name: "Nursery",
        colour: [38, 84, 200],
    },
    Look {
        slug: "porch",
        name: "Porch",
        colour: [214, 106, 24],
    },
    Look {
        slug: "garage",
        name: "Garage",
        colour: [28, 150, 84],
    },
];

/// Time between two frames of a camera (5 fps).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(200);
/// How long the cache keeps a camera's frames.
pub const KEEP_US: u64 = 30_000_000;
/// Most frames the cache keeps per camera, whatever the number of
/// sessions (30 s of four streams), so viewers cannot grow it without bound.
pub const MAX_CACHED: usize = 600;
/// Frames queued for one viewer; beyond that the relay skips frames for it.
const VIEWER_QUEUE: usize = 32;
/// Keys a camera remembers (its current one and those before it), so a
/// display that linked an older key can be walked along the rotations.
pub const MAX_KEYS: usize = 64;

/// A viewer's queue and the stream it watches.
struct Viewer {
    stream: [u8; 16],
    tx: Sender<Arc<[u8]>>,
}

#[derive(Default)]
struct Feed {
    /// `(captured_us, frame)`, oldest first, every stream of the camera.
    recent: VecDeque<(u64, Arc<[u8]>)>,
    viewers: Vec<Viewer>,
}

/// A camera's keys, oldest first (the last one signs), and the sequence
/// number its next frame gets, on whichever stream: one counter for all
/// streams and keys, so seq only ever grows on each of them, across
/// rotations too.
struct Keys {
    chain: Vec<Signer>,
    next_seq: u64,
}

impl Keys {
    fn current(&mut self) -> Option<&mut Signer> {
        self.chain.last_mut()
    }

    fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Rotation frames from `from` (a key of this camera) to the current
    /// key, on `stream`, signed now: what a display that holds `from` needs.
    fn chain_from(&mut self, from: &[u8; 32], stream: [u8; 16], now_us: u64) -> Vec<Arc<[u8]>> {
        let Some(start) = self.chain.iter().position(|s| s.public_key() == from) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in start..self.chain.len().saturating_sub(1) {
            let seq = self.seq();
            let (old, next) = self.chain.split_at_mut(i + 1);
            let (Some(old), Some(next)) = (old.last_mut(), next.first()) else {
                break;
            };
            let spec = FrameSpec {
                stream_id: Some(stream),
                seq: Some(seq),
                ..FrameSpec::at(now_us)
            };
            match old.sign_rotation(next, &spec) {
                Ok(frame) => out.push(frame.into()),
                Err(_) => break,
            }
        }
        out
    }
}

/// One camera as the relay knows it.
pub struct Camera {
    pub look: Look,
    /// The stream of a viewer that names none (SPEC §3: the display pins
    /// the first stream it accepts).
    pub default_stream: [u8; 16],
    keys: Mutex<Keys>,
    feed: Mutex<Feed>,
}

/// What a camera's key rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub old_key: [u8; 32],
    pub new_key: [u8; 32],
    /// Streams that were sent a rotation frame.
    pub streams: usize,
}

impl Camera {
    fn feed(&self) -> MutexGuard<'_, Feed> {
        // A viewer thread that panicked cannot leave a Feed half-updated
        // in a way that matters here; keep serving.
        self.feed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keys(&self) -> MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key the camera signs with now.
    pub fn public_key(&self) -> [u8; 32] {
        self.keys()
            .chain
            .last()
            .map_or([0; 32], |s| *s.public_key())
    }

    /// Caches `frames` (`(stream, frame)`) and hands each to the viewers of
    /// its stream. Called with the keys lock held, so frames leave in the
    /// order they were signed.
    fn publish(&self, captured_us: u64, frames: &[([u8; 16], Arc<[u8]>)], cache: bool) {
        let mut feed = self.feed();
        if cache {
            while feed
                .recent
                .front()
                .is_some_and(|(at, _)| captured_us.saturating_sub(*at) > KEEP_US)
            {
                feed.recent.pop_front();
            }
            for (_, frame) in frames {
                feed.recent.push_back((captured_us, Arc::clone(frame)));
            }
            while feed.recent.len() > MAX_CACHED {
                feed.recent.pop_front();
            }
        }
        feed.viewers.retain(|viewer| {
            for (stream, frame) in frames {
                if *stream != viewer.stream {
                    continue;
                }
                if let Err(TrySendError::Closed(_)) = viewer.tx.try_send(Arc::clone(frame)) {
                    return false;
                }
            }
            true
        });
    }

    /// The streams someone watches now, the default stream first.
    fn streams(&self) -> Vec<[u8; 16]> {
        let mut streams = vec![self.default_stream];
        for viewer in &self.feed().viewers {
            if !streams.contains(&viewer.stream) {
                streams.push(viewer.stream);
            }
        }
        streams
    }

    /// Signs one picture for every watched stream and publishes the frames.
    fn capture_all(&self, frame_no: u64, now_us: u64) -> Result<(), String> {
        let jpeg = render::picture(self.look.name, self.look.colour, frame_no, now_us)
            .jpeg()
            .map_err(|e| format!("JPEG encoding failed: {e}"))?;
        let streams = self.streams();
        let mut keys = self.keys();
        let mut frames = Vec::with_capacity(streams.len());
        for stream in streams {
            let seq = keys.seq();
            let signer = keys.current().ok_or("the camera has no key")?;
            let spec = FrameSpec {
                stream_id: Some(stream),
                seq: Some(seq),
                keyframe: true,
                codec: Codec::Jpeg,
                ..FrameSpec::at(now_us)
            };
            let frame = signer
                .sign_frame(&jpeg, &spec)
                .map_err(|e| format!("signing failed: {e}"))?;
            frames.push((stream, Arc::from(frame)));
        }
        self.publish(now_us, &frames, true);
        drop(keys);
        Ok(())
    }

    /// Replaces the camera's key with `next`: a rotation frame signed by the
    /// old key goes to every watched stream first, and from then on frames
    /// are signed by `next`.
    pub fn rotate(&self, next: Signer, now_us: u64) -> Result<Rotated, String> {
        let streams = self.streams();
        let mut keys = self.keys();
        let old_key = keys.chain.last().map(|s| *s.public_key()).ok_or("no key")?;
        let new_key = *next.public_key();
        let mut frames = Vec::with_capacity(streams.len());
        keys.chain.push(next);
        for stream in streams {
            let mut chain = keys.chain_from(&old_key, stream, now_us);
            frames.extend(chain.pop().map(|f| (stream, f)));
        }
        if keys.chain.len() > MAX_KEYS {
            keys.chain.remove(0);
        }
        self.publish(now_us, &frames, false);
        let streams = frames.len();
        drop(keys);
        Ok(Rotated {
            old_key,
            new_key,
            streams,
        })
    }
}

/// Every camera, its cache and its viewers.
pub struct Hub {
    cameras: Vec<Camera>,
}

/// A viewer's subscription: rotation frames to send first (from the key it
/// holds to the camera's current one), then the camera's frames.
pub struct Subscription {
    pub chain: Vec<Arc<[u8]>>,
    pub frames: Receiver<Arc<[u8]>>,
}

impl Hub {
    /// A hub for cameras with these secret keys and stream ids (one per
    /// [`LOOKS`] entry).
    pub fn with_keys(keys: &[([u8; 32], [u8; 16])]) -> Hub {
        let cameras = LOOKS
            .iter()
            .zip(keys)
            .map(|(look, (secret, stream))| Camera {
                look: *look,
                default_stream: *stream,
                keys: Mutex::new(Keys {
                    chain: vec![Signer::from_secret(secret, *stream)],
                    next_seq: 0,
                }),
                feed: Mutex::new(Feed::default()),
            })
            .collect();
        Hub { cameras }
    }

    /// Every camera with a fresh key, each capturing on its own thread.
    pub fn start() -> Result<Arc<Hub>, DemoError> {
        let keys = LOOKS
            .iter()
            .map(|_| Ok((random_bytes::<32>()?, random_bytes::<16>()?)))
            .collect::<Result<Vec<_>, DemoError>>()?;
        let hub = Arc::new(Hub::with_keys(&keys));
        for index in 0..hub.cameras.len() {
            let hub = Arc::clone(&hub);
            thread::Builder::new()
                .name(format!("camera-{index}"))
                .spawn(move || hub.run_camera(index))
                .map_err(DemoError::Spawn)?;
        }
        Ok(hub)
    }

    pub fn cameras(&self) -> &[Camera] {
        &self.cameras
    }

    /// The index of the camera whose slug is `slug`.
    pub fn find(&self, slug: &str) -> Option<usize> {
        self.cameras.iter().position(|c| c.look.slug == slug)
    }

    /// A queue of `camera`'s new frames of `stream` (its default stream if
    /// `None`) for one viewer; if the viewer holds `holds`, an older key of
    /// this camera, the rotation frames from it to the current key come first.
    pub fn subscribe(
        &self,
        camera: usize,
        stream: Option<[u8; 16]>,
        holds: Option<&[u8; 32]>,
        now_us: u64,
    ) -> Option<Subscription> {
        let camera = self.cameras.get(camera)?;
        let stream = stream.unwrap_or(camera.default_stream);
        let (tx, frames) = mpsc::channel(VIEWER_QUEUE);
        // The keys lock first, as everywhere: no frame is signed between
        // the chain and the subscription.
        let mut keys = camera.keys();
        let chain = holds.map_or_else(Vec::new, |key| keys.chain_from(key, stream, now_us));
        camera.feed().viewers.push(Viewer { stream, tx });
        drop(keys);
        Some(Subscription { chain, frames })
    }

    /// A camera's life: capture, sign, publish, every [`FRAME_INTERVAL`].
    fn run_camera(&self, index: usize) {
        let Some(camera) = self.cameras.get(index) else {
            return;
        };
        let mut next = Instant::now();
        for frame_no in 0u64.. {
            if let Err(e) = camera.capture_all(frame_no, now_us()) {
                eprintln!("camera {}: {e}; it stops", camera.look.name);
                return;
            }
            next += FRAME_INTERVAL;
            let now = Instant::now();
            match next.checked_duration_since(now) {
                Some(wait) => thread::sleep(wait),
                None => next = now, // fell behind: carry on, never burst
            }
        }
    }
}

impl FrameCache for Hub {
    fn camera_count(&self) -> usize {
        self.cameras.len()
    }

    fn cached(&self, camera: usize) -> Vec<(u64, Arc<[u8]>)> {
        self.cameras
            .get(camera)
            .map(|c| c.feed().recent.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::{DropReason, LinkedKey, Policy, Verifier};

    const T0: u64 = 1_700_000_000_000_000;

    fn hub() -> Hub {
        Hub::with_keys(&[([1; 32], [1; 16]), ([2; 32], [2; 16]), ([3; 32], [3; 16])])
    }

    /// Every frame waiting in a viewer's queue.
    fn queued(frames: &mut Receiver<Arc<[u8]>>) -> Vec<Arc<[u8]>> {
        std::iter::from_fn(|| frames.try_recv().ok()).collect()
    }

    fn frame(tag: u8) -> Arc<[u8]> {
        Arc::from(vec![tag; 4])
    }

    fn verifier(key: &[u8; 32], stream: Option<[u8; 16]>) -> Verifier {
        let policy = Policy {
            stream_id: stream,
            ..Policy::default()
        };
        Verifier::new(LinkedKey::from_bytes(key).unwrap(), policy).unwrap()
    }

    #[test]
    fn a_captured_frame_is_a_signed_jpeg_keyframe_of_that_camera() {
        let hub = hub();
        let mut porch = hub.subscribe(1, None, None, T0).unwrap();
        hub.cameras()[1].capture_all(0, T0).unwrap();
        let bytes = porch.frames.try_recv().unwrap();
        let mut display = verifier(&hub.cameras()[1].public_key(), None);
        let accepted = display.verify(&bytes, T0 as i64).unwrap();
        assert!(accepted.header.keyframe);
        assert_eq!(accepted.header.codec, Codec::Jpeg);
        assert_eq!(accepted.header.stream_id, [2; 16]);
        assert!(accepted.payload.starts_with(&[0xFF, 0xD8, 0xFF]));
        let mut other = verifier(&hub.cameras()[0].public_key(), None);
        assert!(other.verify(&bytes, T0 as i64).is_err());
    }

    #[test]
    fn cameras_have_distinct_keys_and_slugs() {
        let hub = hub();
        assert_eq!(hub.find("porch"), Some(1));
        assert_eq!(hub.find("attic"), None);
        let keys: Vec<_> = hub.cameras().iter().map(|c| c.public_key()).collect();
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    }

    #[test]
    fn a_session_viewer_gets_only_its_stream_and_the_cache_keeps_every_stream() {
        let hub = hub();
        let session = [9; 16];
        let mut bound = hub.subscribe(0, Some(session), None, T0).unwrap();
        let mut plain = hub.subscribe(0, None, None, T0).unwrap();
        hub.cameras()[0].capture_all(0, T0).unwrap();
        let mut display = verifier(&hub.cameras()[0].public_key(), Some(session));
        let mine = bound.frames.try_recv().unwrap();
        assert!(bound.frames.try_recv().is_err());
        assert!(display.verify(&mine, T0 as i64).is_ok());
        let theirs = plain.frames.try_recv().unwrap();
        assert_eq!(theirs[frameseal::frame::layout::STREAM_ID], [1; 16]);
        // The other session's frame, fresh and genuine, is not this one's.
        assert_eq!(
            display.verify(&theirs, T0 as i64).unwrap_err(),
            DropReason::WrongStream
        );
        assert_eq!(hub.cameras()[0].feed().recent.len(), 2);
    }

    #[test]
    fn a_rotation_reaches_every_stream_first_and_old_keys_get_the_chain() {
        let hub = hub();
        let camera = &hub.cameras()[2];
        let first = camera.public_key();
        let session = [7; 16];
        let mut watching = hub.subscribe(2, Some(session), None, T0).unwrap();
        let mut display = verifier(&first, Some(session));
        camera.capture_all(0, T0).unwrap();
        let rotated = camera
            .rotate(Signer::from_secret(&[4; 32], [3; 16]), T0)
            .unwrap();
        assert_eq!((rotated.old_key, rotated.streams), (first, 2));
        camera.capture_all(1, T0 + 1).unwrap();
        let got = queued(&mut watching.frames);
        assert_eq!(got.len(), 3);
        assert!(display.verify(&got[0], T0 as i64).is_ok());
        let rotation = display.verify(&got[1], T0 as i64).unwrap();
        assert_eq!(rotation.header.codec, Codec::KeyRotation);
        assert_eq!(display.linked_key().as_bytes(), &rotated.new_key);
        assert!(display.verify(&got[2], T0 as i64 + 1).is_ok());
        assert_eq!(camera.public_key(), rotated.new_key);
        // Twice more; a display that still holds the first key gets the
        // whole chain, in order, on its own stream.
        camera
            .rotate(Signer::from_secret(&[5; 32], [3; 16]), T0 + 2)
            .unwrap();
        camera
            .rotate(Signer::from_secret(&[6; 32], [3; 16]), T0 + 3)
            .unwrap();
        let late = hub
            .subscribe(2, Some([8; 16]), Some(&first), T0 + 4)
            .unwrap();
        assert_eq!(late.chain.len(), 3);
        let mut reloaded = verifier(&first, Some([8; 16]));
        for frame in &late.chain {
            assert!(reloaded.verify(frame, T0 as i64 + 4).is_ok());
        }
        assert_eq!(reloaded.linked_key().as_bytes(), &camera.public_key());
        // A key the camera never had gets nothing.
        assert!(
            hub.subscribe(2, None, Some(&[42; 32]), T0)
                .unwrap()
                .chain
                .is_empty()
        );
    }

    #[test]
    fn viewers_get_new_frames_and_gone_viewers_are_forgotten() {
        let hub = hub();
        let camera = &hub.cameras()[0];
        let mut first = hub.subscribe(0, None, None, T0).unwrap().frames;
        let mut second = hub.subscribe(0, None, None, T0).unwrap().frames;
        let mut porch = hub.subscribe(1, None, None, T0).unwrap().frames;
        camera.publish(T0, &[([1; 16], frame(1))], true);
        assert_eq!(*first.try_recv().unwrap(), [1; 4]);
        assert_eq!(*second.try_recv().unwrap(), [1; 4]);
        assert!(porch.try_recv().is_err());
        drop(second);
        camera.publish(T0 + 1, &[([1; 16], frame(2))], true);
        assert_eq!(camera.feed().viewers.len(), 1);
        assert_eq!(*first.try_recv().unwrap(), [2; 4]);
        assert!(hub.subscribe(7, None, None, T0).is_none());
    }

    #[test]
    fn a_slow_viewer_skips_frames_instead_of_growing_a_queue() {
        let hub = hub();
        let mut slow = hub.subscribe(2, None, None, T0).unwrap().frames;
        for i in 0..100 {
            hub.cameras()[2].publish(T0 + i, &[([3; 16], frame(i as u8))], true);
        }
        assert_eq!(queued(&mut slow).len(), VIEWER_QUEUE);
    }

    #[test]
    fn the_cache_keeps_thirty_seconds() {
        let hub = hub();
        let camera = &hub.cameras()[0];
        for i in 0..=200u64 {
            camera.publish(T0 + i * 200_000, &[([1; 16], frame(i as u8))], true);
        }
        let feed = camera.feed();
        let (oldest, newest) = (
            feed.recent.front().unwrap().0,
            feed.recent.back().unwrap().0,
        );
        assert_eq!(newest - oldest, KEEP_US);
        assert_eq!(feed.recent.len(), 151);
        drop(feed);
        // Many sessions at once: the cache stays bounded.
        let many: Vec<([u8; 16], Arc<[u8]>)> = (0..50u8).map(|i| ([i; 16], frame(i))).collect();
        for i in 0..20u64 {
            camera.publish(T0 + 40_000_000 + i * 200_000, &many, true);
        }
        assert_eq!(camera.feed().recent.len(), MAX_CACHED);
    }

    #[test]
    fn the_mixup_finds_other_cameras_and_aged_frames() {
        let hub = hub();
        assert!(hub.other_camera_frame(0, 0).is_none());
        for i in 0..100u8 {
            for camera in 0..3u8 {
                let tagged: Arc<[u8]> = Arc::from(vec![camera, i]);
                hub.cameras()[usize::from(camera)].publish(
                    T0 + u64::from(i) * 200_000,
                    &[([0; 16], tagged)],
                    true,
                );
            }
        }
        let now = T0 + 99 * 200_000;
        // Another camera's newest frame, never this camera's.
        let picks: Vec<[u8; 2]> = (0..4)
            .map(|p| {
                hub.other_camera_frame(0, p).unwrap()[..]
                    .try_into()
                    .unwrap()
            })
            .collect();
        assert_eq!(picks, [[1, 99], [2, 99], [1, 99], [2, 99]]);
        // Frames 11–15 s old are frames 25..=44 (15 s old is excluded).
        let mut seen = Vec::new();
        for pick in 0..50 {
            let f = hub
                .own_frame_aged(0, now, 11_000_000..15_000_000, pick)
                .unwrap();
            assert_eq!(f[0], 0);
            assert!((25..=44).contains(&f[1]), "{}", f[1]);
            seen.push(f[1]);
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 20, "every fitting frame can be picked");
        assert!(
            hub.own_frame_aged(0, now, 40_000_000..50_000_000, 0)
                .is_none()
        );
    }
}
