//! The live H.264 cameras: real video from a real encoder, sealed in-band,
//! as fragmented MP4 with one fragment per frame, the way go2rtc and
//! LL-HLS servers carry it.
//!
//! Per camera the demo starts two ffmpeg processes:
//!
//! ```text
//! ffmpeg -re -f lavfi -i color+drawbox … -c:v libx264 … -f h264 pipe:1     (the encoder)
//!   → this process: Annex B access units, each sealed by the camera's Signer
//!     (SPEC §6.3: an SEI before the first slice; seq in decode order)
//!   → ffmpeg -f h264 -i pipe:0 -c copy -f mp4 -movflags +frag_every_frame… (the remuxer)
//!   → this process: the init segment and one moof+mdat per frame
//! ```
//!
//! The remuxer keeps the seal SEI inside each sample (tests/relay_hops.rs
//! shows `-c copy` does). Each camera keeps its init segment and the last
//! [`KEEP`] fragments (what the mix-up and replay faults reach into) and
//! broadcasts every new fragment to its viewers ([`crate::live_relay`],
//! [`crate::hls`]). Without ffmpeg on PATH the cameras say so
//! ([`LiveCamera::problem`]) and the page shows it; nothing else stops.
//! The child processes end when the demo does: their pipes close (the
//! encoder's stdout, the remuxer's stdin), and [`Live::stop`] kills them
//! when the server stops on its own.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use frameseal::fmp4::{InitSegment, MediaSegment};
use frameseal::inband::elementary::annexb_access_units;
use frameseal::inband::{self, Layout, UnitCodec, UnitFormat};
use frameseal::{FrameSpec, Signer};
use tokio::sync::broadcast;

use crate::error::DemoError;
use crate::hls::Hls;
use crate::mp4box::{Piece, Splitter};
use frameseal_native::{now_us, random_bytes};

/// A live camera's name and the colour that fills its picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveLook {
    /// URL-safe id (`/ws/live/home`).
    pub slug: &'static str,
    pub name: &'static str,
    pub colour: [u8; 3],
}

/// The linked home camera and another home's, hues ~160° apart.
pub const LIVE_LOOKS: [LiveLook; 2] = [
    LiveLook {
        slug: "home",
        name: "Front door",
        colour: [38, 84, 200],
    },
    LiveLook {
        slug: "nextdoor",
        name: "Next door",
        colour: [214, 106, 24],
    },
];

/// Frames per second of the live cameras.
pub const FPS: u32 = 15;
/// Frames from one keyframe to the next (2 s).
pub const GOP: u32 = 30;
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 360;
/// Points of the picture that only ever show the camera's colour (the
/// moving boxes stay above y = 200): where a test reads whose picture a
/// `<video>` shows.
pub const PLAIN_POINTS: [(u32, u32); 3] = [(60, 300), (320, 280), (580, 320)];
/// Fragments a camera keeps (30 s).
pub const KEEP: usize = (30 * FPS) as usize;
/// Fragments queued for one viewer before it starts to miss them.
const BROADCAST_QUEUE: usize = 64;

/// One frame as fragmented MP4 (`moof`+`mdat`, one sample), with what its
/// seal says.
#[derive(Clone, Debug)]
pub struct Fragment {
    /// The seal's seq (decode order).
    pub seq: u64,
    pub keyframe: bool,
    /// The sample's decode time and duration, in the track's timescale.
    pub decode_time: u64,
    pub duration: u64,
    /// Where the sample is in `bytes`.
    pub sample: std::ops::Range<usize>,
    pub bytes: Arc<[u8]>,
}

/// A camera's init segment and what the relay reads from it.
#[derive(Clone, Debug)]
pub struct Stream {
    pub init: Arc<[u8]>,
    /// The MSE codec string, `video/mp4; codecs="avc1.PPCCLL"`.
    pub mime: String,
    pub timescale: u32,
    pub nal_length_size: usize,
}

#[derive(Default)]
struct State {
    stream: Option<Stream>,
    recent: VecDeque<Fragment>,
    problem: Option<String>,
}

/// One live camera: its key, its stream and its viewers.
pub struct LiveCamera {
    pub look: LiveLook,
    public_key: [u8; 32],
    state: Mutex<State>,
    tx: broadcast::Sender<Fragment>,
    /// What the LL-HLS faults served of this camera.
    pub hls: Hls,
}

