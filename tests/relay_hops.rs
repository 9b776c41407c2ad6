//! Seals survive what relays do (SPEC §6.3; issue #16 item 5), shown with
//! the real tools relays are built on, not with re-laid-out bytes: every
//! access unit of the real encoder fixtures (tests/fixtures/inband) is
//! sealed by `Signer::seal_unit`, written out as an Annex B stream, and
//! sent through FFmpeg (fragmented MP4, HLS with fMP4 segments, back to
//! Annex B, its bitstream filters) and through GStreamer's RTP payloaders
//! over loopback UDP; what comes out (MP4 samples, Annex B access units,
//! the units GStreamer's depayloader and parser deliver, RTP packets
//! grouped by timestamp) is verified by `Verifier::try_verify_unit`. A
//! slice from another camera's real stream swapped in is refused.
//!
//! Not repeated here: tests/inband.rs re-lays units with an AUD or
//! repeated parameter sets in every layout, and decodes sealed streams
//! with FFmpeg (`sealed_streams_decode_to_the_same_pictures_in_ffmpeg`).
//!
//! The MP4 files are read by a small strict reader of this file's own
//! (boxes, `avcC` / `hvcC`, `moof` / `traf` / `tfhd` / `trun` and the
//! `mdat` after each `moof`), so the samples verified are exactly the ones
//! the muxer wrote. Each test prints the commands it ran and a line
//! `units in / accepted / reasons` per hop (`-- --nocapture` shows them).
//! A test whose tool is not installed says so on stderr and returns;
//! `./build.sh setup` installs ffmpeg and GStreamer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use frameseal::inband::elementary::annexb_access_units;
use frameseal::inband::{self, FRAMESEAL_UUID, Layout, UnitCodec, UnitFormat};
use frameseal::{DropReason, FrameSpec, Signer};
use support::media::{camera, canonical_nal, display, fixture};

mod support;

const NOW_US: u64 = 1_700_000_000_000_000;

// ---- Streams, cameras, displays ---------------------------------------

fn annexb(codec: UnitCodec) -> UnitFormat {
    UnitFormat::new(codec, Layout::AnnexB).unwrap()
}

/// What FFmpeg calls the raw Annex B format of `codec`.
fn raw_format(codec: UnitCodec) -> &'static str {
    if codec == UnitCodec::H265 {
        "hevc"
    } else {
        "h264"
    }
}

/// The real encoder fixture of `codec` (H.264 with B-frames, or H.265).
fn fixture_stream(codec: UnitCodec) -> Vec<u8> {
    match codec {
        UnitCodec::H264 => fixture("inband", "h264-bframes.h264"),
        UnitCodec::H265 => fixture("inband", "h265.h265"),
        _ => unreachable!("NAL-unit codecs only"),
    }
}

/// A camera's sealed stream: every access unit of the fixture sealed by
/// `Signer::seal_unit`, seq in decode order, KEYFRAME from the unit.
struct Sealed {
    codec: UnitCodec,
    units: Vec<Vec<u8>>,
    keyframes: Vec<bool>,
}

impl Sealed {
    fn of(cam: &mut Signer, codec: UnitCodec, stream: &[u8]) -> Sealed {
        let f = annexb(codec);
        let mut units = Vec::new();
        let mut keyframes = Vec::new();
        for (i, unit) in annexb_access_units(stream, codec)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            let keyframe = inband::is_keyframe(unit, f).unwrap();
            let spec = FrameSpec {
                seq: Some(i as u64),
                keyframe,
                ..FrameSpec::at(NOW_US)
            };
            units.push(cam.seal_unit(unit, f, None, &spec).unwrap());
            keyframes.push(keyframe);
        }
        Sealed {
            codec,
            units,
            keyframes,
        }
    }

    fn stream(&self) -> Vec<u8> {
        self.units.concat()
    }

    fn keyframe_count(&self) -> usize {
        self.keyframes.iter().filter(|k| **k).count()
    }
}

/// Each unit's verdict from a fresh display linked to `cam`: the seq of an
/// accepted unit, or why it was dropped.
fn verdicts<U: AsRef<[u8]>>(
    cam: &Signer,
    units: &[U],
    f: UnitFormat,
    config: Option<&[u8]>,
) -> Vec<Result<u64, DropReason>> {
    let mut v = display(cam);
    units
        .iter()
        .map(|unit| {
            v.try_verify_unit(unit.as_ref(), f, config, NOW_US as i64)
                .expect("memory")
                .map(|ok| ok.header.seq)
        })
        .collect()
}

/// `units in / accepted / reasons` for the log the closing note
/// quotes.
fn tally(hop: &str, units_in: usize, verdicts: &[Result<u64, DropReason>]) {
    let accepted = verdicts.iter().filter(|v| v.is_ok()).count();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for reason in verdicts.iter().filter_map(|v| v.err()) {
        *reasons.entry(reason.to_string()).or_default() += 1;
    }
    eprintln!(
        "  => {hop}: units in {units_in}, out {}, accepted {accepted}, dropped {reasons:?}",
        verdicts.len()
    );
}

/// Every unit out of a hop accepted, as many as went in, seqs 0.. in order.
fn assert_all_accepted(hop: &str, sealed: &Sealed, verdicts: &[Result<u64, DropReason>]) {
    tally(hop, sealed.units.len(), verdicts);
    let expected: Vec<Result<u64, DropReason>> = (0..sealed.units.len() as u64).map(Ok).collect();
    assert_eq!(verdicts, expected, "{hop}");
}

// ---- Tools --------------------------------------------------------------

