//! The live cameras as Low-Latency HLS with fMP4, as Home Assistant and
//! mediamtx serve them to hls.js: a live playlist per camera, its init
//! segment (`#EXT-X-MAP`), segments of one GOP (2 s, each starting on a
//! keyframe) and `#EXT-X-PART` parts of [`PART_FRAMES`] frames, all made
//! of the camera's one-frame fragments concatenated. No blocking reload:
//! players poll.
//!
//! ```text
//! GET /hls/{camera}/live.m3u8        the playlist
//! GET /hls/{camera}/init.mp4         the init segment
//! GET /hls/{camera}/seg/{msn}.m4s    a segment (media sequence number msn)
//! GET /hls/{camera}/part/{msn}.{i}.m4s   part i of segment msn
//! ```
//!
//! Faults, decided per segment so that every player (and every request
//! for a part or the whole segment) gets the same bytes:
//! - **mix-up**: every third segment (msn % 3 == 1) and its parts are the
//!   other home's latest whole GOP, sample for sample in their place
//!   (decode times rewritten to this camera's);
//! - **oldparts**: every third segment (msn % 3 == 2) and its parts are
//!   this camera's segment msn − 2, in the place of msn.
//!
//! The server counts the samples it served in place of the camera's own,
//! by kind, once per position ([`HlsInjected`], `GET /api/live`).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use crate::faults::Faults;
use crate::live::{Fragment, GOP, LiveCamera, Stream};
use crate::mp4box::set_decode_time;

/// Frames per part (1/3 s at 15 fps).
pub const PART_FRAMES: usize = 5;
/// Whole segments the playlist lists (12 s).
pub const WINDOW: usize = 6;
/// Of those, the newest that also list their parts.
const WITH_PARTS: usize = 3;

/// One GOP of a camera: its media sequence number and its fragments.
#[derive(Clone, Debug)]
pub struct Segment {
    pub msn: u64,
    pub fragments: Vec<Fragment>,
}

impl Segment {
    fn complete(&self) -> bool {
        self.fragments.len() >= GOP as usize
    }
}

/// A camera's cached fragments cut into segments at keyframes; the
/// segment number is the keyframe's seq divided by [`GOP`] (the encoder
/// puts a keyframe exactly every GOP frames). Fragments before the first
/// keyframe are left out.
pub fn segments(recent: &[Fragment]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for fragment in recent {
        if fragment.keyframe {
            let msn = fragment.seq / u64::from(GOP);
            if out.last().is_some_and(|s| s.msn >= msn) {
                continue;
            }
            out.push(Segment {
                msn,
                fragments: Vec::new(),
            });
        }
        if let Some(segment) = out.last_mut()
            && segment.fragments.len() < GOP as usize
        {
            segment.fragments.push(fragment.clone());
        }
    }
    out
}

/// Which samples were served in place of a camera's own.
#[derive(Default)]
pub struct HlsInjected {
    /// `(msn, position)` served from the other home.
    foreign: HashSet<(u64, usize)>,
    /// `(msn, position)` served from an earlier segment.
    old: HashSet<(u64, usize)>,
}

impl HlsInjected {
    /// `(foreign, old)` sample counts.
    pub fn counts(&self) -> (usize, usize) {
        (self.foreign.len(), self.old.len())
    }
}

/// A camera's HLS side: the counts of what its faults served.
#[derive(Default)]
pub struct Hls {
    injected: Mutex<HlsInjected>,
}

fn seconds(duration: u64, timescale: u32) -> f64 {
    duration as f64 / f64::from(timescale.max(1))
}

impl Hls {
    /// `(foreign, old)` samples served so far.
    pub fn counts(&self) -> (usize, usize) {
        self.injected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counts()
    }

