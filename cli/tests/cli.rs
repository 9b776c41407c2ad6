//! The `frameseal` program as a user runs it: every subcommand, the files
//! it writes, what it prints, and its exit code, including bad input
//! (missing files, the wrong key, a truncated stream), which must end in
//! one clear `error: ...` line and a non-zero exit, never a panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use frameseal::frame::{self, Frame, OVERHEAD, layout};
use frameseal::inband::elementary::{Ivf, annexb_access_units};
use frameseal::inband::{self, Layout, UnitCodec, UnitFormat};
use frameseal::{Codec, DropReason, KeyId, LinkedKey, Policy, Signer, Verifier, fingerprint};
use hex::FromHex;

const BIN: &str = env!("CARGO_BIN_EXE_frameseal");
const T: u64 = 1_700_000_000_000_000;
const STREAM_ID: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("frameseal-cli-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Runs `frameseal ARGS` in this directory.
    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .current_dir(&self.0)
            .output()
            .unwrap();
        Run::new(output)
    }

    /// `frameseal verify --key KEY --now-us NOW [EXTRA ...] FILE`.
    fn verify(&self, key: &str, now: u64, extra: &[&str], file: &str) -> Run {
        let now = now.to_string();
        let mut args = vec!["verify", "--key", key, "--now-us", &now];
        args.extend_from_slice(extra);
        args.push(file);
        self.run(&args)
    }

    /// `frameseal seal --codec CODEC --key KEY --timestamp-us T [EXTRA ...]
    /// IN OUT`.
    fn seal(&self, codec: &str, key: &str, extra: &[&str], input: &str, output: &str) -> Run {
        let t = T.to_string();
        let mut args = vec!["seal", "--codec", codec, "--key", key, "--timestamp-us", &t];
        args.extend_from_slice(extra);
        args.extend([input, output]);
        self.run(&args)
    }

    /// The permission bits of a file here.
    #[cfg(unix)]
    fn mode(&self, name: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(self.path(name)).unwrap().permissions().mode() & 0o777
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn new(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        };
        assert!(
            !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
            "the program panicked:\n{}",
            run.stderr
        );
        run
    }

    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stdout holds `text`.
    fn prints(&self, text: &str) -> &Run {
        let stdout = &self.stdout;
        assert!(stdout.contains(text), "{text:?} in stdout:\n{stdout}");
        self
    }

    /// Asserts that stdout ends with `text`.
    fn prints_last(&self, text: &str) -> &Run {
        let stdout = &self.stdout;
        assert!(stdout.ends_with(text), "{text:?} at the end of:\n{stdout}");
        self
    }

    /// Failed with `code` and exactly one `error: ...` line (plus, for a
    /// usage error, the usage line) containing `message`.
    fn fails(self, code: i32, message: &str) -> Run {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "stderr:\n{}", self.stderr);
        assert!(
            errors[0].contains(message),
            "expected {message:?} in {:?}",
            errors[0]
        );
        self
    }
}

/// Bytes that pass `sign`'s JPEG check, tagged so frames can be told apart.
fn jpeg(tag: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(tag.as_bytes());
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// The key in a key file (`frameseal-… <hex>`).
fn key_in(path: &Path) -> [u8; 32] {
    let text = fs::read_to_string(path).unwrap();
    <[u8; 32]>::from_hex(text.split_whitespace().last().unwrap()).unwrap()
}

/// Splits a stream of version 1 frames by each header's length.
fn split(stream: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let length: [u8; 4] = rest[layout::LENGTH].try_into().unwrap();
        let len = OVERHEAD + u32::from_be_bytes(length) as usize;
        let (frame, tail) = rest.split_at(len);
        frames.push(frame);
        rest = tail;
    }
    frames
}

/// `cam.key` / `cam.pub` and a stream `clip.fseal` of three 7-byte "JPEGs"
/// (123-byte frames) signed at `T`.
fn signed_clip(dir: &Scratch) {
    dir.run(&["keygen", "cam"]).ok();
    fs::create_dir(dir.path("shots")).unwrap();
    for name in ["b.jpg", "a.JPEG", "c.jpg"] {
        fs::write(dir.path("shots").join(name), jpeg(&name[..1])).unwrap();
    }
    fs::write(dir.path("shots").join("notes.txt"), "not a picture").unwrap();
    let ts = T.to_string();
    dir.run(&[
        "sign",
        "--key",
        "cam.key",
        "--out",
        "clip.fseal",
        "--timestamp-us",
        &ts,
        "--stream-id",
        STREAM_ID,
        "shots",
    ])
    .ok();
}

#[test]
fn keygen_writes_a_private_secret_and_prints_the_public_key_and_fingerprint() {
    let dir = Scratch::new("keygen");
    let run = dir.run(&["keygen", "cam"]).ok();
    let public = key_in(&dir.path("cam.pub"));
    let secret = key_in(&dir.path("cam.key"));
    assert_eq!(Signer::from_secret(&secret, [0; 16]).public_key(), &public);
    assert!(
        run.stdout
            .contains(&format!("public key    {}\n", hex::encode(public)))
    );
    let fp = fingerprint(&public);
    assert!(run.stdout.contains(&format!("fingerprint   {fp}\n")));
    let code = frameseal::pairing::encode(&public);
    assert!(run.stdout.contains(&format!("pairing code  {code}\n")));
    assert_eq!(
        frameseal::pairing::decode(&code).unwrap().as_bytes(),
        &public
    );
    assert_eq!(fp.len(), 19);
    assert_eq!(
        fs::read_to_string(dir.path("cam.pub")).unwrap(),
        format!("frameseal-public-key {}\n", hex::encode(public))
    );
    #[cfg(unix)]
    assert_eq!(dir.mode("cam.key"), 0o600);
    // Two runs, two different keys.
    dir.run(&["keygen", "other"]).ok();
    assert_ne!(key_in(&dir.path("other.pub")), public);
}