impl LiveCamera {
    fn new(look: LiveLook, public_key: [u8; 32]) -> LiveCamera {
        LiveCamera {
            look,
            public_key,
            state: Mutex::new(State::default()),
            tx: broadcast::channel(BROADCAST_QUEUE).0,
            hls: Hls::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// Why the camera does not stream, if it does not.
    pub fn problem(&self) -> Option<String> {
        self.state().problem.clone()
    }

    /// The init segment, once the remuxer has written it.
    pub fn stream(&self) -> Option<Stream> {
        self.state().stream.clone()
    }

    /// The cached fragments, oldest first.
    pub fn recent(&self) -> Vec<Fragment> {
        self.state().recent.iter().cloned().collect()
    }

    /// New fragments from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Fragment> {
        self.tx.subscribe()
    }

    fn fail(&self, problem: String) {
        eprintln!("live camera {}: {problem}", self.look.name);
        self.state().problem.get_or_insert(problem);
    }

    /// A camera that streams the demo fixture `name` (tests/fixtures/demo/:
    /// `home` or `nextdoor`, made by tools/make-demo-fixtures.sh), for tests.
    #[cfg(test)]
    pub fn from_fixture(look: LiveLook, name: &str, segments: &[&str]) -> LiveCamera {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/demo");
        let read = |file: &str| std::fs::read(dir.join(file)).unwrap();
        let init_bytes = read(&format!("{name}-init.mp4"));
        let init = InitSegment::parse(&init_bytes).unwrap();
        let camera = LiveCamera::new(look, [0; 32]);
        camera.state().stream = Some(Stream {
            mime: mime_of(init.config()).unwrap(),
            timescale: init.timescale(),
            nal_length_size: usize::from(init.nal_length_size().unwrap()),
            init: Arc::from(init_bytes),
        });
        for file in segments {
            let mut splitter = Splitter::default();
            for piece in splitter.push(&read(file)).unwrap() {
                let Piece::Fragment(bytes) = piece else {
                    panic!("a segment holds fragments only")
                };
                camera.publish(describe(&init, Arc::from(bytes)).unwrap());
            }
        }
        camera
    }

    fn publish(&self, fragment: Fragment) {
        let mut state = self.state();
        state.recent.push_back(fragment.clone());
        while state.recent.len() > KEEP {
            state.recent.pop_front();
        }
        drop(state);
        // No viewer is not an error.
        let _ = self.tx.send(fragment);
    }
}

/// Every live camera and the ffmpeg processes behind them.
pub struct Live {
    cameras: Vec<LiveCamera>,
    children: Mutex<Vec<Child>>,
}

impl Live {
    /// Cameras that stream nothing (for tests of the routes).
    #[cfg(test)]
    pub fn idle(problem: &str) -> Live {
        let cameras = LIVE_LOOKS
            .iter()
            .enumerate()
            .map(|(i, look)| {
                let camera = LiveCamera::new(*look, [i as u8 + 1; 32]);
                camera.state().problem = Some(problem.to_string());
                camera
            })
            .collect();
        Live {
            cameras,
            children: Mutex::new(Vec::new()),
        }
    }

    /// Every camera with a fresh key and its two ffmpeg processes; a
    /// camera whose ffmpeg cannot start says why instead.
    pub fn start() -> Result<Arc<Live>, DemoError> {
        let mut signers = Vec::new();
        let mut cameras = Vec::new();
        for look in LIVE_LOOKS {
            let signer = Signer::from_secret(&random_bytes::<32>()?, random_bytes::<16>()?);
            cameras.push(LiveCamera::new(look, *signer.public_key()));
            signers.push(signer);
        }
        let live = Arc::new(Live {
            cameras,
            children: Mutex::new(Vec::new()),
        });
        for (index, signer) in signers.into_iter().enumerate() {
            if let Err(problem) = live.run(index, signer)
                && let Some(camera) = live.cameras.get(index)
            {
                camera.fail(problem);
            }
        }
        Ok(live)
    }

    pub fn cameras(&self) -> &[LiveCamera] {
        &self.cameras
    }

    /// The index of the camera whose slug is `slug`.
    pub fn find(&self, slug: &str) -> Option<usize> {
        self.cameras.iter().position(|c| c.look.slug == slug)
    }