/// Whether `program` runs at all (`-version` / `--version`).
fn installed(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The running test's name: libtest runs each test on a thread named
/// after it.
fn this_test() -> String {
    let name = std::thread::current()
        .name()
        .unwrap_or("relay_hops")
        .to_owned();
    name.rsplit("::").next().unwrap_or_default().to_owned()
}

/// Says loudly on stderr that `test` did not run, for the CI log.
fn skipped(test: &str, program: &str) {
    eprintln!(
        "SKIPPED relay_hops::{test}: {program} is not installed (./build.sh setup installs it)"
    );
}

/// `test`'s directory if ffmpeg is installed; otherwise says it skips.
fn with_ffmpeg() -> Option<TempDir> {
    let test = &this_test();
    if !installed("ffmpeg", "-version") {
        skipped(test, "ffmpeg");
        return None;
    }
    Some(TempDir::new(test))
}

/// A fresh directory for one test's files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("frameseal-relay-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints the command line, as the closing note lists it.
fn show(program: &str, args: &[String]) {
    eprintln!("  $ {program} {}", args.join(" "));
}

/// Runs `ffmpeg -nostdin -hide_banner -v error -y ARGS`: it must exit 0 and
/// print nothing (nothing at the error level).
fn ffmpeg(args: &[&str]) {
    let mut all: Vec<String> = ["-nostdin", "-hide_banner", "-v", "error", "-y"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(args.iter().map(|s| s.to_string()));
    show("ffmpeg", &all);
    let out: Output = Command::new("ffmpeg").args(&all).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg {}: {}\n{}",
        all.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The NAL unit types of an Annex B unit (H.264 or H.265 headers).
fn nal_types(unit: &[u8], codec: UnitCodec) -> Vec<u8> {
    let mut types = Vec::new();
    let mut i = 0;
    while let Some(w) = unit.get(i..i + 4) {
        if w[..3] == [0, 0, 1] {
            types.push(if codec == UnitCodec::H265 {
                (w[3] >> 1) & 0x3f
            } else {
                w[3] & 0x1f
            });
            i += 3;
        } else {
            i += 1;
        }
    }
    types
}

// ---- A small strict ISO BMFF (MP4) reader -------------------------------

/// One box: its type, its offset in the file and its payload (after the
/// 8- or 16-byte header).
struct Bmff<'a> {
    kind: [u8; 4],
    at: usize,
    body: &'a [u8],
    body_at: usize,
}

fn kind_name(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

/// The boxes that fill `bytes` (which starts at file offset `at`) exactly;
/// a size that runs past its parent, or is shorter than its own header,
/// fails the test.
fn boxes(bytes: &[u8], at: usize) -> Vec<Bmff<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let head = bytes
            .get(i..i + 8)
            .unwrap_or_else(|| panic!("truncated box header at {}", at + i));
        let kind: [u8; 4] = head[4..8].try_into().unwrap();
        let (size, header) = match u32::from_be_bytes(head[..4].try_into().unwrap()) {
            1 => {
                let large = bytes
                    .get(i + 8..i + 16)
                    .unwrap_or_else(|| panic!("truncated largesize at {}", at + i));
                (
                    usize::try_from(u64::from_be_bytes(large.try_into().unwrap())).unwrap(),
                    16,
                )
            }
            0 => (bytes.len() - i, 8),
            n => (n as usize, 8),
        };
        assert!(
            size >= header && size <= bytes.len() - i,
            "box {} at {}: size {size} does not fit ({} bytes left)",
            kind_name(&kind),
            at + i,
            bytes.len() - i
        );
        out.push(Bmff {
            kind,
            at: at + i,
            body: &bytes[i + header..i + size],
            body_at: at + i + header,
        });
        i += size;
    }
    out
}

impl<'a> Bmff<'a> {
    /// The children, after `skip` bytes of this box's own fields.
    fn children(&self, skip: usize) -> Vec<Bmff<'a>> {
        let body = self
            .body
            .get(skip..)
            .unwrap_or_else(|| panic!("{} too short", kind_name(&self.kind)));
        boxes(body, self.body_at + skip)
    }

    /// The one child of type `kind`.
    fn child(&self, kind: &[u8; 4], skip: usize) -> Bmff<'a> {
        let mut found: Vec<Bmff<'a>> = self
            .children(skip)
            .into_iter()
            .filter(|b| &b.kind == kind)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{} holds {} {} boxes",
            kind_name(&self.kind),
            found.len(),
            kind_name(kind)
        );
        found.pop().unwrap()
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = self
            .body
            .get(at..at + 4)
            .unwrap_or_else(|| panic!("{} ends before byte {}", kind_name(&self.kind), at + 4));
        u32::from_be_bytes(b.try_into().unwrap())
    }
}

/// What an init segment says about the one video track.
struct Track {
    /// `avc1` / `hvc1`.
    sample_entry: [u8; 4],
    /// The `avcC` / `hvcC` payload: the decoder configuration record.
    config: Vec<u8>,
    /// `lengthSizeMinusOne` + 1 from that record.
    nal_length_size: u8,
    /// `trex` default sample size, for `trun`s without per-sample sizes.
    default_size: u32,
}

impl Track {
    fn format(&self, codec: UnitCodec) -> UnitFormat {
        UnitFormat::new(
            codec,
            Layout::Avcc {
                nal_length_size: self.nal_length_size,
            },
        )
        .unwrap()
    }
}

/// Reads `moov` of an init segment (or of a fragmented MP4 file).
fn init_segment(file: &[u8]) -> Track {
    let top = boxes(file, 0);
    let moov = top.iter().find(|b| &b.kind == b"moov").expect("a moov box");
    let traks: Vec<Bmff> = moov
        .children(0)
        .into_iter()
        .filter(|b| &b.kind == b"trak")
        .collect();
    assert_eq!(traks.len(), 1, "one track");
    let stbl = traks[0]
        .child(b"mdia", 0)
        .child(b"minf", 0)
        .child(b"stbl", 0);
    let stsd = stbl.child(b"stsd", 0);
    assert_eq!(stsd.u32_at(4), 1, "one sample entry");
    let entries = stsd.children(8);
    let entry = &entries[0];
    // A visual sample entry: 78 bytes of its own fields, then its boxes.
    let (config_kind, length_byte): (&[u8; 4], usize) = match &entry.kind {
        b"avc1" | b"avc3" => (b"avcC", 4),
        b"hvc1" | b"hev1" => (b"hvcC", 21),
        other => panic!("sample entry {}", kind_name(other)),
    };
    let config = entry.child(config_kind, 78);
    assert_eq!(config.body.first(), Some(&1), "configurationVersion 1");
    let length_size_minus_one = config
        .body
        .get(length_byte)
        .unwrap_or_else(|| panic!("{} too short", kind_name(config_kind)))
        & 0x03;
    let trex = moov.child(b"mvex", 0).child(b"trex", 0);
    Track {
        sample_entry: entry.kind,
        config: config.body.to_vec(),
        nal_length_size: length_size_minus_one + 1,
        default_size: trex.u32_at(16),
    }
}