#[test]
fn keygen_never_overwrites_a_key_without_force() {
    let dir = Scratch::new("keygen-force");
    dir.run(&["keygen", "cam"]).ok();
    let before = fs::read(dir.path("cam.key")).unwrap();
    dir.run(&["keygen", "cam"])
        .fails(1, "'cam.key' already exists (pass --force to overwrite it)");
    assert_eq!(fs::read(dir.path("cam.key")).unwrap(), before);
    // Only the public half exists: still refused, and no secret is written.
    fs::remove_file(dir.path("cam.key")).unwrap();
    dir.run(&["keygen", "cam"])
        .fails(1, "'cam.pub' already exists");
    assert!(!dir.path("cam.key").exists());

    fs::write(dir.path("cam.key"), &before).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path("cam.key"), fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir.run(&["keygen", "--force", "cam"]).ok();
    assert_ne!(fs::read(dir.path("cam.key")).unwrap(), before);
    #[cfg(unix)]
    assert_eq!(dir.mode("cam.key"), 0o600, "--force tightens the mode too");
}

#[test]
fn sign_wraps_a_directory_of_jpegs_sorted_by_name() {
    let dir = Scratch::new("sign-dir");
    signed_clip(&dir);
    let stream = fs::read(dir.path("clip.fseal")).unwrap();
    let frames = split(&stream);
    assert_eq!(frames.len(), 3);
    let public = key_in(&dir.path("cam.pub"));
    let mut display =
        Verifier::new(LinkedKey::from_bytes(&public).unwrap(), Policy::default()).unwrap();
    for (i, (bytes, tag)) in frames.iter().zip(["a", "b", "c"]).enumerate() {
        let frame = Frame::parse(bytes, u32::MAX).unwrap();
        let h = frame.header();
        assert_eq!(frame.payload(), jpeg(tag), "frame {i} is {tag}");
        assert_eq!(h.seq, i as u64);
        assert_eq!(
            (h.codec, h.keyframe, h.end_of_stream),
            (Codec::Jpeg, true, false)
        );
        assert_eq!(h.timestamp_us, T);
        assert_eq!(hex::encode(h.stream_id), STREAM_ID);
        assert_eq!(h.key_id, KeyId::of(&public).0);
        display.verify(bytes, T as i64).unwrap();
    }
}

#[test]
fn sign_takes_one_file_and_stamps_it_now() {
    let dir = Scratch::new("sign-file");
    dir.run(&["keygen", "cam"]).ok();
    fs::write(dir.path("one.jpg"), jpeg("one")).unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let run = dir
        .run(&["sign", "--key", "cam.key", "--out", "one.fseal", "one.jpg"])
        .ok();
    assert!(run.stdout.starts_with("signed 1 frame ("), "{}", run.stdout);
    let stream = fs::read(dir.path("one.fseal")).unwrap();
    let frame = Frame::parse(&stream, u32::MAX).unwrap();
    let ts = frame.header().timestamp_us;
    assert!(ts >= before && ts < before + 10_000_000);
    // A fresh random stream id each time.
    dir.run(&["sign", "--key", "cam.key", "--out", "two.fseal", "one.jpg"])
        .ok();
    let other = fs::read(dir.path("two.fseal")).unwrap();
    assert_ne!(stream[layout::STREAM_ID], other[layout::STREAM_ID]);
}

#[test]
fn sign_refuses_what_is_not_a_jpeg_and_leaves_no_half_stream() {
    let dir = Scratch::new("sign-bad");
    dir.run(&["keygen", "cam"]).ok();
    fs::create_dir(dir.path("shots")).unwrap();
    fs::write(dir.path("shots").join("a.jpg"), jpeg("a")).unwrap();
    fs::write(dir.path("shots").join("b.jpg"), b"\x89PNG\r\n\x1a\n").unwrap();
    dir.run(&["sign", "--key", "cam.key", "--out", "x.fseal", "shots"])
        .fails(1, "is not a JPEG (it does not start with FF D8 FF)");
    assert!(!dir.path("x.fseal").exists());

    fs::create_dir(dir.path("empty")).unwrap();
    dir.run(&["sign", "--key", "cam.key", "--out", "x.fseal", "empty"])
        .fails(1, "directory 'empty' holds no .jpg or .jpeg files");
    dir.run(&["sign", "--key", "cam.key", "--out", "x.fseal", "nowhere"])
        .fails(1, "cannot read input 'nowhere': No such file or directory");
    dir.run(&["sign", "--key", "cam.pub", "--out", "x.fseal", "shots"])
        .fails(
            1,
            "key file 'cam.pub' holds a public key, but a secret key is needed here",
        );
    dir.run(&["sign", "--out", "x.fseal", "shots"])
        .fails(2, "missing --key");
    dir.run(&[
        "sign",
        "--key",
        "cam.key",
        "--out",
        "x.fseal",
        "--stream-id",
        "abc",
        "shots",
    ])
    .fails(2, "--stream-id expects 32 hex digits, got 'abc'");
}

#[test]
fn verify_accepts_a_genuine_stream() {
    let dir = Scratch::new("verify-ok");
    signed_clip(&dir);
    let run = dir.verify("cam.pub", T + 1_000_000, &[], "clip.fseal").ok();
    let fp = fingerprint(&key_in(&dir.path("cam.pub")));
    assert!(run.stdout.starts_with(&format!("linked key   {fp}\n")));
    assert_eq!(
        run.stdout.matches("  accepted\n").count(),
        3,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("frame 2    seq 2      jpeg keyframe  7 bytes  accepted")
    );
    assert!(
        run.stdout
            .ends_with("summary      3 frames: 3 accepted, 0 dropped\n")
    );
}

