//! The live cameras over WebSocket, the way go2rtc's `mse` mode sends them:
//! a text message `{"type": "mse", "value": "<codec string>"}`, then the
//! init segment, then one `moof`+`mdat` per frame, each a binary message.
//! Like go2rtc's per-viewer muxer, the relay numbers each viewer's stream
//! from decode time 0 (every fragment it sends gets the next `tfdt`), and
//! it starts a viewer on a keyframe.
//!
//! On the way, the relay's faults ([`LiveLink`], pure and seeded):
//! - **mix-up**: now and then the other home's fragments, from its latest
//!   keyframe to its newest frame (a naive player shows that home);
//! - **replay**: a fragment this viewer was sent 0.5–8 s earlier, again;
//! - **loss**: drops a fragment; **reordering**: sends one after the next;
//! - **tamper**: flips a byte inside a slice NAL unit of the sample;
//! - **blackhole**: sends nothing.
//!
//! After every fragment that a fault touched, the relay sends the viewer
//! what it injected so far on this connection as a text message
//! `{"type": "injected", "counts": {"foreign", "replayed", "lost",
//! "reordered", "tampered"}}` (go2rtc's players ignore types they do not
//! know), so a page can compare its gate's counts with the relay's.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::faults::{Faults, Percent, Rng};
use crate::live::{FPS, Fragment, LiveCamera, Stream};
use crate::mp4box::{set_decode_time, tamper_slice};
use crate::server::Server;
use frameseal_native::{now_us, random_bytes};

/// Per genuine fragment, the mix-up starts a burst of the other home's
/// fragments this often (about every 2 s at 15 fps).
pub const MIXUP_BURST_PERCENT: Percent = Percent(3);
/// Per genuine fragment, the replay fault resends an earlier one this often.
pub const REPLAY_PERCENT: Percent = Percent(6);
/// The loss fault drops this share of the genuine fragments.
pub const LIVE_LOSS_PERCENT: Percent = Percent(8);
/// The reordering fault holds this share back behind the next one.
pub const LIVE_REORDERING_PERCENT: Percent = Percent(8);
/// The tamper fault damages this share of the genuine fragments.
pub const TAMPER_PERCENT: Percent = Percent(6);
/// How far back a replayed fragment comes from, in frames (0.5–8 s).
const REPLAY_BACK: std::ops::Range<usize> = (FPS as usize / 2)..(8 * FPS as usize);

/// What the faults did on one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Injected {
    /// The other home's fragments sent.
    pub foreign: u64,
    /// Fragments sent again.
    pub replayed: u64,
    /// Genuine fragments dropped.
    pub lost: u64,
    /// Genuine fragments sent after the next one.
    pub reordered: u64,
    /// Genuine fragments sent with a flipped slice byte.
    pub tampered: u64,
}

impl Injected {
    pub fn to_json(self) -> Value {
        json!({
            "foreign": self.foreign, "replayed": self.replayed, "lost": self.lost,
            "reordered": self.reordered, "tampered": self.tampered,
        })
    }
}

/// The relay's path to one viewer of one live camera.
pub struct LiveLink {
    rng: Rng,
    held: Option<Fragment>,
    /// Genuine fragments sent intact, newest last (what replay picks from).
    sent: VecDeque<Fragment>,
    pub injected: Injected,
}

impl LiveLink {
    pub fn new(seed: u64) -> LiveLink {
        LiveLink {
            rng: Rng::new(seed),
            held: None,
            sent: VecDeque::new(),
            injected: Injected::default(),
        }
    }

    /// What the viewer gets, in order, for one genuine fragment under
    /// `faults`; `other` is the other home's cache, oldest first.
    pub fn push(
        &mut self,
        fragment: Fragment,
        faults: Faults,
        other: &[Fragment],
        nal_length_size: usize,
    ) -> Vec<Fragment> {
        let mut out = Vec::new();
        if faults.mixup
            && self.rng.percent(MIXUP_BURST_PERCENT)
            && let Some(start) = other.iter().rposition(|f| f.keyframe)
        {
            out.extend(other[start..].iter().cloned());
            self.injected.foreign += (other.len() - start) as u64;
        }
        let late = self.held.take();
        if faults.loss && self.rng.percent(LIVE_LOSS_PERCENT) {
            self.injected.lost += 1;
        } else if faults.tamper && self.rng.percent(TAMPER_PERCENT) {
            let mut bytes = fragment.bytes.to_vec();
            let pick = self.rng.next_u64();
            if tamper_slice(&mut bytes, fragment.sample.clone(), nal_length_size, pick).is_ok() {
                self.injected.tampered += 1;
                out.push(Fragment {
                    bytes: Arc::from(bytes),
                    ..fragment
                });
            } else {
                self.deliver(&mut out, fragment);
            }
        } else if faults.reordering && late.is_none() && self.rng.percent(LIVE_REORDERING_PERCENT) {
            self.injected.reordered += 1;
            self.held = Some(fragment);
        } else {
            self.deliver(&mut out, fragment);
        }
        if let Some(late) = late {
            self.deliver(&mut out, late);
        }
        if faults.replay && self.rng.percent(REPLAY_PERCENT) && self.sent.len() > REPLAY_BACK.start
        {
            let back = self
                .rng
                .in_range(REPLAY_BACK.start as u64..REPLAY_BACK.end.min(self.sent.len()) as u64);
            if let Some(old) = self.sent.get(self.sent.len() - 1 - back as usize) {
                out.push(old.clone());
                self.injected.replayed += 1;
            }
        }
        out
    }

