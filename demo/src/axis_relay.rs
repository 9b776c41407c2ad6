//! The Axis camera: a recording signed by Axis Signed Video
//! (`tests/fixtures/signed-video/axis_signed_test_h264.mp4`, 256 pictures
//! in GOPs of 62 at 25 fps) played in a loop through the relay, one access
//! unit per WebSocket message, at its frame rate.
//!
//! The viewer gets, per loop, a text message `{"type": "loop", "loop": n}`
//! (a loop is a new stream: the page starts a new validation, since the
//! recording's hash chain does not run from its end back to its start), then
//! each access unit as a binary message: a 9-byte header (the loop, u32;
//! the picture of the recording it stands in for, counted from 0 in decode
//! order, u32; flags, u8: 1 a picture, 2 an IDR picture; big-endian), then
//! the access unit in Annex B. The header is the relay's, unchecked, like
//! an RTP timestamp: the page uses it to time and to name what it shows.
//!
//! The relay's faults ([`AxisLink`], pure and seeded), each hitting one GOP
//! of a loop (not the first, not the last), picked anew per loop:
//! - **mix-up**: the GOP of another signed camera in place of this one (the
//!   same scene from a moment before or after, signed by another key:
//!   `frameseal_rsa_signed_h264.h264`, the reference library's RSA test key);
//! - **tamper**: one byte of one picture's slice changed;
//! - **loss**: two pictures of the GOP dropped;
//! - **blackhole**: nothing is sent (the loops go on).
//!
//! Before a GOP a fault touched, the relay says so in a text message
//! `{"type": "fault", "loop", "gop", "fault": "mixup" | "tamper" | "loss",
//! "firstFrame", "frames", "otherFirstFrame" (mix-up: the other camera's
//! first picture), "frame" (tamper and loss: the pictures hit)}`, so a page
//! can put the relay's account beside its verdicts.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tokio::time::{MissedTickBehavior, interval};

use crate::faults::{Faults, Rng};
use crate::recording::{Recording, RecordingError, Unit};
use crate::server::Server;
use frameseal_native::{now_us, random_bytes};

/// The recording's frame rate (its `stts`: 25 fps).
pub const FPS: u64 = 25;
/// The genuine recording and the other camera's, under the web root.
pub const GENUINE: &str = "tests/fixtures/signed-video/axis_signed_test_h264.mp4";
pub const OTHER: &str = "tests/fixtures/signed-video/frameseal_rsa_signed_h264.h264";
/// The GOPs a fault may hit: not the first (a viewer starts there) and not
/// the last (8 pictures).
pub const FAULT_GOPS: Range<u64> = 1..4;
/// How many pictures the loss fault drops in its GOP.
pub const LOST_PICTURES: usize = 2;
/// Header flag: the unit holds a picture.
pub const FLAG_PICTURE: u8 = 1;
/// Header flag: the picture is an IDR picture.
pub const FLAG_KEYFRAME: u8 = 2;

/// The two recordings the feed plays.
#[derive(Debug)]
pub struct AxisFeed {
    pub genuine: Recording,
    pub other: Recording,
}

impl AxisFeed {
    /// Reads both recordings under `root` (the repository).
    pub fn load(root: &Path) -> Result<AxisFeed, RecordingError> {
        Ok(AxisFeed {
            genuine: Recording::read(&root.join(GENUINE))?,
            other: Recording::read(&root.join(OTHER))?,
        })
    }

    /// The first picture of the genuine recording's GOP `gop`.
    pub fn first_frame(&self, gop: usize) -> u32 {
        (0..gop).map(|g| self.genuine.pictures_in(g) as u32).sum()
    }
}

/// One access unit on its way, with the picture it stands in for.
#[derive(Clone, Debug)]
pub struct Sent {
    pub frame: u32,
    pub unit: Unit,
}

/// What a fault did to a GOP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GopFault {
    /// The other camera's GOP `other_gop` was sent in its place.
    MixUp { other_gop: usize, other_first: u32 },
    /// A byte of picture `frame` was changed.
    Tampered { frame: u32 },
    /// These pictures were dropped.
    Lost { frames: Vec<u32> },
}

impl GopFault {
    /// The fault's name, as the fault switches spell it.
    pub fn name(&self) -> &'static str {
        match self {
            GopFault::MixUp { .. } => "mixup",
            GopFault::Tampered { .. } => "tamper",
            GopFault::Lost { .. } => "loss",
        }
    }
}