#[test]
fn verify_with_another_cameras_key_drops_every_frame_as_foreign() {
    let dir = Scratch::new("verify-wrong-key");
    signed_clip(&dir);
    dir.run(&["keygen", "stranger"]).ok();
    let run = dir
        .verify("stranger.pub", T, &[], "clip.fseal")
        .fails(1, "error: 3 of 3 frames dropped");
    assert_eq!(run.stdout.matches("dropped: foreign-key").count(), 3);
    assert!(run.stdout.contains("0 accepted, 3 dropped (foreign-key 3)"));
    dir.run(&["verify", "--key", "cam.key", "clip.fseal"])
        .fails(
            1,
            "key file 'cam.key' holds a secret key, but a public key is needed here",
        );
}

#[test]
fn verify_drops_replays_tampering_and_old_frames() {
    let dir = Scratch::new("verify-drops");
    signed_clip(&dir);
    let clip = fs::read(dir.path("clip.fseal")).unwrap();

    // The clip twice: the second copy is replayed.
    fs::write(
        dir.path("twice.fseal"),
        [clip.clone(), clip.clone()].concat(),
    )
    .unwrap();
    dir.verify("cam.pub", T, &[], "twice.fseal")
        .fails(1, "3 of 6 frames dropped")
        .prints("3 accepted, 3 dropped (replayed 3)");

    // One payload bit flipped: a bad signature, the rest still accepted.
    let mut tampered = clip.clone();
    tampered[52 + 4] ^= 1;
    fs::write(dir.path("tampered.fseal"), tampered).unwrap();
    dir.verify("cam.pub", T, &[], "tampered.fseal")
        .fails(1, "1 of 3 frames dropped")
        .prints("frame 0    seq 0      jpeg keyframe  7 bytes  dropped: bad-signature");

    // An hour later the clip is stale, unless freshness is relaxed or off.
    let later = T + 3_600_000_000;
    dir.verify("cam.pub", later, &[], "clip.fseal")
        .fails(1, "3 of 3 frames dropped")
        .prints("(stale 3)");
    for relax in [&["--no-freshness"][..], &["--max-age-ms", "3600000"][..]] {
        dir.verify("cam.pub", later, relax, "clip.fseal").ok();
    }
    // A clock an hour early makes them future frames.
    dir.verify("cam.pub", T - 3_600_000_000, &[], "clip.fseal")
        .fails(1, "3 of 3 frames dropped")
        .prints("(future 3)");
    // Only the stream asked for.
    let other_stream = "00".repeat(16);
    dir.verify("cam.pub", T, &["--stream-id", &other_stream], "clip.fseal")
        .fails(1, "3 of 3 frames dropped")
        .prints("(wrong-stream 3)");
    for (options, message) in [
        (
            &["--no-freshness", "--max-age-ms", "5"][..],
            "--no-freshness switches both clock checks off",
        ),
        (
            &["--replay-window", "70000"],
            "replay window of 70000 is above the maximum of 65536",
        ),
    ] {
        dir.verify("cam.pub", T, options, "clip.fseal")
            .fails(2, message);
    }
}

#[test]
fn verify_reports_a_truncated_stream_after_the_frames_before_it() {
    let dir = Scratch::new("verify-truncated");
    signed_clip(&dir);
    let clip = fs::read(dir.path("clip.fseal")).unwrap();
    assert_eq!(clip.len(), 3 * 123);
    fs::write(dir.path("cut.fseal"), &clip[..2 * 123 + 60]).unwrap();
    let run = dir.verify("cam.pub", T, &[], "cut.fseal").fails(
        1,
        "error: stream 'cut.fseal': truncated: frame 2 at byte 246 needs 123 bytes, only 60 left",
    );
    assert_eq!(run.stdout.matches("  accepted\n").count(), 2);
    // Garbage after the frames is not part of any frame.
    fs::write(
        dir.path("junk.fseal"),
        [clip.clone(), b"JUNK".to_vec()].concat(),
    )
    .unwrap();
    dir.verify("cam.pub", T, &[], "junk.fseal")
        .fails(1, "4 bytes at byte 369 are not part of any frame")
        .prints("skipped      4 bytes at byte 369: no frame starts there\n")
        .prints_last("summary      3 frames: 3 accepted, 0 dropped; 4 bytes skipped\n");
}

/// What a display's byte-stream reader makes of `stream`: the core's
/// `FrameReader` and a `Verifier` with the default policy, judging at `now`.
/// Returns the accepted seqs and the drop reasons, each in offset order.
fn as_the_browser_reads_it(public: &[u8; 32], stream: &[u8], now: u64) -> (Vec<u64>, Vec<String>) {
    use frameseal::deframer::{FrameReader, Verifying};
    let key = LinkedKey::from_bytes(public).unwrap();
    let mut v = Verifier::new(key, Policy::default()).unwrap();
    let mut reader = FrameReader::for_verifier(&v);
    let mut seen = Vec::new();
    // As the JS FrameReader: whole frames, and version-2 seals alone.
    let mut judge = Verifying {
        verifier: &mut v,
        now_us: now as i64,
        then: |offset: u64, verdict: Result<frameseal::Accepted<'_>, frameseal::DropReason>| {
            seen.push((
                offset,
                verdict.map(|ok| ok.header.seq).map_err(|r| r.to_string()),
            ))
        },
    };
    reader.push_to(stream, &mut judge);
    reader.finish_to(&mut judge);
    seen.sort_by_key(|(offset, _)| *offset);
    let accepted = seen.iter().filter_map(|(_, s)| s.clone().ok()).collect();
    let dropped = seen.into_iter().filter_map(|(_, s)| s.err()).collect();
    (accepted, dropped)
}