/// The samples of every `moof` + `mdat` pair of a fragmented file or media
/// segment, in order, and how many fragments held them. Each `moof` holds
/// one `traf` and is followed by its `mdat`, whose payload the samples fill
/// exactly (as FFmpeg writes them): a sample outside it, a gap or leftover
/// bytes fail the test.
fn fragment_samples<'a>(file: &'a [u8], track: &Track) -> (usize, Vec<&'a [u8]>) {
    let top = boxes(file, 0);
    let mut samples = Vec::new();
    let mut fragments = 0;
    let mut i = 0;
    while i < top.len() {
        let b = &top[i];
        match &b.kind {
            b"moof" => {}
            b"mdat" => panic!("an mdat at {} without its moof", b.at),
            _ => {
                i += 1;
                continue;
            }
        }
        let mdat = top
            .get(i + 1)
            .filter(|m| &m.kind == b"mdat")
            .unwrap_or_else(|| panic!("the moof at {} is not followed by an mdat", b.at));
        let traf = b.child(b"traf", 0);
        let tfhd = traf.child(b"tfhd", 0);
        let tfhd_flags = tfhd.u32_at(0) & 0x00ff_ffff;
        let mut field = 8; // version/flags, track_ID
        let base = if tfhd_flags & 0x01 != 0 {
            let hi = u64::from(tfhd.u32_at(field));
            let lo = u64::from(tfhd.u32_at(field + 4));
            field += 8;
            usize::try_from(hi << 32 | lo).unwrap()
        } else {
            // default-base-is-moof, and the rule for the first traf
            // without a base: both the moof's first byte.
            b.at
        };
        if tfhd_flags & 0x02 != 0 {
            field += 4; // sample_description_index
        }
        if tfhd_flags & 0x08 != 0 {
            field += 4; // default_sample_duration
        }
        let default_size = if tfhd_flags & 0x10 != 0 {
            tfhd.u32_at(field)
        } else {
            track.default_size
        };
        let mut next = base;
        let end = mdat.body_at + mdat.body.len();
        for trun in traf.children(0).iter().filter(|c| &c.kind == b"trun") {
            let flags = trun.u32_at(0) & 0x00ff_ffff;
            let count = trun.u32_at(4) as usize;
            let mut at = 8;
            if flags & 0x01 != 0 {
                let offset = trun.u32_at(at) as i32;
                next = base
                    .checked_add_signed(offset as isize)
                    .expect("data offset before the file");
                at += 4;
            }
            if flags & 0x04 != 0 {
                at += 4; // first_sample_flags
            }
            let per_sample = [0x100, 0x200, 0x400, 0x800]
                .iter()
                .filter(|bit| flags & **bit != 0)
                .count()
                * 4;
            assert!(
                count * per_sample <= trun.body.len().saturating_sub(at),
                "trun at {}: {count} samples do not fit",
                trun.at
            );
            for _ in 0..count {
                if flags & 0x100 != 0 {
                    at += 4; // duration
                }
                let size = if flags & 0x200 != 0 {
                    let size = trun.u32_at(at);
                    at += 4;
                    size
                } else {
                    default_size
                } as usize;
                if flags & 0x400 != 0 {
                    at += 4; // flags
                }
                if flags & 0x800 != 0 {
                    at += 4; // composition time offset
                }
                assert!(
                    next >= mdat.body_at && next + size <= end,
                    "a sample at {next} ({size} bytes) outside the mdat {}..{end}",
                    mdat.body_at
                );
                samples.push(&file[next..next + size]);
                next += size;
            }
        }
        assert_eq!(
            next, end,
            "the samples of the moof at {} leave mdat bytes unread",
            b.at
        );
        fragments += 1;
        i += 2;
    }
    (fragments, samples)
}

/// Verifies every sample as `avcc` with the track's length size and its
/// configuration record.
fn verify_samples(hop: &str, cam: &Signer, sealed: &Sealed, track: &Track, samples: &[&[u8]]) {
    let entry: &[u8; 4] = if sealed.codec == UnitCodec::H265 {
        b"hvc1"
    } else {
        b"avc1"
    };
    assert_eq!(&track.sample_entry, entry, "{hop}");
    let f = track.format(sealed.codec);
    eprintln!(
        "  {hop}: sample entry {}, nalLengthSize {}, {} configuration record bytes",
        kind_name(&track.sample_entry),
        track.nal_length_size,
        track.config.len()
    );
    let v = verdicts(cam, samples, f, Some(&track.config));
    assert_all_accepted(hop, sealed, &v);
}

// ---- FFmpeg: fragmented MP4, HLS, back to Annex B ------------------------

/// The codec's tag option for MP4 (`hvc1`, as browsers want it, for H.265).
fn tag(codec: UnitCodec) -> Vec<&'static str> {
    if codec == UnitCodec::H265 {
        vec!["-tag:v", "hvc1"]
    } else {
        Vec::new()
    }
}

fn sealed_file(dir: &TempDir, codec: UnitCodec) -> (Signer, Sealed, String) {
    let mut cam = camera(1);
    let sealed = Sealed::of(&mut cam, codec, &fixture_stream(codec));
    let path = dir.path(&format!("sealed.{}", raw_format(codec)));
    std::fs::write(&path, sealed.stream()).unwrap();
    eprintln!(
        "{codec}: {} access units sealed ({} keyframes) -> {path}",
        sealed.units.len(),
        sealed.keyframe_count()
    );
    (cam, sealed, path)
}