/// The relay's path to one viewer of the Axis camera.
pub struct AxisLink {
    rng: Rng,
    /// The GOP each fault hits in this loop.
    mixup_gop: usize,
    tamper_gop: usize,
    loss_gop: usize,
}

impl AxisLink {
    pub fn new(seed: u64) -> AxisLink {
        let mut link = AxisLink {
            rng: Rng::new(seed),
            mixup_gop: 0,
            tamper_gop: 0,
            loss_gop: 0,
        };
        link.start_loop();
        link
    }

    /// Picks the GOPs the faults hit in the next loop: mix-up and tamper
    /// in different GOPs, so each shows on its own.
    pub fn start_loop(&mut self) {
        let span = FAULT_GOPS.end - FAULT_GOPS.start;
        self.mixup_gop = self.rng.in_range(FAULT_GOPS.clone()) as usize;
        let skip = self.rng.in_range(1..span);
        self.tamper_gop =
            (FAULT_GOPS.start + (self.mixup_gop as u64 - FAULT_GOPS.start + skip) % span) as usize;
        self.loss_gop = self.rng.in_range(FAULT_GOPS.clone()) as usize;
    }

    /// What the viewer gets for GOP `gop` of the recording under `faults`,
    /// and what the faults did to it.
    pub fn gop(
        &mut self,
        feed: &AxisFeed,
        gop: usize,
        faults: Faults,
    ) -> (Vec<Sent>, Vec<GopFault>) {
        let first = feed.first_frame(gop);
        let Some(range) = feed.genuine.gops.get(gop).cloned() else {
            return (Vec::new(), Vec::new());
        };
        let mut done = Vec::new();
        let other_gop = (gop + 1) % 3;
        if faults.mixup && gop == self.mixup_gop && other_gop < feed.other.gops.len() {
            let other_first: u32 = (0..other_gop)
                .map(|g| feed.other.pictures_in(g) as u32)
                .sum();
            done.push(GopFault::MixUp {
                other_gop,
                other_first,
            });
            let units = &feed.other.units[feed.other.gops[other_gop].clone()];
            return (numbered(units, first), done);
        }
        let mut sent = numbered(&feed.genuine.units[range], first);
        if faults.tamper && gop == self.tamper_gop {
            let pick = self.rng.next_u64();
            if let Some(frame) = tamper(&mut sent, pick) {
                done.push(GopFault::Tampered { frame });
            }
        }
        if faults.loss && gop == self.loss_gop {
            let frames = self.lose(&mut sent);
            if !frames.is_empty() {
                done.push(GopFault::Lost { frames });
            }
        }
        (sent, done)
    }

    /// Drops [`LOST_PICTURES`] P pictures (units of slices alone: no SEI
    /// goes with them); returns their pictures.
    fn lose(&mut self, sent: &mut Vec<Sent>) -> Vec<u32> {
        let mut frames = Vec::new();
        for _ in 0..LOST_PICTURES {
            let candidates: Vec<usize> = (0..sent.len())
                .filter(|&i| plain_p_picture(&sent[i].unit))
                .collect();
            if candidates.is_empty() {
                break;
            }
            let i = candidates[self.rng.in_range(0..candidates.len() as u64) as usize];
            frames.push(sent.remove(i).frame);
        }
        frames.sort_unstable();
        frames
    }
}

/// `units` numbered by picture from `first`; a unit without a picture gets
/// the number of the picture after it.
fn numbered(units: &[Unit], first: u32) -> Vec<Sent> {
    let mut frame = first;
    units
        .iter()
        .map(|unit| {
            let sent = Sent {
                frame,
                unit: unit.clone(),
            };
            frame += u32::from(unit.picture);
            sent
        })
        .collect()
}

/// Whether `unit` is one P picture's slices and nothing else.
fn plain_p_picture(unit: &Unit) -> bool {
    unit.picture
        && !unit.keyframe
        && frameseal::signed_video::annexb_nal_units(&unit.bytes)
            .iter()
            .all(|n| n.first().is_some_and(|b| (1..=4).contains(&(b & 0x1f))))
}

/// Bytes of a slice NAL unit not changed: its header and the first bytes
/// of its slice header.
const SLICE_HEADER_SKIP: usize = 8;
/// A slice must be this long to be tampered (room in its data).
const MIN_TAMPER_SLICE: usize = 64;

