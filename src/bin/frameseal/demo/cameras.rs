//! The simulated cameras and the relay's frame cache.
//!
//! Each camera has its own device key and a random stream id for this run,
//! and five times a second renders a picture, encodes it as JPEG and signs
//! it (a keyframe, codec jpeg). The [`Hub`] keeps the last 30 s of every
//! camera's frames — the cache the mix-up fault reaches into — and fans each
//! new frame out to the camera's viewers.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use frameseal::{Codec, FrameSpec, Signer};

use crate::demo::faults::FrameCache;
use crate::demo::render;
use crate::error::CliError;
use crate::{random, time};

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
/// Frames queued for one viewer; beyond that the relay skips frames for it.
const VIEWER_QUEUE: usize = 32;

#[derive(Default)]
struct Feed {
    /// `(captured_us, frame)`, oldest first.
    recent: VecDeque<(u64, Arc<[u8]>)>,
    viewers: Vec<SyncSender<Arc<[u8]>>>,
}

/// One camera as the relay knows it.
pub struct Camera {
    pub look: Look,
    pub public_key: [u8; 32],
    feed: Mutex<Feed>,
}

impl Camera {
    fn feed(&self) -> MutexGuard<'_, Feed> {
        // A viewer thread that panicked cannot leave a Feed half-updated
        // in a way that matters here; keep serving.
        self.feed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every camera, its cache and its viewers.
pub struct Hub {
    cameras: Vec<Camera>,
}

/// Renders, encodes and signs frame `frame_no` of `look` at `now_us`.
pub fn capture(
    signer: &mut Signer,
    look: &Look,
    frame_no: u64,
    now_us: u64,
) -> Result<Vec<u8>, String> {
    let jpeg = render::picture(look.name, look.colour, frame_no, now_us)
        .jpeg()
        .map_err(|e| format!("JPEG encoding failed: {e}"))?;
    let spec = FrameSpec {
        keyframe: true,
        codec: Codec::Jpeg,
        ..FrameSpec::at(now_us)
    };
    signer
        .sign_frame(&jpeg, &spec)
        .map_err(|e| format!("signing failed: {e}"))
}

impl Hub {
    /// A hub for cameras with these secret keys and stream ids (one per
    /// [`LOOKS`] entry), and their signers.
    fn with_keys(keys: &[([u8; 32], [u8; 16])]) -> (Hub, Vec<Signer>) {
        let signers: Vec<Signer> = keys
            .iter()
            .map(|(secret, stream)| Signer::from_secret(secret, *stream))
            .collect();
        let cameras = LOOKS
            .iter()
            .zip(&signers)
            .map(|(look, signer)| Camera {
                look: *look,
                public_key: *signer.public_key(),
                feed: Mutex::new(Feed::default()),
            })
            .collect();
        (Hub { cameras }, signers)
    }