/// `ffmpeg -c copy` into fragmented MP4 with `movflags`.
fn to_fmp4(input: &str, codec: UnitCodec, movflags: &str, out: &str) {
    let mut args = vec!["-i", input, "-c", "copy"];
    args.extend(tag(codec));
    args.extend(["-movflags", movflags, "-f", "mp4", out]);
    ffmpeg(&args);
}

/// The sealed stream of `codec` written and muxed by `ffmpeg -c copy` into
/// fragmented MP4, a fragment per keyframe: the camera's fMP4 feed.
fn sealed_fmp4(dir: &TempDir, codec: UnitCodec) -> (Signer, Sealed, String) {
    let (cam, sealed, input) = sealed_file(dir, codec);
    let fmp4 = dir.path(&format!("{codec}.mp4"));
    to_fmp4(&input, codec, FRAG_KEYFRAME, &fmp4);
    (cam, sealed, fmp4)
}

const FRAG_KEYFRAME: &str = "+frag_keyframe+empty_moov+default_base_moof";
const FRAG_EVERY_FRAME: &str = "+frag_keyframe+empty_moov+default_base_moof+frag_every_frame";

#[test]
fn every_sample_of_fragmented_mp4_from_ffmpeg_copy_verifies_as_avcc_with_the_avcc_length_size() {
    with_ffmpeg_for_both_codecs(|dir, codec| {
        let (cam, sealed, input) = sealed_file(dir, codec);
        for (movflags, fragments) in [
            (FRAG_KEYFRAME, sealed.keyframe_count()),
            (FRAG_EVERY_FRAME, sealed.units.len()),
        ] {
            let out = dir.path(&format!("{codec}{movflags}.mp4"));
            to_fmp4(&input, codec, movflags, &out);
            let file = read(&out);
            let track = init_segment(&file);
            let (found, samples) = fragment_samples(&file, &track);
            assert_eq!(found, fragments, "{codec} {movflags}: fragments");
            let hop = format!("{codec} fMP4 {movflags} ({found} fragments)");
            verify_samples(&hop, &cam, &sealed, &track, &samples);
        }
    });
}

#[test]
fn every_sample_of_hls_fmp4_segments_from_ffmpeg_copy_verifies() {
    with_ffmpeg_for_both_codecs(|dir, codec| {
        // FFmpeg's raw H.264 / H.265 demuxer gives packets no timestamps,
        // and its HLS muxer cuts segments by time: it is fed the camera's
        // fragmented MP4 (as a relay that turns a camera's fMP4 feed into
        // HLS is), which has them.
        let (cam, sealed, fmp4) = sealed_fmp4(dir, codec);
        let hls = dir.0.join(format!("{codec}-hls"));
        std::fs::create_dir_all(&hls).unwrap();
        let playlist = hls.join("index.m3u8");
        let parts = hls.join("part%d.m4s");
        // Segments are cut at the first keyframe at least hls_time into
        // one: FFmpeg times the raw stream at 25 frames/s, so the H.265
        // fixture's second keyframe (unit 10) is at 0.39999 s.
        let hls_time = if codec == UnitCodec::H265 {
            "0.3"
        } else {
            "0.4"
        };
        let mut args = vec!["-i", &fmp4, "-c", "copy"];
        args.extend(tag(codec));
        args.extend("-f hls -hls_segment_type fmp4 -hls_playlist_type vod".split(' '));
        args.extend(["-hls_time", hls_time, "-hls_fmp4_init_filename", "init.mp4"]);
        args.extend(["-hls_segment_filename", parts.to_str().unwrap()]);
        args.push(playlist.to_str().unwrap());
        ffmpeg(&args);
        // The playlist, in order: the init segment (EXT-X-MAP), then the
        // media segments.
        let text = std::fs::read_to_string(&playlist).unwrap();
        let init_uri = text
            .lines()
            .find_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("an EXT-X-MAP init segment");
        let segments: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert!(
            segments.len() >= 2,
            "{codec}: the stream is cut into segments: {text}"
        );
        let init = std::fs::read(hls.join(init_uri)).unwrap();
        let track = init_segment(&init);
        let files: Vec<Vec<u8>> = segments
            .iter()
            .map(|s| std::fs::read(hls.join(s)).unwrap())
            .collect();
        let mut samples = Vec::new();
        let mut fragments = 0;
        for file in &files {
            let (n, s) = fragment_samples(file, &track);
            fragments += n;
            samples.extend(s);
        }
        let hop = format!(
            "{codec} HLS fMP4 ({init_uri} + {} segments, {fragments} fragments)",
            segments.len()
        );
        verify_samples(&hop, &cam, &sealed, &track, &samples);
    });
}

#[test]
fn every_unit_back_from_fragmented_mp4_to_annexb_by_ffmpeg_is_accepted() {
    with_ffmpeg_for_both_codecs(|dir, codec| {
        let (cam, sealed, fmp4) = sealed_fmp4(dir, codec);
        // The demuxer hands MP4 samples over; FFmpeg's `-f h264` / `-f hevc`
        // muxer turns them into Annex B (its *_mp4toannexb filter, which
        // puts the configuration record's parameter sets before keyframes).
        let back = dir.path(&format!("back.{}", raw_format(codec)));
        ffmpeg(&["-i", &fmp4, "-c", "copy", "-f", raw_format(codec), &back]);
        let stream = read(&back);
        let units = annexb_access_units(&stream, codec).unwrap();
        let v = verdicts(&cam, &units, annexb(codec), None);
        assert_all_accepted(&format!("{codec} fMP4 -> Annex B"), &sealed, &v);
    });
}

// ---- FFmpeg bitstream filters as a relay's edits --------------------------

/// What a relay's edit did: the sealed stream, the units that came out,
/// and each one's verdict at a display linked to the camera.
type Edited = (Sealed, Vec<Vec<u8>>, Vec<Result<u64, DropReason>>);