    /// Sends `fragment` intact and remembers it for the replay fault.
    fn deliver(&mut self, out: &mut Vec<Fragment>, fragment: Fragment) {
        self.sent.push_back(fragment.clone());
        while self.sent.len() > REPLAY_BACK.end {
            self.sent.pop_front();
        }
        out.push(fragment);
    }
}

/// A viewer's stream times: every fragment sent gets the next decode time.
struct Timeline {
    next: u64,
}

impl Timeline {
    /// `fragment`'s bytes with this viewer's next decode time.
    fn place(&mut self, fragment: &Fragment) -> Option<Vec<u8>> {
        let mut bytes = fragment.bytes.to_vec();
        set_decode_time(&mut bytes, self.next).ok()?;
        self.next += fragment.duration.max(1);
        Some(bytes)
    }
}

async fn send_text(socket: &mut WebSocket, value: &Value) -> Option<()> {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .ok()
}

async fn send_binary(socket: &mut WebSocket, bytes: Vec<u8>) -> Option<()> {
    socket.send(Message::Binary(Bytes::from(bytes))).await.ok()
}

/// Serves live camera `camera` to the viewer on `socket` until it goes.
pub async fn serve(mut socket: WebSocket, camera: usize, server: Arc<Server>) {
    let _ = serve_inner(&mut socket, camera, &server).await;
}