    /// Every camera with a fresh key, each capturing on its own thread.
    pub fn start() -> Result<Arc<Hub>, CliError> {
        let keys = LOOKS
            .iter()
            .map(|_| Ok((random::bytes::<32>()?, random::bytes::<16>()?)))
            .collect::<Result<Vec<_>, CliError>>()?;
        let (hub, signers) = Hub::with_keys(&keys);
        let hub = Arc::new(hub);
        for (index, signer) in signers.into_iter().enumerate() {
            let hub = Arc::clone(&hub);
            thread::Builder::new()
                .name(format!("camera-{index}"))
                .spawn(move || hub.run_camera(index, signer))
                .map_err(CliError::Spawn)?;
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

    /// A queue of `camera`'s new frames for one viewer.
    pub fn subscribe(&self, camera: usize) -> Option<Receiver<Arc<[u8]>>> {
        let (tx, rx) = mpsc::sync_channel(VIEWER_QUEUE);
        self.cameras.get(camera)?.feed().viewers.push(tx);
        Some(rx)
    }

    /// Caches a new frame of `camera` and hands it to its viewers.
    fn publish(&self, camera: usize, captured_us: u64, frame: Arc<[u8]>) {
        let Some(camera) = self.cameras.get(camera) else {
            return;
        };
        let mut feed = camera.feed();
        while feed
            .recent
            .front()
            .is_some_and(|(at, _)| captured_us.saturating_sub(*at) > KEEP_US)
        {
            feed.recent.pop_front();
        }
        feed.recent.push_back((captured_us, Arc::clone(&frame)));
        feed.viewers
            .retain(|viewer| match viewer.try_send(Arc::clone(&frame)) {
                Ok(()) | Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            });
    }

    /// A camera's life: capture, sign, publish, every [`FRAME_INTERVAL`].
    fn run_camera(&self, index: usize, mut signer: Signer) {
        let Some(look) = self.cameras.get(index).map(|c| c.look) else {
            return;
        };
        let mut next = Instant::now();
        for frame_no in 0u64.. {
            let now_us = time::now_us();
            match capture(&mut signer, &look, frame_no, now_us) {
                Ok(frame) => self.publish(index, now_us, frame.into()),
                Err(e) => {
                    eprintln!("camera {}: {e}; it stops", look.name);
                    return;
                }
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
    fn other_camera_frame(&self, camera: usize, pick: u64) -> Option<Arc<[u8]>> {
        let others: Vec<&Camera> = (0..self.cameras.len())
            .filter(|i| *i != camera)
            .filter_map(|i| self.cameras.get(i))
            .collect();
        let other = others.get((pick % others.len().max(1) as u64) as usize)?;
        other.feed().recent.back().map(|(_, f)| Arc::clone(f))
    }

    fn own_frame_aged(
        &self,
        camera: usize,
        now_us: u64,
        ages: Range<u64>,
        pick: u64,
    ) -> Option<Arc<[u8]>> {
        let feed = self.cameras.get(camera)?.feed();
        let fits = |(at, _): &&(u64, Arc<[u8]>)| ages.contains(&now_us.saturating_sub(*at));
        let count = feed.recent.iter().filter(fits).count();
        if count == 0 {
            return None;
        }
        feed.recent
            .iter()
            .filter(fits)
            .nth((pick % count as u64) as usize)
            .map(|(_, f)| Arc::clone(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::{LinkedKey, Policy, Verifier};

    const T0: u64 = 1_700_000_000_000_000;

    fn hub() -> (Hub, Vec<Signer>) {
        Hub::with_keys(&[([1; 32], [1; 16]), ([2; 32], [2; 16]), ([3; 32], [3; 16])])
    }

    fn frame(tag: u8) -> Arc<[u8]> {
        Arc::from(vec![tag; 4])
    }

    #[test]
    fn a_captured_frame_is_a_signed_jpeg_keyframe_of_that_camera() {
        let (hub, mut signers) = hub();
        let bytes = capture(&mut signers[1], &LOOKS[1], 0, T0).unwrap();
        let key = LinkedKey::from_bytes(&hub.cameras()[1].public_key).unwrap();
        let mut display = Verifier::new(key, Policy::default()).unwrap();
        let accepted = display.verify(&bytes, T0 as i64).unwrap();
        assert!(accepted.header.keyframe);
        assert_eq!(accepted.header.codec, Codec::Jpeg);
        assert_eq!(accepted.header.stream_id, [2; 16]);
        assert!(accepted.payload.starts_with(&[0xFF, 0xD8, 0xFF]));
        let other = LinkedKey::from_bytes(&hub.cameras()[0].public_key).unwrap();
        assert!(
            Verifier::new(other, Policy::default())
                .unwrap()
                .verify(&bytes, T0 as i64)
                .is_err()
        );
    }

    #[test]
    fn cameras_have_distinct_keys_and_slugs() {
        let (hub, _) = hub();
        assert_eq!(hub.find("porch"), Some(1));
        assert_eq!(hub.find("attic"), None);
        let keys: Vec<_> = hub.cameras().iter().map(|c| c.public_key).collect();
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    }

    #[test]
    fn viewers_get_new_frames_and_gone_viewers_are_forgotten() {
        let (hub, _) = hub();
        let first = hub.subscribe(0).unwrap();
        let second = hub.subscribe(0).unwrap();
        let porch = hub.subscribe(1).unwrap();
        hub.publish(0, T0, frame(1));
        assert_eq!(*first.try_recv().unwrap(), [1; 4]);
        assert_eq!(*second.try_recv().unwrap(), [1; 4]);
        assert!(porch.try_recv().is_err());
        drop(second);
        hub.publish(0, T0 + 1, frame(2));
        assert_eq!(hub.cameras()[0].feed().viewers.len(), 1);
        assert_eq!(*first.try_recv().unwrap(), [2; 4]);
        assert!(hub.subscribe(7).is_none());
    }

    #[test]
    fn a_slow_viewer_skips_frames_instead_of_growing_a_queue() {
        let (hub, _) = hub();
        let slow = hub.subscribe(2).unwrap();
        for i in 0..100 {
            hub.publish(2, T0 + i, frame(i as u8));
        }
        assert_eq!(slow.try_iter().count(), VIEWER_QUEUE);
    }

    #[test]
    fn the_cache_keeps_thirty_seconds() {
        let (hub, _) = hub();
        for i in 0..=200u64 {
            hub.publish(0, T0 + i * 200_000, frame(i as u8));
        }
        let feed = hub.cameras()[0].feed();
        let (oldest, newest) = (
            feed.recent.front().unwrap().0,
            feed.recent.back().unwrap().0,
        );
        assert_eq!(newest - oldest, KEEP_US);
        assert_eq!(feed.recent.len(), 151);
    }

    #[test]
    fn the_mixup_finds_other_cameras_and_aged_frames() {
        let (hub, _) = hub();
        assert!(hub.other_camera_frame(0, 0).is_none());
        for i in 0..100u8 {
            for camera in 0..3u8 {
                let tagged: Arc<[u8]> = Arc::from(vec![camera, i]);
                hub.publish(usize::from(camera), T0 + u64::from(i) * 200_000, tagged);
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