/// Runs the sealed H.264 stream through `-bsf:v FILTER`, when ffmpeg is
/// installed.
fn through_filter(filter: &str) -> Option<Edited> {
    let dir = with_ffmpeg()?;
    let (cam, sealed, input) = sealed_file(&dir, UnitCodec::H264);
    let out = dir.path(&format!("{}.h264", filter.replace(['=', ':', '|'], "-")));
    ffmpeg(&[
        "-i", &input, "-c", "copy", "-bsf:v", filter, "-f", "h264", &out,
    ]);
    let stream = read(&out);
    let units: Vec<Vec<u8>> = annexb_access_units(&stream, UnitCodec::H264)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let v = verdicts(&cam, &units, annexb(UnitCodec::H264), None);
    Some((sealed, units, v))
}

#[test]
fn access_unit_delimiters_inserted_by_ffmpeg_h264_metadata_change_nothing() {
    let Some((sealed, units, v)) = through_filter("h264_metadata=aud=insert") else {
        return;
    };
    // FFmpeg's coded-bitstream layer reads and rewrites every NAL unit,
    // the seal's SEI included, and puts an AUD (type 9) first in each unit.
    for (i, unit) in units.iter().enumerate() {
        assert_eq!(
            nal_types(unit, UnitCodec::H264).first(),
            Some(&9),
            "unit {i}"
        );
        assert!(!sealed.units[i].windows(4).any(|w| w == [0, 0, 1, 9]));
    }
    assert_all_accepted("H.264 + AUD (h264_metadata=aud=insert)", &sealed, &v);
}

#[test]
fn parameter_sets_repeated_in_every_unit_by_ffmpeg_dump_extra_change_nothing() {
    let Some((sealed, units, v)) = through_filter("dump_extra=freq=all") else {
        return;
    };
    // Every unit now starts with the stream's SPS and PPS: keyframes hold
    // them twice (counted once), delta units hold them uncovered.
    for (i, unit) in units.iter().enumerate() {
        let types = nal_types(unit, UnitCodec::H264);
        assert_eq!(&types[..2], &[7, 8], "unit {i}: {types:?}");
        let sps = types.iter().filter(|t| **t == 7).count();
        assert_eq!(sps, if sealed.keyframes[i] { 2 } else { 1 }, "unit {i}");
    }
    assert_all_accepted(
        "H.264 + SPS/PPS in every unit (dump_extra=freq=all)",
        &sealed,
        &v,
    );
}

#[test]
fn sei_stripped_by_ffmpeg_filter_units_leaves_every_unit_unsigned() {
    let Some((sealed, units, v)) = through_filter("filter_units=remove_types=6") else {
        return;
    };
    assert_eq!(units.len(), sealed.units.len());
    for unit in &units {
        assert!(!nal_types(unit, UnitCodec::H264).contains(&6));
        assert!(!unit.windows(16).any(|w| w == FRAMESEAL_UUID));
    }
    tally(
        "H.264 - SEI (filter_units=remove_types=6)",
        sealed.units.len(),
        &v,
    );
    assert!(v.iter().all(|r| *r == Err(DropReason::Unsigned)), "{v:?}");
}

// ---- Another camera's slice swapped in --------------------------------------

/// The NAL units of an Annex B unit as byte ranges (start codes, and the
/// zero byte of a 4-byte start code, left out).
fn nal_ranges(unit: &[u8]) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(w) = unit.get(i..i + 3) {
        if w == [0, 0, 1] {
            starts.push(i);
            i += 3;
        } else {
            i += 1;
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let end = match starts.get(k + 1) {
                Some(&next) if unit[next - 1] == 0 => next - 1,
                Some(&next) => next,
                None => unit.len(),
            };
            (at + 3, end)
        })
        .collect()
}

/// The VCL NAL units (slices) of an H.264 Annex B unit, as byte ranges.
fn slices(unit: &[u8]) -> Vec<(usize, usize)> {
    nal_ranges(unit)
        .into_iter()
        .filter(|&(s, _)| matches!(unit[s] & 0x1f, 1..=5))
        .collect()
}

#[test]
fn a_slice_swapped_in_from_another_camera_is_bad_signature_or_malformed_when_its_length_differs() {
    // tests/fixtures/relay/h264-other-camera.h264: another camera (x264
    // with the fixture's exact settings, 160x120, two slices a picture)
    // filming another scene. Each slice of each sealed unit is replaced by
    // the slice at the same place of the other camera's unit at the same
    // place in the stream: same picture type, same first macroblock. The
    // seal's content_len is signed, so a slice whose canonical length
    // differs is `malformed` (SPEC §6.3 check 1, before the signature);
    // one of the same length but other bytes reaches the content hash and
    // is `bad-signature`; a byte-identical slice (a skipped picture codes
    // the same in both) changes nothing and is accepted.
    let mut cam = camera(1);
    let codec = UnitCodec::H264;
    let sealed = Sealed::of(&mut cam, codec, &fixture_stream(codec));
    let other = fixture("relay", "h264-other-camera.h264");
    let other_units = annexb_access_units(&other, codec).unwrap();
    assert_eq!(other_units.len(), sealed.units.len());
    let (mut same, mut bad_signature, mut malformed) = (0, 0, 0);
    for (i, (unit, theirs)) in sealed.units.iter().zip(&other_units).enumerate() {
        let ours = slices(unit);
        let their_slices = slices(theirs);
        assert_eq!(ours.len(), their_slices.len(), "unit {i}: slices a picture");
        for (k, (&(s, e), &(ts, te))) in ours.iter().zip(&their_slices).enumerate() {
            let (mine, foreign) = (&unit[s..e], &theirs[ts..te]);
            assert_eq!(
                mine[0], foreign[0],
                "unit {i} slice {k}: the same NAL header"
            );
            let swapped = [&unit[..s], foreign, &unit[e..]].concat();
            let (plain_mine, plain_foreign) = (canonical_nal(mine), canonical_nal(foreign));
            let expected = if plain_mine.len() != plain_foreign.len() {
                malformed += 1;
                Err(DropReason::Malformed)
            } else if plain_mine != plain_foreign {
                bad_signature += 1;
                Err(DropReason::BadSignature)
            } else {
                same += 1;
                Ok(i as u64)
            };
            assert_eq!(
                verdicts(&cam, &[&swapped], annexb(codec), None),
                [expected],
                "unit {i} slice {k} ({} -> {} bytes)",
                mine.len(),
                foreign.len()
            );
        }
    }
    eprintln!(
        "  => H.264 slice swaps from another camera: {} swaps, {malformed} malformed (other length), \
         {bad_signature} bad-signature (same length, other bytes), {same} accepted (identical bytes)",
        malformed + bad_signature + same
    );
    assert!(
        bad_signature > 0 && malformed > 0,
        "both kinds of swap occur"
    );
}