/// The seqs `frameseal verify` printed as accepted and the reasons it
/// printed as drops, in its (offset) order.
fn verify_lines(stdout: &str) -> (Vec<u64>, Vec<String>) {
    let mut accepted = Vec::new();
    let mut dropped = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("frame ")) {
        let seq: u64 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
        match line.rsplit_once("  ").unwrap().1 {
            "accepted" => accepted.push(seq),
            verdict => {
                let reason = verdict.trim_start_matches("dropped: ");
                dropped.push(reason.trim_end_matches(" (seal checked alone)").to_string())
            }
        }
    }
    (accepted, dropped)
}

/// A camera made by `frameseal keygen cam` in `dir`, as the library's
/// `Signer`, with its public key: the frames of the reader tests.
fn keygen_camera(dir: &Scratch) -> (Signer, [u8; 32]) {
    dir.run(&["keygen", "cam"]).ok();
    let secret = key_in(&dir.path("cam.key"));
    let stream_id = <[u8; 16]>::from_hex(STREAM_ID).unwrap();
    (
        Signer::from_secret(&secret, stream_id),
        key_in(&dir.path("cam.pub")),
    )
}

/// A JPEG frame of seq `seq` at T (version 1, or version 2 when `sealed`).
fn picture_frame(cam: &mut Signer, seq: u64, sealed: bool) -> Vec<u8> {
    let spec = frameseal::FrameSpec {
        seq: Some(seq),
        keyframe: seq == 0,
        codec: Codec::Jpeg,
        ..frameseal::FrameSpec::at(T)
    };
    let picture = jpeg(&format!("picture {seq}"));
    if sealed {
        cam.seal_frame(&picture, &spec).unwrap()
    } else {
        cam.sign_frame(&picture, &spec).unwrap()
    }
}

/// A relay's forged header of `version` for the linked key's (public) id,
/// claiming 16 MiB: 52 bytes (the start of a seal for version 2).
fn forged_header(version: frameseal::frame::Version, public: &[u8; 32]) -> [u8; 52] {
    frameseal::frame::Header {
        version,
        keyframe: true,
        end_of_stream: false,
        codec: Codec::Jpeg,
        key_id: KeyId::of(public).0,
        stream_id: <[u8; 16]>::from_hex(STREAM_ID).unwrap(),
        seq: 9,
        timestamp_us: T,
        payload_len: 16 << 20,
    }
    .encode()
}

/// Writes `file` to `dir` as `name`, checks that a display's reader
/// accepts the seqs and drops for the reasons `expected` says, runs
/// `frameseal verify` on it and checks it printed the same, in the same
/// order, failed with an error naming `error` and ended with `summary`.
/// Returns its standard output.
fn reads_as_the_browser_does(
    dir: &Scratch,
    public: &[u8; 32],
    (name, file): (&str, &[u8]),
    expected: (&[u64], &[&str]),
    (error, summary): (&str, &str),
) -> String {
    fs::write(dir.path(name), file).unwrap();
    let (accepted, dropped) = as_the_browser_reads_it(public, file, T);
    assert_eq!(accepted, expected.0);
    assert_eq!(dropped, expected.1);
    let run = dir.verify("cam.pub", T, &[], name).fails(1, error);
    let (cli_accepted, cli_dropped) = verify_lines(&run.stdout);
    assert_eq!(cli_accepted, accepted, "{}", run.stdout);
    assert_eq!(cli_dropped, dropped, "{}", run.stdout);
    assert!(run.stdout.ends_with(summary), "{}", run.stdout);
    run.stdout
}

#[test]
fn verify_and_the_browser_reader_agree_on_a_stream_with_garbage_and_a_forged_header() {
    // A splitter that trusts every length and stops at the first byte that
    // is not a frame sees one frame in this file, where a display's
    // FrameReader, which resynchronises, shows five: `frameseal verify` must
    // cut it as the browser does (both use the core's reader).
    let dir = Scratch::new("verify-like-the-browser");
    let (mut cam, public) = keygen_camera(&dir);
    let f: Vec<Vec<u8>> = (0..6)
        .map(|seq| picture_frame(&mut cam, seq, false))
        .collect();
    let forged = forged_header(frameseal::frame::Version::Envelope, &public);
    // A bit flip in frame 3's length field.
    let mut flipped = f[3].clone();
    flipped[49] ^= 0x80;
    let file = [
        &f[0][..],
        b"HTTP/1.1 200 OK\r\n\r\n",
        &f[1],
        &forged,
        &f[2],
        &flipped,
        &f[4],
        &f[5],
        &f[2],
        b"FSEAL\x01",
    ]
    .concat();
    let stdout = reads_as_the_browser_does(
        &dir,
        &public,
        ("relayed.fseal", &file),
        (&[0, 1, 2, 4, 5], &["replayed"]),
        (
            "19 bytes at byte 131 are not part of any frame",
            "summary      6 frames: 5 accepted, 1 dropped (replayed 1); 208 bytes skipped\n",
        ),
    );
    // Every byte no frame covers is listed, with what it is.
    for gap in [
        "skipped      19 bytes at byte 131: no frame starts there",
        "skipped      52 bytes at byte 281: a header claiming 16777332 bytes that no \
         signature vouched for",
        "skipped      131 bytes at byte 464: a header claiming 8388739 bytes that no \
         signature vouched for",
        "skipped      6 bytes at byte 988: a frame cut short, which needs 52 bytes",
    ] {
        assert!(stdout.contains(gap), "{gap:?} in\n{stdout}");
    }
}