/// Changes one byte in the slice data of one P picture of `sent` (the
/// `pick`-th that is long enough): flips its low bit, choosing a byte of at
/// least 0x10 so that no start code or emulation prevention can appear.
/// Returns the picture changed.
fn tamper(sent: &mut [Sent], pick: u64) -> Option<u32> {
    let candidates: Vec<usize> = (0..sent.len())
        .filter(|&i| sent[i].unit.picture && !sent[i].unit.keyframe)
        .filter(|&i| sent[i].unit.bytes.len() >= MIN_TAMPER_SLICE + SLICE_HEADER_SKIP)
        .collect();
    let &i = candidates.get((pick % candidates.len().max(1) as u64) as usize)?;
    let mut bytes = sent[i].unit.bytes.to_vec();
    // The last slice NAL unit's start, past its start code.
    let start = bytes
        .windows(4)
        .rposition(|w| w[..3] == [0, 0, 1] && (1..=5).contains(&(w[3] & 0x1f)))?
        + 3;
    let from = start + SLICE_HEADER_SKIP + (bytes.len() - start - SLICE_HEADER_SKIP) / 3;
    let at = (from..bytes.len()).find(|&k| bytes[k] >= 0x10)?;
    bytes[at] ^= 1;
    sent[i].unit = Unit {
        bytes: Arc::from(bytes),
        ..sent[i].unit.clone()
    };
    Some(sent[i].frame)
}

/// The 9-byte header and the access unit: one binary message.
fn message(loop_n: u32, sent: &Sent) -> Vec<u8> {
    let mut flags = 0;
    if sent.unit.picture {
        flags |= FLAG_PICTURE;
    }
    if sent.unit.keyframe {
        flags |= FLAG_KEYFRAME;
    }
    let mut out = Vec::with_capacity(9 + sent.unit.bytes.len());
    out.extend_from_slice(&loop_n.to_be_bytes());
    out.extend_from_slice(&sent.frame.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&sent.unit.bytes);
    out
}

/// The relay's account of a fault, for the viewer.
fn fault_json(loop_n: u32, gop: usize, feed: &AxisFeed, fault: &GopFault) -> Value {
    let mut value = json!({
        "type": "fault", "loop": loop_n, "gop": gop, "fault": fault.name(),
        "firstFrame": feed.first_frame(gop), "frames": feed.genuine.pictures_in(gop),
    });
    match fault {
        GopFault::MixUp { other_first, .. } => value["otherFirstFrame"] = json!(other_first),
        GopFault::Tampered { frame } => value["frame"] = json!([frame]),
        GopFault::Lost { frames } => value["frame"] = json!(frames),
    }
    value
}

async fn send_text(socket: &mut WebSocket, value: &Value) -> Option<()> {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .ok()
}

/// Serves the Axis camera to the viewer on `socket` until it goes.
pub async fn serve(mut socket: WebSocket, server: Arc<Server>) {
    let _ = serve_inner(&mut socket, &server).await;
}