    /// The live playlist of `camera`, or `None` before its first whole
    /// segment.
    pub fn playlist(&self, camera: &LiveCamera) -> Option<String> {
        let stream = camera.stream()?;
        let all = segments(&camera.recent());
        let (mut done, current): (Vec<&Segment>, Vec<&Segment>) =
            all.iter().partition(|s| s.complete());
        let current = current
            .last()
            .copied()
            .filter(|c| c.msn > done.last().map_or(0, |d| d.msn))
            .filter(|c| c.fragments.len() >= PART_FRAMES);
        // The playlist always ends in a segment still being made (parts,
        // no EXTINF), as a live packager's does: until the next segment
        // has a whole part, the newest whole one is listed that way.
        let trailing = match current {
            Some(current) => current,
            None => done.pop()?,
        };
        let done = &done[done.len().saturating_sub(WINDOW)..];
        // hls.js refuses a playlist without a whole segment.
        let first = done.first()?;
        let frame = first.fragments.first()?.duration;
        let part_target = seconds(frame * PART_FRAMES as u64, stream.timescale);
        let mut out = format!(
            "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:{}\n\
             #EXT-X-PART-INF:PART-TARGET={part_target:.3}\n\
             #EXT-X-SERVER-CONTROL:PART-HOLD-BACK={:.3}\n\
             #EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-MAP:URI=\"init.mp4\"\n",
            (seconds(frame * u64::from(GOP), stream.timescale)).ceil() as u64,
            part_target * 3.0 + 0.001,
            first.msn
        );
        let parts_from = done.len().saturating_sub(WITH_PARTS);
        for (i, segment) in done.iter().enumerate() {
            if i >= parts_from {
                out.push_str(&parts(segment, stream.timescale, false));
            }
            let duration: u64 = segment.fragments.iter().map(|f| f.duration).sum();
            out.push_str(&format!(
                "#EXTINF:{:.3},\nseg/{}.m4s\n",
                seconds(duration, stream.timescale),
                segment.msn
            ));
        }
        out.push_str(&parts(trailing, stream.timescale, true));
        Some(out)
    }

    /// The init segment.
    pub fn init(camera: &LiveCamera) -> Option<Stream> {
        camera.stream()
    }

    /// Segment `msn` (`part: None`) or its part `part`, as served under
    /// `faults`: the camera's own fragments, or in their place the other
    /// home's (mix-up) or earlier ones (old parts).
    pub fn media(
        &self,
        camera: &LiveCamera,
        other: Option<&LiveCamera>,
        msn: u64,
        part: Option<usize>,
        faults: Faults,
    ) -> Option<Vec<u8>> {
        let own = segments(&camera.recent());
        let segment = own.iter().find(|s| s.msn == msn)?;
        let range = match part {
            None if segment.complete() => 0..segment.fragments.len(),
            None => return None,
            Some(i) => {
                let range = i * PART_FRAMES..(i + 1) * PART_FRAMES;
                if range.end > segment.fragments.len() {
                    return None;
                }
                range
            }
        };
        let mixed = faults.mixup && msn % 3 == 1;
        let old = faults.old_parts && msn % 3 == 2;
        let source: Option<Vec<Fragment>> = if mixed {
            other.and_then(|o| {
                segments(&o.recent())
                    .into_iter()
                    .rev()
                    .find(Segment::complete)
                    .map(|s| s.fragments)
            })
        } else if old {
            own.iter()
                .find(|s| s.msn + 2 == msn && s.complete())
                .map(|s| s.fragments.clone())
        } else {
            None
        };
        let mut out = Vec::new();
        for position in range {
            let mine = segment.fragments.get(position)?;
            match source.as_ref().and_then(|s| s.get(position)) {
                Some(substitute) => {
                    let mut bytes = substitute.bytes.to_vec();
                    set_decode_time(&mut bytes, mine.decode_time).ok()?;
                    out.extend_from_slice(&bytes);
                    let mut injected = self.injected.lock().unwrap_or_else(PoisonError::into_inner);
                    if mixed {
                        injected.foreign.insert((msn, position));
                    } else {
                        injected.old.insert((msn, position));
                    }
                }
                None => out.extend_from_slice(&mine.bytes),
            }
        }
        Some(out)
    }
}