#[test]
fn verify_drops_a_forged_seal_where_it_stands_as_the_browser_reader_does() {
    // A relay's forged version-2 seal (the linked key's id, 16 MiB
    // claimed, no valid signature) between sealed frames: the display's
    // reader judges it by its 148 bytes at once, and so does the command.
    let dir = Scratch::new("verify-forged-seal");
    let (mut cam, public) = keygen_camera(&dir);
    let f: Vec<Vec<u8>> = (0..5)
        .map(|seq| picture_frame(&mut cam, seq, seq.is_multiple_of(2)))
        .collect();
    let forged_header = forged_header(frameseal::frame::Version::Sealed, &public);
    let forged_seal = [&forged_header[..], &[0x5a; 96]].concat();
    let file = [&f[0][..], &f[1], &forged_seal, &f[2], &f[3], &f[4]].concat();
    let stdout = reads_as_the_browser_does(
        &dir,
        &public,
        ("forged.fseal", &file),
        (&[0, 1, 2, 3, 4], &["bad-signature"]),
        (
            "dropped",
            "summary      6 frames: 5 accepted, 1 dropped (bad-signature 1)\n",
        ),
    );
    assert!(
        stdout.contains("dropped: bad-signature (seal checked alone)"),
        "{stdout}"
    );
}