async fn serve_inner(socket: &mut WebSocket, server: &Server) -> Option<()> {
    let feed = match &server.axis {
        Ok(feed) => Arc::clone(feed),
        Err(problem) => {
            send_text(socket, &json!({ "type": "error", "value": problem })).await?;
            return None;
        }
    };
    let seed = random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| now_us());
    let mut link = AxisLink::new(seed);
    let mut ticker = interval(Duration::from_micros(1_000_000 / FPS));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for loop_n in 0u32.. {
        link.start_loop();
        if !server.faults().blackhole {
            send_text(socket, &json!({ "type": "loop", "loop": loop_n })).await?;
        }
        for gop in 0..feed.genuine.gops.len() {
            let faults = server.faults();
            let (sent, done) = link.gop(&feed, gop, faults);
            for fault in &done {
                if !faults.blackhole {
                    send_text(socket, &fault_json(loop_n, gop, &feed, fault)).await?;
                }
            }
            for unit in sent {
                if unit.unit.picture {
                    tokio::select! {
                        _ = ticker.tick() => {}
                        message = socket.recv() => match message {
                            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                            Some(Ok(_)) => {}
                        },
                    }
                }
                if server.faults().blackhole {
                    continue;
                }
                socket
                    .send(Message::Binary(Bytes::from(message(loop_n, &unit))))
                    .await
                    .ok()?;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::signed_video::{
        GopVerdict, StreamValidator, Trust, TrustedKey, annexb_nal_units,
    };

    fn feed() -> AxisFeed {
        AxisFeed::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap()
    }

    /// One loop through a link: what was sent and what the faults did.
    fn one_loop(
        feed: &AxisFeed,
        link: &mut AxisLink,
        faults: Faults,
    ) -> (Vec<Sent>, Vec<(usize, GopFault)>) {
        link.start_loop();
        let mut all = Vec::new();
        let mut done = Vec::new();
        for gop in 0..feed.genuine.gops.len() {
            let (sent, faults) = link.gop(feed, gop, faults);
            all.extend(sent);
            done.extend(faults.into_iter().map(|f| (gop, f)));
        }
        (all, done)
    }

    /// The verdicts of a stream of `sent`, trusting the genuine camera's key.
    fn verdicts(feed: &AxisFeed, sent: &[Sent]) -> Vec<(u64, GopVerdict)> {
        let key = TrustedKey::from_spki_der(&feed.genuine.spki).unwrap();
        let mut validator =
            StreamValidator::with_trust(frameseal::signed_video::Codec::H264, Trust::Key(key));
        for s in sent {
            for nal in annexb_nal_units(&s.unit.bytes) {
                let _ = validator.push_nal(nal);
            }
        }
        validator
            .finish()
            .iter()
            .map(|r| (r.first_frame, r.verdict))
            .collect()
    }

    #[test]
    fn without_faults_a_loop_is_the_recording_and_every_gop_is_authentic() {
        let feed = feed();
        let mut link = AxisLink::new(1);
        let (sent, done) = one_loop(&feed, &mut link, Faults::default());
        assert!(done.is_empty());
        assert_eq!(sent.len(), feed.genuine.units.len());
        let frames: Vec<u32> = sent
            .iter()
            .filter(|s| s.unit.picture)
            .map(|s| s.frame)
            .collect();
        assert_eq!(frames, (0..256).collect::<Vec<_>>());
        let v = verdicts(&feed, &sent);
        assert_eq!(v.len(), 5);
        assert!(v.iter().all(|(_, v)| *v == GopVerdict::Authentic), "{v:?}");
    }

    #[test]
    fn each_fault_hits_one_middle_gop_per_loop_and_it_is_never_authentic() {
        let feed = feed();
        for (name, seed) in [("mixup", 3), ("tamper", 4), ("loss", 5)] {
            let mut link = AxisLink::new(seed);
            for _ in 0..6 {
                let (sent, done) = one_loop(&feed, &mut link, Faults::only(name));
                assert_eq!(done.len(), 1, "{name}: {done:?}");
                let (gop, fault) = &done[0];
                assert!(FAULT_GOPS.contains(&(*gop as u64)), "{name}");
                assert_eq!(fault.name(), name);
                let first = u64::from(feed.first_frame(*gop));
                let v = verdicts(&feed, &sent);
                let hit = v.iter().find(|(f, _)| *f == first).map(|(_, v)| *v);
                assert!(
                    hit.is_some_and(|v| v != GopVerdict::Authentic),
                    "{name}: GOP {gop} {v:?}"
                );
                // The GOP before a mixed-up one loses its signature (the
                // next GOP's SEI carries it): only GOP 0 may then fail.
                if !(name == "mixup" && *gop == 1) {
                    assert_eq!(
                        v[0],
                        (0, GopVerdict::Authentic),
                        "{name}: the first GOP plays"
                    );
                }
                if let GopFault::MixUp { other_first, .. } = fault {
                    assert_ne!(
                        u64::from(*other_first),
                        first,
                        "another moment of the scene"
                    );
                }
            }
        }
    }

    #[test]
    fn mixup_and_tamper_hit_different_gops() {
        let feed = feed();
        let mut faults = Faults::only("mixup");
        faults.tamper = true;
        let mut link = AxisLink::new(9);
        for _ in 0..20 {
            let (_, done) = one_loop(&feed, &mut link, faults);
            assert_eq!(done.len(), 2, "{done:?}");
            assert_ne!(done[0].0, done[1].0);
        }
    }

    #[test]
    fn the_header_names_the_loop_the_picture_and_its_kind() {
        let feed = feed();
        let sent = numbered(&feed.genuine.units[0..2], 0);
        let m = message(7, &sent[0]);
        assert_eq!(&m[..9], &[0, 0, 0, 7, 0, 0, 0, 0, 3]);
        assert_eq!(&m[9..], &*feed.genuine.units[0].bytes);
        assert_eq!(message(7, &sent[1])[4..9], [0, 0, 0, 1, 1]);
    }
}