/// The `#EXT-X-PART` lines of `segment`'s complete parts.
fn parts(segment: &Segment, timescale: u32, current: bool) -> String {
    let mut out = String::new();
    for (i, part) in segment.fragments.chunks(PART_FRAMES).enumerate() {
        if part.len() < PART_FRAMES && current {
            break;
        }
        let duration: u64 = part.iter().map(|f| f.duration).sum();
        let independent = if part.first().is_some_and(|f| f.keyframe) {
            ",INDEPENDENT=YES"
        } else {
            ""
        };
        out.push_str(&format!(
            "#EXT-X-PART:DURATION={:.3},URI=\"part/{}.{i}.m4s\"{independent}\n",
            seconds(duration, timescale),
            segment.msn
        ));
    }
    out
}

/// `{msn}.m4s` → `(msn, None)`, `{msn}.{i}.m4s` → `(msn, Some(i))`.
pub fn parse_name(name: &str, with_part: bool) -> Option<(u64, Option<usize>)> {
    let stem = name.strip_suffix(".m4s")?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit());
    if with_part {
        let (msn, part) = stem.split_once('.')?;
        (digits(msn) && digits(part))
            .then(|| Some((msn.parse().ok()?, Some(part.parse().ok()?))))?
    } else {
        digits(stem).then(|| stem.parse().ok().map(|m| (m, None)))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn fragment(seq: u64) -> Fragment {
        Fragment {
            seq,
            keyframe: seq.is_multiple_of(u64::from(GOP)),
            decode_time: seq * 1024,
            duration: 1024,
            sample: 0..0,
            bytes: Arc::from(vec![seq as u8]),
        }
    }

    #[test]
    fn segments_start_at_keyframes_and_skip_what_comes_before() {
        let recent: Vec<Fragment> = (25..100).map(fragment).collect();
        let s = segments(&recent);
        assert_eq!(s.iter().map(|s| s.msn).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(s[0].fragments.first().unwrap().seq, 30);
        assert!(s[0].complete() && s[1].complete() && !s[2].complete());
        assert_eq!(s[2].fragments.len(), 10);
    }

    use crate::live::{LIVE_LOOKS, LiveCamera};
    use frameseal::fmp4::InitSegment;

    fn cameras() -> (LiveCamera, LiveCamera) {
        let home = LiveCamera::from_fixture(
            LIVE_LOOKS[0],
            "home",
            &[
                "home0.m4s",
                "home1.m4s",
                "home2.m4s",
                "home3.m4s",
                "home4.m4s",
            ],
        );
        let next = LiveCamera::from_fixture(LIVE_LOOKS[1], "nextdoor", &["nextdoor.m4s"]);
        (home, next)
    }

    /// `(seq, decode_time)` of every one-frame fragment in `bytes`, read
    /// by the core's parser.
    fn samples(camera: &LiveCamera, bytes: &[u8]) -> Vec<(u64, u64)> {
        let init = InitSegment::parse(&camera.stream().unwrap().init).unwrap();
        let mut splitter = crate::mp4box::Splitter::default();
        splitter
            .push(bytes)
            .unwrap()
            .into_iter()
            .map(|piece| {
                let crate::mp4box::Piece::Fragment(f) = piece else {
                    panic!("fragments only")
                };
                let d = crate::live::describe(&init, Arc::from(f)).unwrap();
                (d.seq, d.decode_time)
            })
            .collect()
    }

    #[test]
    fn the_playlist_lists_whole_segments_and_ends_in_parts() {
        let (home, _) = cameras();
        let msns: Vec<u64> = segments(&home.recent()).iter().map(|s| s.msn).collect();
        assert_eq!(msns.len(), 5);
        let text = home.hls.playlist(&home).unwrap();
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n"));
        assert!(text.contains(&format!("#EXT-X-MEDIA-SEQUENCE:{}\n", msns[0])));
        // All five are whole; with no newer part, the newest is listed as parts only.
        for msn in &msns[..4] {
            assert!(
                text.contains(&format!("#EXTINF:2.000,\nseg/{msn}.m4s\n")),
                "{text}"
            );
        }
        assert!(!text.contains(&format!("seg/{}.m4s", msns[4])));
        assert!(
            text.ends_with(&format!("URI=\"part/{}.5.m4s\"\n", msns[4])),
            "{text}"
        );
    }

    #[test]
    fn the_mixup_and_old_parts_serve_other_samples_at_the_asked_times() {
        let (home, next) = cameras();
        let all = segments(&home.recent());
        let mixed = all.iter().find(|s| s.msn % 3 == 1).unwrap();
        let own = |msn: u64, part| {
            home.hls
                .media(&home, Some(&next), msn, part, Faults::default())
                .unwrap()
        };
        let faults = Faults {
            mixup: true,
            ..Faults::default()
        };
        // Part 1 of the mixed segment: the other home's frames 5..10 at the home's times.
        let asked = samples(&home, &own(mixed.msn, Some(1)));
        let served = home
            .hls
            .media(&home, Some(&next), mixed.msn, Some(1), faults)
            .unwrap();
        let got = samples(&home, &served);
        let theirs = &segments(&next.recent())[0].fragments;
        assert_eq!(got.len(), 5);
        for (i, ((seq, time), (_, asked_time))) in got.iter().zip(&asked).enumerate() {
            assert_eq!(*seq, theirs[5 + i].seq);
            assert_eq!(time, asked_time);
        }
        assert_eq!(home.hls.counts(), (5, 0));
        // A segment the mix-up does not pick is the camera's own.
        let plain = all.iter().find(|s| s.msn % 3 != 1).unwrap();
        assert_eq!(
            home.hls.media(&home, Some(&next), plain.msn, None, faults),
            Some(own(plain.msn, None))
        );
        // Old parts: segment msn is served from msn - 2, at msn's times.
        let faults = Faults {
            old_parts: true,
            ..Faults::default()
        };
        // Five consecutive segments hold one whose msn - 2 is there too.
        let late = all
            .iter()
            .find(|s| s.msn % 3 == 2 && all.iter().any(|o| o.msn + 2 == s.msn))
            .unwrap();
        {
            let got = samples(
                &home,
                &home.hls.media(&home, None, late.msn, None, faults).unwrap(),
            );
            let asked = samples(&home, &own(late.msn, None));
            let earlier = &all
                .iter()
                .find(|s| s.msn + 2 == late.msn)
                .unwrap()
                .fragments;
            assert_eq!(got.len(), 30);
            for (i, ((seq, time), (_, asked_time))) in got.iter().zip(&asked).enumerate() {
                assert_eq!((*seq, time), (earlier[i].seq, asked_time));
            }
            assert_eq!(home.hls.counts(), (5, 30));
        }
        // Nothing for a segment or part that is not there.
        assert_eq!(home.hls.media(&home, None, 1 << 40, None, faults), None);
        assert_eq!(
            home.hls.media(&home, None, mixed.msn, Some(6), faults),
            None
        );
    }

    #[test]
    fn names_are_numbers_only() {
        assert_eq!(parse_name("12.m4s", false), Some((12, None)));
        assert_eq!(parse_name("12.3.m4s", true), Some((12, Some(3))));
        for (bad, part) in [
            ("12.m4s", true),
            ("1.2.m4s", false),
            ("-1.m4s", false),
            (".m4s", false),
            ("1.x.m4s", true),
        ] {
            assert_eq!(parse_name(bad, part), None, "{bad}");
        }
    }

    #[test]
    fn parts_are_listed_whole_and_the_first_is_independent() {
        let segment = Segment {
            msn: 4,
            fragments: (120..132).map(fragment).collect(),
        };
        let listed = parts(&segment, 15360, true);
        assert_eq!(
            listed,
            "#EXT-X-PART:DURATION=0.333,URI=\"part/4.0.m4s\",INDEPENDENT=YES\n\
             #EXT-X-PART:DURATION=0.333,URI=\"part/4.1.m4s\"\n"
        );
    }
}