#[test]
fn inspect_prints_every_header_without_a_key() {
    let dir = Scratch::new("inspect");
    signed_clip(&dir);
    let public = key_in(&dir.path("cam.pub"));
    let run = dir.run(&["inspect", "clip.fseal"]).ok();
    let expected_first = format!(
        "frame 0 at byte 0 (123 bytes)\n  version      1\n  flags        0x01 (keyframe)\n  \
         codec        jpeg (1)\n  key id       {}\n  stream id    {STREAM_ID}\n  seq          0\n  \
         timestamp    1700000000000000 (2023-11-14T22:13:20.000000Z)\n  payload      7 bytes\n  \
         layout       ok\n",
        hex::encode(KeyId::of(&public).0)
    );
    assert!(run.stdout.starts_with(&expected_first), "{}", run.stdout);
    assert!(run.stdout.contains("frame 2 at byte 246 (123 bytes)"));
    assert!(run.stdout.ends_with("3 frames, 369 bytes\n"));

    // A frame breaking a layout rule is shown, and says which.
    let mut odd = fs::read(dir.path("clip.fseal")).unwrap();
    odd[6] = 0x81;
    odd[123 + 7] = 9;
    fs::write(dir.path("odd.fseal"), odd).unwrap();
    // They cannot start a frame, so the reader skips them (as a browser
    // does) and says so; the frame after them is found.
    let run = dir
        .run(&["inspect", "odd.fseal"])
        .fails(1, "246 bytes at byte 0 are not part of any frame");
    assert!(run.stdout.contains("frame 0 at byte 246 (123 bytes)"));
    assert!(
        run.stdout
            .contains("  header at byte 123 (claims 123 bytes), not a frame:")
    );
    assert!(
        run.stdout
            .contains("flags        0x81 (keyframe, reserved bits 0x80)")
    );
    assert!(
        run.stdout
            .contains("layout       malformed: reserved flag bits set (flags 0x81)")
    );
    assert!(run.stdout.contains("codec        unknown (9)"));
    assert!(
        run.stdout
            .contains("layout       malformed: unknown codec byte 9")
    );

    let clip = fs::read(dir.path("clip.fseal")).unwrap();
    fs::write(dir.path("cut.fseal"), &clip[..137]).unwrap();
    let run = dir.run(&["inspect", "cut.fseal"]).fails(
        1,
        "truncated: frame 1 at byte 123 needs 52 bytes, only 14 left",
    );
    assert!(run.stdout.contains("frame 0 at byte 0"));
    dir.run(&["inspect", "missing.fseal"]).fails(
        1,
        "cannot read stream 'missing.fseal': No such file or directory",
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let dir = Scratch::new("closed-stdout");
    signed_clip(&dir);
    let mut child = Command::new(BIN)
        .args(["inspect", "clip.fseal"])
        .current_dir(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `frameseal inspect clip.fseal | head -0`
    let run = Run::new(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn missing_files_and_bad_key_files_are_one_clear_error() {
    let dir = Scratch::new("missing");
    signed_clip(&dir);
    dir.run(&["verify", "--key", "nope.pub", "clip.fseal"])
        .fails(
            1,
            "error: cannot read key file 'nope.pub': No such file or directory",
        );
    dir.run(&["verify", "--key", "cam.pub", "nope.fseal"])
        .fails(
            1,
            "cannot read stream 'nope.fseal': No such file or directory",
        );
    fs::write(dir.path("junk.pub"), "hello world").unwrap();
    dir.run(&["verify", "--key", "junk.pub", "clip.fseal"])
        .fails(
            1,
            "key file 'junk.pub' does not hold a public key (expected one line: \
         frameseal-public-key followed by 64 hex digits)",
        );
    // y = 2 has no x on the curve: 32 bytes that cannot be linked.
    let not_a_point = format!("frameseal-public-key 02{}\n", "00".repeat(31));
    fs::write(dir.path("bad.pub"), not_a_point).unwrap();
    let run = dir
        .run(&["verify", "--key", "bad.pub", "clip.fseal"])
        .fails(1, "key file 'bad.pub' cannot be linked: public key");
    assert!(run.stderr.contains("curve point"), "{}", run.stderr);
}

#[test]
fn usage_mistakes_exit_2_with_the_usage() {
    let dir = Scratch::new("usage");
    let run = dir.run(&[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("commands:"));
    dir.run(&["frobnicate"])
        .fails(2, "unknown command 'frobnicate'");
    let run = dir
        .run(&["verify", "--bogus"])
        .fails(2, "unknown option '--bogus'");
    assert!(
        run.stderr
            .contains("usage: frameseal verify --key NAME.pub")
    );
    dir.run(&["keygen"]).fails(2, "missing NAME");
    let help = dir.run(&["verify", "--help"]).ok();
    assert!(help.stdout.starts_with("usage: frameseal verify"));
    assert!(dir.run(&["--help"]).ok().stdout.contains("keygen"));
    assert!(
        dir.run(&["--version"])
            .ok()
            .stdout
            .starts_with("frameseal ")
    );
}

#[test]
fn inspect_of_a_key_file_prints_its_fingerprint_and_pairing_code() {
    let dir = Scratch::new("inspect-key");
    dir.run(&["keygen", "cam"]).ok();
    let public = key_in(&dir.path("cam.pub"));
    let expected = format!(
        "public key    {}\nfingerprint   {}\npairing code  {}\n",
        hex::encode(public),
        fingerprint(&public),
        frameseal::pairing::encode(&public)
    );
    for (file, what) in [
        ("cam.pub", "public key file"),
        ("cam.key", "secret key file (only its public half is shown)"),
    ] {
        let run = dir.run(&["inspect", file]).ok();
        assert_eq!(run.stdout, format!("{file}: {what}\n{expected}"));
    }
}

#[test]
fn rotate_writes_the_next_key_and_a_rotation_frame_the_old_key_signed() {
    let dir = Scratch::new("rotate");
    dir.run(&["keygen", "cam"]).ok();
    let old = key_in(&dir.path("cam.pub"));
    let now = T + 5_000_000;
    let run = dir
        .run(&[
            "rotate",
            "--stream-id",
            STREAM_ID,
            "--seq",
            "7",
            "--timestamp-us",
            &now.to_string(),
            "cam.key",
            "cam2",
        ])
        .ok();
    let new = key_in(&dir.path("cam2.pub"));
    let new_secret = key_in(&dir.path("cam2.key"));
    assert_eq!(Signer::from_secret(&new_secret, [0; 16]).public_key(), &new);
    assert!(
        run.stdout
            .contains(&format!("old fingerprint  {}\n", fingerprint(&old)))
    );
    assert!(
        run.stdout
            .contains(&format!("fingerprint   {}\n", fingerprint(&new)))
    );
    assert!(run.stdout.contains(&format!(
        "pairing code  {}\n",
        frameseal::pairing::encode(&new)
    )));
    #[cfg(unix)]
    assert_eq!(dir.mode("cam2.key"), 0o600);

    // The frame: signed by the old key; a display linked to it accepts it
    // and from then on trusts the new key only.
    let frame = fs::read(dir.path("cam2.rotation.fseal")).unwrap();
    let stream = <[u8; 16]>::from_hex(STREAM_ID).unwrap();
    let policy = Policy {
        stream_id: Some(stream),
        ..Policy::default()
    };
    let mut display = Verifier::new(LinkedKey::from_bytes(&old).unwrap(), policy).unwrap();
    let accepted = display.verify(&frame, now as i64).unwrap();
    assert_eq!(accepted.header.codec, Codec::KeyRotation);
    assert_eq!(accepted.header.seq, 7);
    assert_eq!(accepted.header.key_id, KeyId::of(&old).0);
    assert_eq!(accepted.new_public_key, Some(new));
    assert_eq!(display.linked_key().as_bytes(), &new);
    let spec = |seq| frameseal::FrameSpec {
        seq: Some(seq),
        keyframe: true,
        codec: Codec::Jpeg,
        ..frameseal::FrameSpec::at(now)
    };
    let mut next = Signer::from_secret(&new_secret, stream);
    let from_new = next.sign_frame(&jpeg("new"), &spec(8)).unwrap();
    assert!(display.verify(&from_new, now as i64).is_ok());
    let old_secret = key_in(&dir.path("cam.key"));
    let from_old = Signer::from_secret(&old_secret, stream)
        .sign_frame(&jpeg("old"), &spec(9))
        .unwrap();
    assert_eq!(
        display.verify(&from_old, now as i64).unwrap_err(),
        DropReason::ForeignKey
    );
    // `verify` says so too, and a display that refuses rotations drops it.
    let run = dir.verify("cam.pub", now, &[], "cam2.rotation.fseal");
    assert!(
        run.ok()
            .stdout
            .contains(&format!("key rotated to {}", fingerprint(&new)))
    );

    // Nothing is overwritten, and a public key cannot sign a rotation.
    dir.run(&["rotate", "cam.key", "cam2"]).fails(1, "cam2.key");
    dir.run(&["rotate", "cam.pub", "cam3"])
        .fails(1, "holds a public key, but a secret key is needed here");
    assert!(!dir.path("cam3.key").exists());
    dir.run(&["rotate", "cam.key"]).fails(2, "missing OLD.key");
}

/// A fixture of the library's in-band tests (real encoder output).
fn inband_fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/inband")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether ffmpeg decodes `file` without an error (None: no ffmpeg here).
fn ffmpeg_decodes(file: &Path) -> Option<bool> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    // dav1d names the seal's metadata OBU type (31, unregistered) at error
    // level while decoding every picture (a known tool limit): not an error.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors = stderr
        .lines()
        .filter(|l| {
            !l.contains("Unknown Metadata OBU type 31") && !l.contains("Last message repeated")
        })
        .count();
    Some(out.status.success() && errors == 0)
}

/// The fixtures `seal`, `verify --codec` and `inspect --codec` are run on:
/// `--codec`, fixture, extension.
const MEDIA: [(&str, &str, &str); 4] = [
    ("h264", "h264-bframes.h264", "h264"),
    ("h265", "h265.h265", "h265"),
    ("av1", "av1.ivf", "ivf"),
    ("jpeg", "jfif.jpg", "jpg"),
];

/// `cam.key` / `cam.pub` and the fixture `name` as `in.EXT`; returns
/// `in.EXT` and `sealed.EXT`, the names for it and its sealed copy.
fn media_scratch(dir: &Scratch, name: &str, ext: &str) -> (String, String) {
    dir.run(&["keygen", "cam"]).ok();
    let input = format!("in.{ext}");
    fs::write(dir.path(&input), inband_fixture(name)).unwrap();
    (input, format!("sealed.{ext}"))
}

#[test]
fn seal_then_verify_every_unit_of_real_h264_h265_av1_and_jpeg_files() {
    for (codec, name, ext) in MEDIA {
        let dir = Scratch::new(&format!("seal-{codec}"));
        let (input, output) = media_scratch(&dir, name, ext);
        let sealed = dir.seal(codec, "cam.key", &[], &input, &output).ok();
        assert!(sealed.stdout.starts_with("sealed "), "{}", sealed.stdout);
        let verified = dir.verify("cam.pub", T, &["--codec", codec], &output).ok();
        let units = verified
            .stdout
            .lines()
            .filter(|l| l.starts_with("unit "))
            .count();
        assert!(units >= 1, "{codec}: {}", verified.stdout);
        assert_eq!(
            verified
                .stdout
                .lines()
                .filter(|l| l.ends_with("accepted"))
                .count(),
            units,
            "{codec}: {}",
            verified.stdout
        );
        verified.prints(&format!("{units} accepted, 0 dropped"));
        // The sealed file still decodes (the seal is an SEI / metadata OBU /
        // APP15 a decoder skips).
        if let Some(decodes) = ffmpeg_decodes(&dir.path(&output)) {
            assert!(decodes, "{codec}: ffmpeg cannot decode the sealed file");
        }
        // The original, unsealed: every unit is unsigned.
        dir.verify("cam.pub", T, &["--codec", codec], &input)
            .fails(1, "dropped")
            .prints("dropped: unsigned");
    }
}

#[test]
fn verify_codec_catches_a_tampered_unit_and_another_cameras_seal() {
    let dir = Scratch::new("seal-tamper");
    let (input, _) = media_scratch(&dir, "h264-bframes.h264", "h264");
    dir.run(&["keygen", "stranger"]).ok();
    dir.seal("h264", "cam.key", &[], &input, "ok.h264").ok();
    dir.seal("h264", "stranger.key", &[], &input, "other.h264")
        .ok();
    // One byte near the end of the last picture changed.
    let mut bytes = fs::read(dir.path("ok.h264")).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x20;
    fs::write(dir.path("bad.h264"), bytes).unwrap();
    let h264 = ["--codec", "h264"];
    dir.verify("cam.pub", T, &h264, "bad.h264")
        .fails(1, "1 of")
        .prints("bad-signature 1");
    dir.verify("cam.pub", T, &h264, "other.h264")
        .fails(1, "dropped")
        .prints("dropped: foreign-key");
    dir.run(&["seal", "--codec", "vp8", "--key", "cam.key", "in.h264", "x"])
        .fails(2, "--codec");
}

/// The units of a media file, cut as the library's elementary-stream
/// readers cut it (independently of the command's own cutting).
fn units_of(bytes: &[u8], codec: UnitCodec) -> Vec<&[u8]> {
    match codec {
        UnitCodec::H264 | UnitCodec::H265 => annexb_access_units(bytes, codec).unwrap(),
        UnitCodec::Av1 => Ivf::parse(bytes)
            .unwrap()
            .frames
            .iter()
            .map(|(_, data)| *data)
            .collect(),
        UnitCodec::Jpeg => vec![bytes],
    }
}

#[test]
fn inspect_codec_shows_every_units_seal_as_it_was_sealed() {
    for (codec, name, ext) in MEDIA {
        let dir = Scratch::new(&format!("inspect-{codec}"));
        let (input, output) = media_scratch(&dir, name, ext);
        dir.seal(
            codec,
            "cam.key",
            &["--stream-id", STREAM_ID],
            &input,
            &output,
        )
        .ok();
        let run = dir.run(&["inspect", "--codec", codec, &output]).ok();
        let format = match codec {
            "h264" => UnitFormat::new(UnitCodec::H264, Layout::AnnexB),
            "h265" => UnitFormat::new(UnitCodec::H265, Layout::AnnexB),
            "av1" => UnitFormat::new(UnitCodec::Av1, Layout::Obu),
            _ => UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg),
        }
        .unwrap();
        let sealed = fs::read(dir.path(&output)).unwrap();
        let units = units_of(&sealed, format.codec());
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), units.len() + 1, "{codec}: {}", run.stdout);
        let key_id = hex::encode(KeyId::of(&key_in(&dir.path("cam.pub"))).0);
        for (seq, (unit, line)) in units.iter().zip(&lines).enumerate() {
            // What was sealed, derived by the library from the unit itself.
            let keyframe = inband::is_keyframe(unit, format).unwrap();
            let mut content = Vec::new();
            inband::content(unit, format, keyframe, None, &mut |piece| {
                content.extend_from_slice(piece)
            })
            .unwrap();
            let flags = if keyframe {
                "flags 0x01 (keyframe)"
            } else {
                "flags 0x00 (none)"
            };
            let expected = format!(
                "unit {seq:<5} {} bytes  version 2  {flags}  codec {codec} ({})  key id {key_id}  \
                 stream id {STREAM_ID}  seq {seq}  timestamp {T} (2023-11-14T22:13:20.000000Z)  \
                 content {} bytes  hash {}  layout ok",
                unit.len(),
                format.codec().codec_byte(),
                content.len(),
                hex::encode(frame::content_hash(&content)),
            );
            assert_eq!(*line, expected, "{codec}");
        }
        assert_eq!(
            lines[units.len()],
            format!(
                "{n} unit{}: {n} sealed, 0 without a seal, 0 malformed",
                if units.len() == 1 { "" } else { "s" },
                n = units.len()
            )
        );

        // The fixture itself carries no seal.
        let run = dir.run(&["inspect", "--codec", codec, &input]).ok();
        let unsealed: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(unsealed.len(), units.len() + 1, "{codec}: {}", run.stdout);
        assert!(
            unsealed[..units.len()]
                .iter()
                .all(|l| l.starts_with("unit ") && l.ends_with(" bytes  no seal")),
            "{codec}: {}",
            run.stdout
        );
        run.prints_last(&format!(
            ": 0 sealed, {} without a seal, 0 malformed\n",
            units.len()
        ));
    }
}

#[test]
fn inspect_codec_reports_a_malformed_unit_and_a_file_it_cannot_cut() {
    let dir = Scratch::new("inspect-malformed");
    let (input, output) = media_scratch(&dir, "jfif.jpg", "jpg");
    dir.seal("jpeg", "cam.key", &[], &input, &output).ok();
    // The sealed JPEG without its end-of-image marker.
    let sealed = fs::read(dir.path(&output)).unwrap();
    fs::write(dir.path("cut.jpg"), &sealed[..sealed.len() - 2]).unwrap();
    let run = dir.run(&["inspect", "--codec", "jpeg", "cut.jpg"]).fails(
        1,
        "media file 'cut.jpg': unit 0: JPEG has no end-of-image marker",
    );
    assert_eq!(
        run.stdout,
        format!(
            "unit 0     {} bytes  malformed: JPEG has no end-of-image marker\n\
             1 unit: 0 sealed, 0 without a seal, 1 malformed\n",
            sealed.len() - 2
        )
    );
    // An APP15 with the frameseal UUID and a body a byte short of a seal.
    let mut short = inband_fixture("jfif.jpg");
    let mut segment = vec![0xFF, 0xEF, 0, 2 + 16 + 147];
    segment.extend(inband::FRAMESEAL_UUID);
    segment.extend([0x5a; 147]);
    short.splice(2..2, segment);
    fs::write(dir.path("short.jpg"), &short).unwrap();
    dir.run(&["inspect", "--codec", "jpeg", "short.jpg"])
        .fails(1, "unit 0: a seal body of 147 bytes, not 148")
        .prints("bytes  malformed: a seal body of 147 bytes, not 148\n")
        .prints_last("1 unit: 0 sealed, 0 without a seal, 1 malformed\n");
    // An H.264 unit whose first NAL unit header has forbidden_zero_bit set:
    // the unit is shown as malformed, the others still with their seals.
    fs::write(dir.path("in.h264"), inband_fixture("h264-bframes.h264")).unwrap();
    dir.seal("h264", "cam.key", &[], "in.h264", "sealed.h264")
        .ok();
    let mut bytes = fs::read(dir.path("sealed.h264")).unwrap();
    let units = units_of(&bytes, UnitCodec::H264).len();
    let first_nal = bytes.windows(3).position(|w| w == [0, 0, 1]).unwrap() + 3;
    bytes[first_nal] |= 0x80;
    fs::write(dir.path("forbidden.h264"), &bytes).unwrap();
    let run = dir
        .run(&["inspect", "--codec", "h264", "forbidden.h264"])
        .fails(1, "unit 0: invalid NAL unit header at byte");
    assert!(
        run.stdout.starts_with("unit 0 ")
            && run
                .stdout
                .lines()
                .next()
                .unwrap()
                .contains("  malformed: invalid NAL unit header"),
        "{}",
        run.stdout
    );
    run.prints_last(&format!(
        "{units} units: {} sealed, 0 without a seal, 1 malformed\n",
        units - 1
    ));
    // A file that is not the named codec cannot be cut into units at all.
    dir.run(&["inspect", "--codec", "av1", &output])
        .fails(1, "media file 'sealed.jpg'");
    dir.run(&["inspect", "--codec", "vp8", &output])
        .fails(2, "--codec");
    let usage = dir.run(&["inspect", "--help"]).ok();
    assert!(usage.stdout.contains("--codec h264|h265|av1|jpeg MEDIA"));
}

#[test]
fn an_av1_obu_stream_is_sealed_unit_by_unit_like_the_same_units_in_ivf() {
    // The IVF fixture's frames back to back are a low-overhead OBU stream
    // (each starts with its temporal delimiter): sealed with the same
    // fields, its units come out byte for byte those of the sealed IVF.
    let dir = Scratch::new("seal-obu");
    let ivf = inband_fixture("av1.ivf");
    let frames = Ivf::parse(&ivf).unwrap().frames;
    let obu: Vec<u8> = frames.iter().flat_map(|(_, data)| data.to_vec()).collect();
    let (input, _) = media_scratch(&dir, "av1.ivf", "ivf");
    fs::write(dir.path("in.obu"), &obu).unwrap();
    let fields = ["--stream-id", STREAM_ID];
    dir.seal("av1", "cam.key", &fields, &input, "sealed.ivf")
        .ok();
    dir.seal("av1", "cam.key", &fields, "in.obu", "sealed.obu")
        .ok();
    let sealed_ivf = fs::read(dir.path("sealed.ivf")).unwrap();
    let sealed_obu = fs::read(dir.path("sealed.obu")).unwrap();
    let ivf_units: Vec<u8> = units_of(&sealed_ivf, UnitCodec::Av1).concat();
    assert_eq!(sealed_obu, ivf_units);
    dir.verify("cam.pub", T, &["--codec", "av1"], "sealed.obu")
        .ok()
        .prints(&format!("{n} accepted, 0 dropped", n = frames.len()));
    // Bytes that are neither: named as such, with the offset.
    fs::write(dir.path("junk.obu"), [0x0a, 0x0b, 0, 0]).unwrap();
    dir.verify("cam.pub", T, &["--codec", "av1"], "junk.obu")
        .fails(1, "neither IVF nor an OBU stream");
}