// ---- GStreamer: RTP packetize / depacketize over loopback UDP ----------------

/// A UDP port free on 127.0.0.1 a moment ago (the receiver binds it next).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether a UDP socket is bound to `port`, from /proc/net/udp; `None`
/// where there is no such file.
fn udp_port_bound(port: u16) -> Option<bool> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let suffix = format!(":{port:04X}");
    Some(table.lines().skip(1).any(|line| {
        line.split_whitespace()
            .nth(1)
            .is_some_and(|local| local.ends_with(&suffix))
    }))
}

/// A `gst-launch-1.0` process, its stdout lines on a channel; killed if it
/// is still running when dropped (after a failed assertion).
struct Gst {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Gst {
    fn launch(args: &[String]) -> Gst {
        show("gst-launch-1.0", args);
        let mut child = Command::new("gst-launch-1.0")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Gst { child, lines }
    }

    /// Waits for a stdout line containing `text`; fails if the process
    /// ends first or `timeout` passes.
    fn wait_for_line(&mut self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(e) => panic!(
                    "gst-launch-1.0 never printed {text:?} ({e:?}); {:?}",
                    self.child.try_wait()
                ),
            }
        }
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits, at most `timeout`, for the process to exit: it must exit 0
    /// and print no GStreamer error or warning.
    fn finish(mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "gst-launch-1.0 still running after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut err, &mut stderr).unwrap();
        }
        let stdout: Vec<String> = self.lines.try_iter().collect();
        assert!(
            status.success() && !stderr.contains("ERROR") && !stderr.contains("WARNING"),
            "gst-launch-1.0: {status}\n{stderr}\n{}",
            stdout.join("\n")
        );
    }

    /// Asks gst-launch (started with `-e`) to end with EOS, as Ctrl-C does.
    fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -INT {}", self.child.id());
    }
}

impl Drop for Gst {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `test`'s directory if GStreamer can run the hops: `None` (skip) only
/// when gst-launch-1.0 is not installed at all; an element missing from
/// an installed GStreamer fails the test, as setup installs them all.
/// Runs `test` for H.264 and H.265 in one scratch directory, when ffmpeg
/// is installed.
fn with_ffmpeg_for_both_codecs(test: impl Fn(&TempDir, UnitCodec)) {
    if let Some(dir) = with_ffmpeg() {
        for codec in [UnitCodec::H264, UnitCodec::H265] {
            test(&dir, codec);
        }
    }
}

fn with_gstreamer() -> Option<TempDir> {
    let test = &this_test();
    if !installed("gst-launch-1.0", "--version") {
        skipped(test, "gst-launch-1.0");
        return None;
    }
    for element in [
        "filesrc",
        "udpsrc",
        "udpsink",
        "rtpjitterbuffer",
        "multifilesink",
        "h264parse",
        "rtph264pay",
        "rtph264depay",
        "h265parse",
        "rtph265pay",
        "rtph265depay",
    ] {
        let found = Command::new("gst-inspect-1.0")
            .args(["--exists", element])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "GStreamer has no {element}: ./build.sh setup installs \
             gstreamer1.0-plugins-good and gstreamer1.0-plugins-bad"
        );
    }
    Some(TempDir::new(test))
}

/// How many frameseal seals `bytes` hold.
fn seal_count(bytes: &[u8]) -> usize {
    bytes.windows(16).filter(|w| *w == FRAMESEAL_UUID).count()
}

/// GStreamer's names for `codec`: element prefix and RTP encoding name.
fn gst_names(codec: UnitCodec) -> (&'static str, &'static str) {
    if codec == UnitCodec::H265 {
        ("h265", "H265")
    } else {
        ("h264", "H264")
    }
}

/// The sender: the sealed Annex B file parsed into access units and
/// packetized (`config-interval` as given: -1 sends the parameter sets
/// with every IDR, 0 only where the camera put them) to 127.0.0.1:`port`.
fn gst_sender(codec: UnitCodec, input: &str, config_interval: i32, port: u16) -> Gst {
    let (name, _) = gst_names(codec);
    Gst::launch(&[
        "filesrc".to_string(),
        format!("location={input}"),
        "!".into(),
        format!("{name}parse"),
        "!".into(),
        format!("rtp{name}pay"),
        format!("config-interval={config_interval}"),
        "!".into(),
        "udpsink".into(),
        "host=127.0.0.1".into(),
        format!("port={port}"),
    ])
}