    /// Kills the ffmpeg processes.
    pub fn stop(&self) {
        let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        for child in children.iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        children.clear();
    }

    /// Starts camera `index`'s encoder, remuxer and the two threads between.
    fn run(self: &Arc<Live>, index: usize, signer: Signer) -> Result<(), String> {
        let look = LIVE_LOOKS.get(index).ok_or("no such camera")?;
        let mut encoder = spawn(&encoder_args(look), Stdio::null())?;
        let encoded = encoder.stdout.take().ok_or("the encoder has no stdout")?;
        let mut remuxer = match spawn(&remuxer_args(), Stdio::piped()) {
            Ok(child) => child,
            Err(e) => {
                let _ = encoder.kill();
                return Err(e);
            }
        };
        let (Some(to_remuxer), Some(remuxed)) = (remuxer.stdin.take(), remuxer.stdout.take())
        else {
            return Err("the remuxer has no pipes".to_string());
        };
        self.children
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend([encoder, remuxer]);
        let live = Arc::clone(self);
        thread::Builder::new()
            .name(format!("live-seal-{index}"))
            .spawn(move || {
                if let Err(e) = seal_units(encoded, to_remuxer, signer) {
                    live.cameras[index].fail(e);
                }
            })
            .map_err(|e| e.to_string())?;
        let live = Arc::clone(self);
        thread::Builder::new()
            .name(format!("live-mux-{index}"))
            .spawn(move || {
                let camera = &live.cameras[index];
                if let Err(e) = read_fragments(remuxed, camera) {
                    camera.fail(e);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The encoder: a plain picture of the camera's colour with two boxes
/// moving across its top half, H.264 at [`FPS`], a keyframe every [`GOP`]
/// frames and no B-frames, in real time, as an Annex B stream on stdout.
fn encoder_args(look: &LiveLook) -> Vec<String> {
    let [r, g, b] = look.colour;
    let source = format!(
        "color=c=0x{r:02x}{g:02x}{b:02x}:size={WIDTH}x{HEIGHT}:rate={FPS},\
         drawbox=x='mod(t*160\\,{})':y=30:w=80:h=80:color=white:t=fill,\
         drawbox=x='{}-mod(t*90\\,{})':y=120:w=48:h=48:color=black:t=fill",
        WIDTH - 80,
        WIDTH - 48,
        WIDTH - 48
    );
    [
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        &source,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-bf",
        "0",
        "-g",
        &GOP.to_string(),
        "-keyint_min",
        &GOP.to_string(),
        "-sc_threshold",
        "0",
        "-threads",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "h264",
        "pipe:1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The remuxer: Annex B on stdin, fragmented MP4 with one fragment per
/// frame on stdout, copied (no re-encoding), without waiting to probe.
fn remuxer_args() -> Vec<String> {
    [
        "-hide_banner",
        "-v",
        "error",
        "-probesize",
        "32",
        "-analyzeduration",
        "0",
        "-fflags",
        "+nobuffer+genpts",
        "-f",
        "h264",
        "-framerate",
        &FPS.to_string(),
        "-i",
        "pipe:0",
        "-c",
        "copy",
        "-f",
        "mp4",
        "-movflags",
        "+frag_every_frame+empty_moov+default_base_moof",
        "-flush_packets",
        "1",
        "pipe:1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Starts `ffmpeg args` with its stdout piped.
fn spawn(args: &[String], stdin: Stdio) -> Result<Child, String> {
    Command::new("ffmpeg")
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => {
                "ffmpeg is not installed (not found on PATH): the live H.264 tiles need it \
                 (apt install ffmpeg)"
                    .to_string()
            }
            _ => format!("cannot start ffmpeg: {e}"),
        })
}

/// Reads the encoder's Annex B stream, seals every access unit as it
/// completes (the last one held until the next begins) and writes it to
/// the remuxer.
fn seal_units(
    mut encoded: ChildStdout,
    mut to_remuxer: ChildStdin,
    mut signer: Signer,
) -> Result<(), String> {
    let format = UnitFormat::new(UnitCodec::H264, Layout::AnnexB).map_err(|e| e.to_string())?;
    let mut pending = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    let mut seq = 0u64;
    loop {
        let n = encoded
            .read(&mut chunk)
            .map_err(|e| format!("reading the encoder: {e}"))?;
        if n == 0 {
            return Err("the encoder stopped".to_string());
        }
        pending.extend_from_slice(&chunk[..n]);
        // A cut that fails (a NAL header not all there yet) waits for more.
        let Ok(units) = annexb_access_units(&pending, UnitCodec::H264) else {
            if pending.len() > crate::mp4box::MAX_PENDING {
                return Err("the encoder wrote something that is not H.264".to_string());
            }
            continue;
        };
        let Some((_, complete)) = units.split_last() else {
            continue;
        };
        let mut sealed = Vec::new();
        let mut used = 0;
        for unit in complete {
            used += unit.len();
            let keyframe = inband::is_keyframe(unit, format).map_err(|e| e.to_string())?;
            let spec = FrameSpec {
                seq: Some(seq),
                keyframe,
                ..FrameSpec::at(now_us())
            };
            sealed.extend(
                signer
                    .seal_unit(unit, format, None, &spec)
                    .map_err(|e| format!("sealing failed: {e}"))?,
            );
            seq += 1;
        }
        pending.drain(..used);
        to_remuxer
            .write_all(&sealed)
            .and_then(|()| to_remuxer.flush())
            .map_err(|e| format!("writing to the remuxer: {e}"))?;
    }
}

/// `video/mp4; codecs="avc1.PPCCLL"` from an `avcC` payload.
pub fn mime_of(avcc: &[u8]) -> Option<String> {
    let [_, profile, compat, level] = avcc.get(..4)?.try_into().ok()?;
    Some(format!(
        "video/mp4; codecs=\"avc1.{profile:02x}{compat:02x}{level:02x}\""
    ))
}

/// What a fragment's one video sample is: its seal's seq, keyframe flag
/// and timestamp, its times and its place.
pub fn describe(init: &InitSegment, bytes: Arc<[u8]>) -> Result<Fragment, String> {
    let nal_length_size = init.nal_length_size().ok_or("no NAL length size")?;
    let format = UnitFormat::new(UnitCodec::H264, Layout::Avcc { nal_length_size })
        .map_err(|e| e.to_string())?;
    let segment = MediaSegment::parse(init, &bytes).map_err(|e| e.to_string())?;
    let [sample] = segment.video() else {
        return Err(format!(
            "{} samples in a fragment, not 1",
            segment.video().len()
        ));
    };
    let seal = inband::find_seal(segment.data(sample), format)
        .map_err(|e| e.to_string())?
        .and_then(|body| body.seal().copied())
        .ok_or("a sample without its seal")?;
    let field = |at: usize| {
        seal.get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes)
    };
    Ok(Fragment {
        seq: field(32),
        keyframe: sample.keyframe(),
        decode_time: sample.decode_time,
        duration: u64::from(sample.duration),
        sample: sample.range.clone(),
        bytes: Arc::clone(&bytes),
    })
}

/// Reads the remuxer's fragmented MP4: keeps the init segment, and
/// publishes each fragment.
fn read_fragments(mut remuxed: ChildStdout, camera: &LiveCamera) -> Result<(), String> {
    let mut splitter = Splitter::default();
    let mut init: Option<InitSegment> = None;
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let n = remuxed
            .read(&mut chunk)
            .map_err(|e| format!("reading the remuxer: {e}"))?;
        if n == 0 {
            return Err("the remuxer stopped".to_string());
        }
        for piece in splitter.push(&chunk[..n]).map_err(|e| e.to_string())? {
            match piece {
                Piece::Init(bytes) => {
                    let parsed = InitSegment::parse(&bytes).map_err(|e| e.to_string())?;
                    let stream = Stream {
                        mime: mime_of(parsed.config()).ok_or("no avcC")?,
                        timescale: parsed.timescale(),
                        nal_length_size: parsed.nal_length_size().map_or(4, usize::from),
                        init: Arc::from(bytes),
                    };
                    camera.state().stream = Some(stream);
                    init = Some(parsed);
                }
                Piece::Fragment(bytes) => {
                    let init = init.as_ref().ok_or("a fragment before the init segment")?;
                    camera.publish(describe(init, Arc::from(bytes))?);
                }
            }
        }
    }
}