async fn serve_inner(socket: &mut WebSocket, index: usize, server: &Server) -> Option<()> {
    let camera: &LiveCamera = server.live.cameras().get(index)?;
    if let Some(problem) = camera.problem() {
        send_text(socket, &json!({ "type": "error", "value": problem })).await?;
        return None;
    }
    let mut fragments = camera.subscribe();
    // The first keyframe after the init segment is there.
    let (stream, first): (Stream, Fragment) = loop {
        let fragment = match fragments.recv().await {
            Ok(f) => f,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return None,
        };
        if let (true, Some(stream)) = (fragment.keyframe, camera.stream()) {
            break (stream, fragment);
        }
    };
    send_text(socket, &json!({ "type": "mse", "value": stream.mime })).await?;
    send_binary(socket, stream.init.to_vec()).await?;
    let other = server
        .live
        .cameras()
        .iter()
        .enumerate()
        .find(|(i, _)| *i != index)
        .map(|(_, c)| c);
    let seed = random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| now_us());
    let mut link = LiveLink::new(seed);
    let mut timeline = Timeline { next: 0 };
    let mut next = Some(first);
    loop {
        let fragment = match next.take() {
            Some(f) => f,
            None => tokio::select! {
                got = fragments.recv() => match got {
                    Ok(f) => f,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                message = socket.recv() => match message {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                    Some(Ok(_)) => continue,
                },
            },
        };
        let faults = server.faults();
        if faults.blackhole {
            continue;
        }
        let before = link.injected;
        let theirs = other.map(LiveCamera::recent).unwrap_or_default();
        for out in link.push(fragment, faults, &theirs, stream.nal_length_size) {
            if let Some(bytes) = timeline.place(&out) {
                send_binary(socket, bytes).await?;
            }
        }
        if link.injected != before {
            let counts = json!({ "type": "injected", "counts": link.injected.to_json() });
            send_text(socket, &counts).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(seq: u64, keyframe: bool) -> Fragment {
        Fragment {
            seq,
            keyframe,
            decode_time: seq * 1024,
            duration: 1024,
            sample: 0..0,
            bytes: Arc::from(vec![seq as u8]),
        }
    }

    /// Runs `n` genuine fragments (a keyframe every 30) through a link;
    /// returns the seqs sent (the other home's as 10_000 + seq) and the counts.
    fn run(faults: Faults, n: u64) -> (Vec<u64>, Injected) {
        let other: Vec<Fragment> = (0..45).map(|s| fragment(10_000 + s, s % 30 == 0)).collect();
        let mut link = LiveLink::new(7);
        let mut sent = Vec::new();
        for seq in 0..n {
            for f in link.push(fragment(seq, seq % 30 == 0), faults, &other, 4) {
                sent.push(f.seq);
            }
        }
        (sent, link.injected)
    }

    #[test]
    fn without_faults_every_fragment_goes_once_in_order() {
        let (sent, injected) = run(Faults::default(), 300);
        assert_eq!(sent, (0..300).collect::<Vec<_>>());
        assert_eq!(injected, Injected::default());
    }

    #[test]
    fn each_fault_injects_what_it_counts() {
        let (sent, i) = run(Faults::only("mixup"), 600);
        let foreign = sent.iter().filter(|s| **s >= 10_000).count() as u64;
        assert!(foreign > 0 && foreign == i.foreign, "{i:?}");
        // Each burst starts at the other home's latest keyframe (seq 30).
        assert!(
            sent.windows(2)
                .all(|w| w[1] < 10_000 || w[0] >= 10_000 || w[1] == 10_030)
        );

        let (sent, i) = run(Faults::only("loss"), 600);
        assert!(i.lost > 0 && sent.len() as u64 == 600 - i.lost, "{i:?}");

        let (sent, i) = run(Faults::only("replay"), 600);
        assert!(
            i.replayed > 0 && sent.len() as u64 == 600 + i.replayed,
            "{i:?}"
        );
        let mut seen = std::collections::HashSet::new();
        let again = sent.iter().filter(|s| !seen.insert(**s)).count() as u64;
        assert_eq!(again, i.replayed);

        let (sent, i) = run(Faults::only("reordering"), 600);
        let late = sent.windows(2).filter(|w| w[1] < w[0]).count() as u64;
        assert!(i.reordered > 0 && late == i.reordered, "{i:?}");
        let mut sorted = sent.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..600).collect::<Vec<_>>());
    }

    /// The home camera of tests/fixtures/demo, its key, and a verifier of
    /// one unit as MSE gets it (avcC layout, no age limits: the fixture's
    /// seals carry the time it was made).
    fn fixture() -> (
        LiveCamera,
        impl Fn(&[u8]) -> Result<u64, frameseal::DropReason>,
    ) {
        use frameseal::inband::{Layout, UnitCodec, UnitFormat};
        use frameseal::{LinkedKey, Policy, Verifier};
        let camera = LiveCamera::from_fixture(
            crate::live::LIVE_LOOKS[0],
            "home",
            &["home0.m4s", "home1.m4s"],
        );
        let keys = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/demo/keys.txt"),
        )
        .unwrap();
        let key = keys
            .lines()
            .find_map(|l| l.strip_prefix("home "))
            .map(|h| <[u8; 32]>::try_from(hex::decode(h).unwrap()).unwrap())
            .unwrap();
        let format = UnitFormat::new(UnitCodec::H264, Layout::Avcc { nal_length_size: 4 }).unwrap();
        let verify = move |unit: &[u8]| {
            let policy = Policy {
                max_age_us: None,
                max_future_skew_us: None,
                ..Policy::default()
            };
            let mut v = Verifier::new(LinkedKey::from_bytes(&key).unwrap(), policy).unwrap();
            v.try_verify_unit(unit, format, None, 0)
                .unwrap()
                .map(|a| a.header.seq)
        };
        (camera, verify)
    }

    #[test]
    fn a_tampered_sample_is_a_bad_signature_for_every_frame_of_the_demo() {
        let (camera, verify) = fixture();
        let fragments = camera.recent();
        assert_eq!(fragments.len(), 60);
        let mut sizes = Vec::new();
        for (i, f) in fragments.iter().enumerate() {
            let sample = &f.bytes[f.sample.clone()];
            assert_eq!(verify(sample), Ok(f.seq), "fragment {i} as made");
            for pick in [0, 7, 1 << 40] {
                let mut bytes = f.bytes.to_vec();
                tamper_slice(&mut bytes, f.sample.clone(), 4, pick).unwrap();
                assert_eq!(
                    verify(&bytes[f.sample.clone()]),
                    Err(frameseal::DropReason::BadSignature),
                    "fragment {i} tampered (pick {pick})"
                );
            }
            sizes.push(f.sample.len());
        }
        assert!(
            sizes.iter().any(|n| *n < 400),
            "small P slices were tampered too"
        );
    }

    #[test]
    fn the_timeline_gives_each_fragment_sent_the_next_decode_time() {
        let (camera, _) = fixture();
        let fragments = camera.recent();
        let init = frameseal::fmp4::InitSegment::parse(&camera.stream().unwrap().init).unwrap();
        let mut timeline = Timeline { next: 0 };
        // A replay and a stranger's fragment take the next slot like any other.
        let order = [0, 1, 2, 1, 40, 3];
        let mut want = 0;
        for i in order {
            let bytes = timeline.place(&fragments[i]).unwrap();
            let placed = crate::live::describe(&init, Arc::from(bytes)).unwrap();
            assert_eq!((placed.seq, placed.decode_time), (fragments[i].seq, want));
            want += fragments[i].duration;
        }
        assert_eq!(timeline.next, want);
    }

    #[test]
    fn the_timeline_numbers_what_it_sends_from_zero() {
        let mut timeline = Timeline { next: 0 };
        assert!(
            timeline.place(&fragment(5, true)).is_none(),
            "not an fMP4 fragment"
        );
        assert_eq!(timeline.next, 0);
    }
}