/// One RTP hop through GStreamer: the receiver (jitter buffer,
/// depayloader, parser, Annex B access units, each buffer written to a
/// file of its own by multifilesink) listens on a free loopback port, the
/// sender sends the sealed file to it. Returns the access units as
/// GStreamer delivered them, in order.
fn gst_rtp_hop(dir: &TempDir, sealed: &Sealed, input: &str, config_interval: i32) -> Vec<Vec<u8>> {
    let codec = sealed.codec;
    let (name, encoding) = gst_names(codec);
    let port = free_udp_port();
    let out = dir.0.join(format!("rtp-{name}-{config_interval}"));
    std::fs::create_dir_all(&out).unwrap();
    let mut rx = Gst::launch(&[
        "-e".to_string(),
        "udpsrc".into(),
        "address=127.0.0.1".into(),
        format!("port={port}"),
        format!(
            "caps=application/x-rtp,media=video,clock-rate=90000,encoding-name={encoding},payload=96"
        ),
        "!".into(),
        "rtpjitterbuffer".into(),
        "!".into(),
        format!("rtp{name}depay"),
        "!".into(),
        format!("{name}parse"),
        "!".into(),
        format!("video/x-{name},stream-format=byte-stream,alignment=au"),
        "!".into(),
        "multifilesink".into(),
        format!("location={}/au-%05d", out.display()),
    ]);
    // udpsrc binds its socket on the way to READY; gst-launch prints this
    // once the live pipeline is past PAUSED, so the port is bound by then.
    rx.wait_for_line("Setting pipeline to PLAYING", Duration::from_secs(20));
    if let Some(bound) = udp_port_bound(port) {
        assert!(bound, "the receiver holds 127.0.0.1:{port}");
    }
    gst_sender(codec, input, config_interval, port).finish(Duration::from_secs(30));
    let units = || -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    };
    // Every seal sent has come out once the units hold as many; a packet
    // lost on the way leaves the count short until the deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    while units().iter().map(|u| seal_count(u)).sum::<usize>() < sealed.units.len()
        && Instant::now() < deadline
        && rx.running()
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    if rx.running() {
        rx.interrupt();
    }
    rx.finish(Duration::from_secs(20));
    units()
}

/// The slices (VCL NAL units, canonical) of an Annex B unit.
fn vcl_of(unit: &[u8], codec: UnitCodec) -> Vec<Vec<u8>> {
    nal_ranges(unit)
        .into_iter()
        .filter(|&(s, _)| {
            if codec == UnitCodec::H265 {
                (unit[s] >> 1) & 0x3f <= 31
            } else {
                matches!(unit[s] & 0x1f, 1..=5)
            }
        })
        .map(|(s, e)| canonical_nal(&unit[s..e]))
        .collect()
}

/// Checks what came out of a hop against what went in: every sealed unit
/// is accepted, in order, except where the relay cut a picture in two
/// (`cuts` allowed): then the part with the seal is `malformed` (half the
/// content the seal counts) and the rest `unsigned`, and the parts'
/// slices are exactly the picture's. Returns how many pictures were cut.
fn assert_accepted_or_cut(
    hop: &str,
    cam: &Signer,
    sealed: &Sealed,
    units: &[Vec<u8>],
    allow_cuts: bool,
) -> usize {
    let codec = sealed.codec;
    let v = verdicts(cam, units, annexb(codec), None);
    tally(hop, sealed.units.len(), &v);
    let mut out = 0;
    let mut cuts = 0;
    for (i, unit) in sealed.units.iter().enumerate() {
        let verdict = v.get(out).copied();
        if verdict == Some(Ok(i as u64)) {
            out += 1;
            continue;
        }
        assert!(
            allow_cuts && verdict == Some(Err(DropReason::Malformed)),
            "{hop}: unit {i} -> {verdict:?}"
        );
        // A cut picture: the sealed part, then unsigned parts, until the
        // slices add up to the picture's.
        let want = vcl_of(unit, codec);
        let mut got = vcl_of(&units[out], codec);
        out += 1;
        while got.len() < want.len() && v.get(out) == Some(&Err(DropReason::Unsigned)) {
            got.extend(vcl_of(&units[out], codec));
            out += 1;
        }
        assert_eq!(got, want, "{hop}: unit {i} cut into parts");
        cuts += 1;
    }
    assert_eq!(out, units.len(), "{hop}: units left over");
    cuts
}

#[test]
fn every_unit_through_a_gstreamer_rtp_hop_over_loopback_udp_is_accepted_none_lost() {
    let Some(dir) = with_gstreamer() else {
        return;
    };
    // H.264 with the parameter sets where the camera put them (x264 writes
    // them in every IDR unit); H.265 with them re-sent by the payloader
    // before every IRAP picture (its fixture has one slice a picture).
    for (codec, config_interval) in [(UnitCodec::H264, 0), (UnitCodec::H265, -1)] {
        let (cam, sealed, input) = sealed_file(&dir, codec);
        let units = gst_rtp_hop(&dir, &sealed, &input, config_interval);
        let (name, _) = gst_names(codec);
        let lost = sealed.units.len() as i64 - units.len() as i64;
        eprintln!(
            "  {codec} RTP: {} units out, lost {lost}; unit 0 NAL types in {:?}, out {:?}",
            units.len(),
            nal_types(&sealed.units[0], codec),
            nal_types(&units[0], codec),
        );
        assert_eq!(lost, 0, "{codec}: units lost on loopback");
        let hop = format!(
            "{codec} RTP hop (rtp{name}pay config-interval={config_interval} -> UDP -> rtp{name}depay ! {name}parse)"
        );
        assert_eq!(
            assert_accepted_or_cut(&hop, &cam, &sealed, &units, false),
            0
        );
    }
}

#[test]
fn a_two_slice_idr_picture_cut_by_gstreamer_at_repeated_sps_pps_is_never_accepted_in_part() {
    // rtph264pay config-interval=-1 sends SPS and PPS before every IDR
    // slice, so in a picture of two slices they stand between the slices.
    // H.264 §7.4.1.2.3 lets parameter sets stand anywhere before a
    // picture's last slice, but GStreamer 1.22's depayloader and parser
    // (like frameseal's own Annex B splitter) start a new access unit
    // there, and deliver each such picture in two parts. The seal is
    // checked against what arrives: the part with the seal is `malformed`
    // (less content than the seal counts), the rest `unsigned`; every
    // other unit is accepted. The RTP packets themselves carry each
    // picture under one timestamp: see
    // rtp_packets_grouped_by_timestamp_verify_with_parameter_sets_before_every_idr_slice.
    let Some(dir) = with_gstreamer() else {
        return;
    };
    let codec = UnitCodec::H264;
    let (cam, sealed, input) = sealed_file(&dir, codec);
    let units = gst_rtp_hop(&dir, &sealed, &input, -1);
    let seals_out: usize = units.iter().map(|u| seal_count(u)).sum();
    assert_eq!(seals_out, sealed.units.len(), "every seal arrives once");
    let hop = "h264 RTP hop (rtph264pay config-interval=-1 -> UDP -> rtph264depay ! h264parse)";
    let cuts = assert_accepted_or_cut(hop, &cam, &sealed, &units, true);
    eprintln!(
        "  {hop}: {} units in, {} out, {cuts} two-slice IDR pictures cut in two",
        sealed.units.len(),
        units.len()
    );
}

// ---- RTP packets grouped by timestamp, as a WebRTC receiver does --------------

/// The NAL units of one RTP payload (RFC 6184 for H.264, RFC 7798 for
/// H.265): a single NAL unit, an aggregation packet (STAP-A / AP) or a
/// fragment (FU-A / FU), which `fragment` collects until its end.
fn depacketize(codec: UnitCodec, payload: &[u8], fragment: &mut Vec<u8>, nals: &mut Vec<Vec<u8>>) {
    let h265 = codec == UnitCodec::H265;
    let header_len = if h265 { 2 } else { 1 };
    assert!(payload.len() > header_len, "RTP payload too short");
    let kind = if h265 {
        (payload[0] >> 1) & 0x3f
    } else {
        payload[0] & 0x1f
    };
    let (aggregate, fu) = if h265 { (48, 49) } else { (24, 28) };
    if kind == aggregate {
        let mut rest = &payload[header_len..];
        while !rest.is_empty() {
            assert!(rest.len() >= 2, "aggregation packet: truncated size");
            let size = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            assert!(
                size > 0 && size <= rest.len() - 2,
                "aggregation packet: size {size}"
            );
            nals.push(rest[2..2 + size].to_vec());
            rest = &rest[2 + size..];
        }
    } else if kind == fu {
        let fu_header = payload[header_len];
        let (start, end, nal_type) = (
            fu_header & 0x80 != 0,
            fu_header & 0x40 != 0,
            fu_header & 0x3f,
        );
        if start {
            assert!(
                fragment.is_empty(),
                "a fragment starts before the last one ended"
            );
            if h265 {
                fragment.extend([(payload[0] & 0x81) | (nal_type << 1), payload[1]]);
            } else {
                fragment.push((payload[0] & 0xe0) | (fu_header & 0x1f));
            }
        } else {
            assert!(!fragment.is_empty(), "a fragment continues nothing");
        }
        fragment.extend_from_slice(&payload[header_len + 1..]);
        if end {
            nals.push(std::mem::take(fragment));
        }
    } else {
        nals.push(payload.to_vec());
    }
}

#[test]
fn rtp_packets_grouped_by_timestamp_verify_with_parameter_sets_before_every_idr_slice() {
    // GStreamer's rtph264pay / rtph265pay with config-interval=-1 sends to
    // a socket of the test's own, which takes each picture as WebRTC
    // receivers do (Chromium hands such a frame to an encoded transform as
    // Annex B): every packet with one RTP timestamp, the NAL units
    // depacketized in order, ending at the marker bit.
    let Some(dir) = with_gstreamer() else {
        return;
    };
    for codec in [UnitCodec::H264, UnitCodec::H265] {
        let (cam, sealed, input) = sealed_file(&dir, codec);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let port = socket.local_addr().unwrap().port();
        let mut sender = gst_sender(codec, &input, -1, port);
        let mut packets: Vec<Vec<u8>> = Vec::new();
        let mut buf = vec![0u8; 65536];
        let deadline = Instant::now() + Duration::from_secs(30);
        // Loopback delivers a datagram into the socket's buffer before
        // sendto returns: once the sender has exited, what is not in the
        // buffer was never sent.
        loop {
            match socket.recv(&mut buf) {
                Ok(n) => packets.push(buf[..n].to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if !sender.running() {
                        break;
                    }
                    assert!(Instant::now() < deadline, "the sender did not finish");
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
        sender.finish(Duration::from_secs(5));
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut nals: Vec<Vec<u8>> = Vec::new();
        let mut fragment = Vec::new();
        let mut last: Option<(u16, u32)> = None;
        let mut lost = 0usize;
        for packet in &packets {
            assert!(
                packet.len() >= 12 && packet[0] >> 6 == 2,
                "an RTP version 2 packet"
            );
            let csrc = usize::from(packet[0] & 0x0f);
            let mut at = 12 + 4 * csrc;
            if packet[0] & 0x10 != 0 {
                let words = usize::from(u16::from_be_bytes([packet[at + 2], packet[at + 3]]));
                at += 4 + 4 * words;
            }
            let marker = packet[1] & 0x80 != 0;
            let sequence = u16::from_be_bytes([packet[2], packet[3]]);
            let timestamp = u32::from_be_bytes(packet[4..8].try_into().unwrap());
            if let Some((previous, ts)) = last {
                lost += usize::from(sequence.wrapping_sub(previous).wrapping_sub(1));
                assert!(
                    ts == timestamp || nals.is_empty(),
                    "a new timestamp before the marker bit ended the last picture"
                );
            }
            last = Some((sequence, timestamp));
            depacketize(codec, &packet[at..], &mut fragment, &mut nals);
            if marker {
                assert!(fragment.is_empty(), "a picture ends inside a fragment");
                frames.push(
                    nals.drain(..)
                        .flat_map(|nal| [&[0, 0, 0, 1][..], &nal].concat())
                        .collect(),
                );
            }
        }
        assert!(nals.is_empty(), "NAL units after the last marker bit");
        let (name, _) = gst_names(codec);
        eprintln!(
            "  {codec}: {} RTP packets, sequence gaps {lost}, {} pictures by timestamp; \
             unit 0 NAL types in {:?}, out {:?}",
            packets.len(),
            frames.len(),
            nal_types(&sealed.units[0], codec),
            nal_types(&frames[0], codec)
        );
        assert_eq!(lost, 0, "{codec}: packets lost on loopback");
        let v = verdicts(&cam, &frames, annexb(codec), None);
        assert_all_accepted(
            &format!(
                "{codec} RTP (rtp{name}pay config-interval=-1 -> UDP -> frames by RTP timestamp)"
            ),
            &sealed,
            &v,
        );
    }
}
