//! `frameseal verify --signed-video` as a user runs it, on the reference
//! projects' recordings (tests/fixtures/signed-video/, see its README):
//! the per-GOP verdicts and totals against what the reference `validator`
//! app printed for each file (`reference-validator/`), the trust options,
//! the JSON lines, and bad input (exit 2, one `error:` line, no panic).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use frameseal::signed_video::mp4;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_frameseal");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/signed-video")
        .join(name)
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "frameseal-cli-sv-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
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

/// Runs `frameseal verify --signed-video ARGS`.
fn verify(args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .args(["verify", "--signed-video"])
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "the program panicked:\n{}",
        run.stderr
    );
    run
}

impl Run {
    /// Exited with `code` and exactly one `error: ...` line containing
    /// `message`.
    fn fails(&self, code: i32, message: &str) -> &Run {
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

    fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(self.stderr.is_empty(), "stderr:\n{}", self.stderr);
        self
    }

    /// The JSON lines: every line parses; the GOP lines, then the summary.
    fn json(&self) -> (Vec<Gop>, Value) {
        let lines: Vec<Value> = self
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect();
        let (summary, gops) = lines.split_last().expect("a summary line");
        assert!(summary["summary"].is_object(), "{summary}");
        let gops = gops
            .iter()
            .enumerate()
            .map(|(i, g)| {
                assert_eq!(g["gop"], i, "GOPs in order from 0: {g}");
                Gop {
                    first: g["firstFrame"].as_u64().unwrap(),
                    frames: g["frames"].as_u64().unwrap(),
                    verdict: g["verdict"].as_str().unwrap().to_string(),
                }
            })
            .collect();
        (gops, summary.clone())
    }
}

/// One GOP: its first picture (decode order, from 0), pictures, verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Gop {
    first: u64,
    frames: u64,
    verdict: String,
}

fn gop(first: u64, frames: u64, verdict: &str) -> Gop {
    Gop {
        first,
        frames,
        verdict: verdict.to_string(),
    }
}

/// What the reference validator printed for a file.
struct Reference {
    /// The GOPs it validated, with their pictures, in order.
    gops: Vec<Gop>,
    /// Validations that covered no picture (an older Axis signer's first
    /// SEI, or the Axis camera's SEI for the GOP before signing started).
    empty_validations: usize,
    /// Its totals.
    valid: usize,
    invalid: usize,
    not_signed: bool,
}

/// Reads `reference-validator/<name>.txt`: each "Latest authenticity
/// result" shows the NAL units it saw (`I`, `P` pictures; others not
/// pictures) over a validity line in which a picture is `.` valid, `N`
/// invalid, `P` pending (shown again in a later result); the pictures
/// marked `.` or `N` in one result are the GOP it validated.
fn reference(name: &str) -> Reference {
    let text = fs::read_to_string(fixture(&format!("reference-validator/{name}.txt"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut gops = Vec::new();
    let mut empty_validations = 0;
    let mut next_frame = 0u64;
    for (i, line) in lines.iter().enumerate() {
        let Some(nalus) = line.strip_prefix("   nalus : ") else {
            continue;
        };
        let marks = lines[i + 1]
            .strip_prefix("valid    : ")
            .or_else(|| lines[i + 1].strip_prefix("invalid  : "))
            .unwrap_or_else(|| panic!("{name}: a validity line after {line:?}"));
        assert_eq!(nalus.len(), marks.len(), "{name}: {line}");
        let (mut frames, mut invalid) = (0u64, false);
        for (unit, mark) in nalus.bytes().zip(marks.bytes()) {
            if !matches!(unit, b'I' | b'P') {
                continue;
            }
            match mark {
                b'.' => frames += 1,
                b'N' => {
                    frames += 1;
                    invalid = true;
                }
                b'P' => {}
                other => panic!("{name}: mark {:?} not read here", other as char),
            }
        }
        if frames == 0 {
            empty_validations += 1;
            continue;
        }
        let verdict = if invalid { "tampered" } else { "authentic" };
        gops.push(gop(next_frame, frames, verdict));
        next_frame += frames;
    }
    let number = |label: &str| -> usize {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(label))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    Reference {
        gops,
        empty_validations,
        valid: number("Number of valid GOPs:"),
        invalid: number("Number of invalid GOPs:"),
        not_signed: text.contains("VIDEO IS NOT SIGNED!"),
    }
}

/// The signed fixtures, and whether the CLI checks the last GOP where the
/// reference app left it pending: a current signer sends a SEI when
/// signing stops, which checks the last GOP, but GStreamer (which the app
/// reads `.mp4` files with) drops the last sample, where that SEI is; the
/// app checks it on the same recording as Annex B
/// (`axis_signed_test_h264.annexb.txt`, see the annexb test below). An
/// older Axis signer's SEI lists the next I-frame, so its last GOP stays
/// pending in both.
const SIGNED: [(&str, bool); 8] = [
    ("axis_signed_test_h264.mp4", true),
    ("axis_signed_test_h265.mp4", false),
    ("axis_signed_test_h264_modified_frame_137.mp4", false),
    ("axis_signed_vendor_axis.h264", false),
    ("onvif_test_signed_h264.mp4", true),
    ("onvif_test_signed_h265.mp4", true),
    ("frameseal_rsa_signed_h264.h264", false),
    ("frameseal_partial_gops_golden_h264.h264", false),
];

/// Compares the CLI's GOPs on `file` with the reference's on `name`; the
/// pictures the reference left pending form the CLI's last GOP, pending
/// unless `last_checked`.
fn assert_as_the_reference(name: &str, file: &str, last_checked: bool) {
    let reference = reference(name);
    let run = verify(&["--json", file]);
    let (gops, summary) = run.json();
    let validated = reference.gops.len();
    assert!(validated > 0, "{name}: the reference validated GOPs");
    assert_eq!(gops[..validated], reference.gops[..], "{name}");
    let total: u64 = gops.iter().map(|g| g.frames).sum();
    let tail = total - gops[..validated].iter().map(|g| g.frames).sum::<u64>();
    let rest = &gops[validated..];
    let expected_rest: Vec<Gop> = if tail == 0 {
        vec![]
    } else {
        let verdict = if last_checked { "authentic" } else { "pending" };
        vec![gop(total - tail, tail, verdict)]
    };
    assert_eq!(
        rest, expected_rest,
        "{name}: the GOPs after the reference's"
    );

    // Totals: the reference counts its picture-less validations as valid
    // GOPs, and not the last GOP it left pending.
    let s = &summary["summary"];
    let authentic = s["authentic"].as_u64().unwrap() as usize;
    let checked_last = usize::from(last_checked && tail > 0);
    assert_eq!(
        authentic - checked_last + reference.empty_validations,
        reference.valid,
        "{name}: valid GOPs"
    );
    assert_eq!(s["tampered"], reference.invalid, "{name}: invalid GOPs");
    assert_eq!(s["gops"], gops.len(), "{name}");
    for key in ["incomplete", "unsigned", "foreignKey", "unverifiable"] {
        assert_eq!(s[key], 0, "{name}: {key}");
    }
    assert_eq!(
        s["pending"],
        usize::from(!last_checked && tail > 0),
        "{name}"
    );
    let code = if reference.invalid > 0 { 1 } else { 0 };
    assert_eq!(run.code, code, "{name}: {}", run.stderr);
}

#[test]
fn every_signed_file_gets_the_reference_validators_verdicts_and_totals() {
    for (name, last_checked) in SIGNED {
        let file = fixture(name);
        assert_as_the_reference(name, file.to_str().unwrap(), last_checked);
    }
}

#[test]
fn the_axis_recording_as_annex_b_has_its_last_gop_checked_as_the_reference_does() {
    // The Axis signer writes its SEIs with emulation prevention, so the
    // samples of the .mp4 behind start codes are its Annex B form (what
    // ffmpeg's h264_mp4toannexb gives, parameter sets aside).
    let dir = Scratch::new("annexb");
    let file = fs::read(fixture("axis_signed_test_h264.mp4")).unwrap();
    let track = mp4::video_track(&file).unwrap();
    let mut annexb = Vec::new();
    for i in 0..track.len() {
        for nal in track.nal_units(track.sample(&file, i).unwrap()).unwrap() {
            annexb.extend_from_slice(&[0, 0, 0, 1]);
            annexb.extend_from_slice(nal);
        }
    }
    let path = dir.write("axis_signed_test_h264.h264", &annexb);
    let reference = reference("axis_signed_test_h264.annexb");
    assert_eq!(reference.valid, 5);
    assert_as_the_reference("axis_signed_test_h264.annexb", &path, false);
}

#[test]
fn the_modified_frame_137_file_is_tampered_in_the_gop_of_pictures_124_to_185_only() {
    let run = verify(&[
        "--json",
        fixture("axis_signed_test_h264_modified_frame_137.mp4")
            .to_str()
            .unwrap(),
    ]);
    run.fails(1, "1 of 5 GOPs not authentic (tampered 1)");
    let (gops, _) = run.json();
    let tampered: Vec<&Gop> = gops
        .iter()
        .filter(|g| g.verdict != "authentic" && g.verdict != "pending")
        .collect();
    assert_eq!(tampered, [&gop(124, 62, "tampered")]);

    // The table says the same, with why.
    let run = verify(&[fixture("axis_signed_test_h264_modified_frame_137.mp4")
        .to_str()
        .unwrap()]);
    run.fails(1, "1 of 5 GOPs not authentic");
    assert!(
        run.stdout.contains("2      124          62      tampered (hash-list: changed or added units 1, missing units 0)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "summary      5 GOPs: 3 authentic, 1 tampered, 0 incomplete, 0 unsigned, 1 pending"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn frames_prints_a_verdict_per_picture_after_each_gop_and_only_picture_137_is_tampered() {
    let file = fixture("axis_signed_test_h264_modified_frame_137.mp4");
    let run = verify(&["--json", "--frames", file.to_str().unwrap()]);
    run.fails(1, "1 of 5 GOPs not authentic (tampered 1)");
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    // Each GOP line, then its pictures' lines, in decode order.
    let mut gop: Option<&Value> = None;
    let mut pictures: Vec<(u64, u64, String)> = Vec::new();
    for line in &lines {
        if line.get("frame").is_some() {
            let g = gop.expect("a GOP line before its pictures");
            assert_eq!(line["gop"], g["gop"], "{line}");
            let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 3, "{line}");
            pictures.push((
                line["frame"].as_u64().unwrap(),
                line["gop"].as_u64().unwrap(),
                line["verdict"].as_str().unwrap().to_string(),
            ));
        } else if line.get("gop").is_some() {
            gop = Some(line);
        }
    }
    // Four GOPs judged (the fifth is pending): pictures 0..248, in order.
    let frames: Vec<u64> = pictures.iter().map(|p| p.0).collect();
    assert_eq!(frames, (0..248).collect::<Vec<u64>>());
    let not_authentic: Vec<&(u64, u64, String)> =
        pictures.iter().filter(|p| p.2 != "authentic").collect();
    assert_eq!(not_authentic, [&(137, 2, "tampered".to_string())]);
    assert!(
        pictures
            .iter()
            .filter(|p| p.0 >= 124 && p.0 < 186)
            .all(|p| p.1 == 2)
    );

    // Without --frames the output is as before.
    let (gops, _) = verify(&["--json", file.to_str().unwrap()]).json();
    assert_eq!(gops.len(), 5);
    // --frames is for the JSON output only.
    let run = verify(&["--frames", file.to_str().unwrap()]);
    run.fails(
        2,
        "--frames adds a JSON line per picture to the GOP lines: it needs --json",
    );
}

#[test]
fn unsigned_files_are_unsigned_and_pass() {
    for name in ["axis_test_h264.mp4", "axis_test_h265.mp4"] {
        assert!(reference(name).not_signed, "{name}");
        let run = verify(&["--json", fixture(name).to_str().unwrap()]);
        run.ok();
        let (gops, summary) = run.json();
        assert_eq!(gops.len(), 5, "{name}");
        assert!(gops.iter().all(|g| g.verdict == "unsigned"), "{name}");
        assert_eq!(summary["summary"]["unsigned"], 5);
        assert_eq!(summary["scheme"], Value::Null);
        assert_eq!(summary["signer"], Value::Null);
        assert_eq!(summary["publicKeyFingerprint"], Value::Null);
        assert_eq!(summary["trust"], "in-stream-key-only");
    }
}

#[test]
fn the_summary_names_scheme_codec_signer_and_the_signers_key() {
    let run = verify(&[
        "--json",
        fixture("axis_signed_vendor_axis.h264").to_str().unwrap(),
    ]);
    run.ok();
    let (_, summary) = run.json();
    assert_eq!(summary["scheme"], "axis");
    assert_eq!(summary["codec"], "h264");
    assert_eq!(summary["signer"]["manufacturer"], "Axis Communications AB");
    assert_eq!(summary["signer"]["serialNumber"], "B8A44F27E6D1");
    assert_eq!(summary["signer"]["hardwareId"], "7EB.1");
    assert_eq!(summary["trust"], "in-stream-key-only");
    assert_eq!(summary["trustError"], Value::Null);
    let fingerprint = summary["publicKeyFingerprint"].as_str().unwrap();
    let groups: Vec<&str> = fingerprint.split('-').collect();
    assert_eq!(groups.len(), 4, "{fingerprint}");
    assert!(groups.iter().all(|g| {
        g.len() == 4
            && g.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    }));

    let run = verify(&[
        "--json",
        fixture("onvif_test_signed_h265.mp4").to_str().unwrap(),
    ]);
    let (_, summary) = run.json();
    assert_eq!(
        (summary["scheme"].as_str(), summary["codec"].as_str()),
        (Some("onvif"), Some("h265"))
    );
    assert_eq!(summary["signer"]["manufacturer"], "Signed Media Framework");
    assert!(summary["signer"].get("hardwareId").is_none());
}

/// The first PEM block labelled `label` in a fixture's bytes.
fn pem_in(name: &str, label: &str) -> String {
    let text = String::from_utf8_lossy(&fs::read(fixture(name)).unwrap()).into_owned();
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).unwrap();
    let stop = text[start..].find(&end).unwrap() + start + end.len();
    text[start..stop].to_string() + "\n"
}

#[test]
fn trust_key_passes_the_cameras_own_key_and_makes_another_keys_gops_foreign() {
    let dir = Scratch::new("trust-key");
    let key = dir.write(
        "camera.pem",
        pem_in("axis_signed_test_h264.mp4", "PUBLIC KEY").as_bytes(),
    );
    let own = fixture("axis_signed_test_h264.mp4");
    let run = verify(&["--json", "--trust-key", &key, own.to_str().unwrap()]);
    run.ok();
    let (gops, summary) = run.json();
    assert!(gops.iter().all(|g| g.verdict == "authentic"));
    assert_eq!(summary["trust"], "key");
    let in_stream = verify(&["--json", own.to_str().unwrap()]).json().1;
    assert_eq!(
        summary["publicKeyFingerprint"],
        in_stream["publicKeyFingerprint"]
    );

    // Another camera's recordings with this key: every signed GOP is
    // foreign-key, none authentic, exit 1.
    for (name, expected) in [
        ("onvif_test_signed_h264.mp4", vec!["foreign-key"; 5]),
        (
            "axis_signed_test_h265.mp4",
            vec![
                "foreign-key",
                "foreign-key",
                "foreign-key",
                "foreign-key",
                "pending",
            ],
        ),
    ] {
        let run = verify(&[
            "--json",
            "--trust-key",
            &key,
            fixture(name).to_str().unwrap(),
        ]);
        run.fails(1, "GOPs not authentic (foreign-key ");
        let (gops, summary) = run.json();
        let verdicts: Vec<&str> = gops.iter().map(|g| g.verdict.as_str()).collect();
        assert_eq!(verdicts, expected, "{name}");
        assert_eq!(summary["summary"]["authentic"], 0, "{name}");
        assert_ne!(
            summary["publicKeyFingerprint"], in_stream["publicKeyFingerprint"],
            "{name}: the foreign key is shown"
        );
    }
    // The table names the linked key.
    let run = verify(&[
        "--trust-key",
        &key,
        fixture("onvif_test_signed_h264.mp4").to_str().unwrap(),
    ]);
    run.fails(1, "5 of 5 GOPs not authentic (foreign-key 5)");
    let fingerprint = in_stream["publicKeyFingerprint"].as_str().unwrap();
    assert!(
        run.stdout
            .contains(&format!("trust        key {fingerprint} (--trust-key)")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("foreign-key (foreign-key)"),
        "{}",
        run.stdout
    );
}

#[test]
fn trust_ca_passes_inside_the_validity_and_reports_an_expired_certificate_as_expired() {
    let ca = fixture("onvif_ca.pem");
    let ca = ca.to_str().unwrap();
    for name in ["onvif_test_signed_h264.mp4", "onvif_test_signed_h265.mp4"] {
        let file = fixture(name);
        let file = file.to_str().unwrap();
        let run = verify(&[
            "--json",
            "--trust-ca",
            ca,
            "--at",
            "2025-06-01T00:00:00Z",
            file,
        ]);
        run.ok();
        let (gops, summary) = run.json();
        assert!(gops.iter().all(|g| g.verdict == "authentic"), "{name}");
        assert_eq!(
            (summary["trust"].as_str(), &summary["trustError"]),
            (Some("ca"), &Value::Null)
        );

        // Now (after November 2025): expired, said so, not tampering.
        let run = verify(&["--json", "--trust-ca", ca, file]);
        run.fails(
            1,
            "signer not trusted: the signer's certificate 'Test camera' has expired",
        );
        let (gops, summary) = run.json();
        assert!(
            gops.iter().all(|g| g.verdict == "authentic"),
            "{name}: GOPs keep their verdicts"
        );
        assert_eq!(summary["summary"]["tampered"], 0);
        assert_eq!(summary["trustError"]["reason"], "expired");
        assert!(
            summary["trustError"]["message"]
                .as_str()
                .unwrap()
                .contains("to 2025-11-13T16:36:59Z")
        );
    }
    // The table says it too.
    let run = verify(&[
        "--trust-ca",
        ca,
        fixture("onvif_test_signed_h264.mp4").to_str().unwrap(),
    ]);
    run.fails(1, "has expired");
    assert!(
        run.stdout
            .contains("trust error  expired: the signer's certificate 'Test camera' has expired"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("trust        ca 'Test RootCA' (--trust-ca)"),
        "{}",
        run.stdout
    );

    // A stream whose key the CA did not vouch for (no chain at all): foreign.
    let run = verify(&[
        "--json",
        "--trust-ca",
        ca,
        "--at",
        "2025-06-01T00:00:00Z",
        fixture("axis_signed_test_h264.mp4").to_str().unwrap(),
    ]);
    run.fails(1, "5 of 5 GOPs not authentic (foreign-key 5)");
    assert_eq!(run.json().1["trustError"]["reason"], "no-certificate-chain");

    // The Axis examples' cert_chain.pem (leaf, root) vouches for the key
    // the partial-GOP vector carries bare.
    let chain = fixture("axis_cert_chain.pem");
    let run = verify(&[
        "--trust-ca",
        chain.to_str().unwrap(),
        "--at",
        "2025-06-01T00:00:00Z",
        fixture("frameseal_partial_gops_golden_h264.h264")
            .to_str()
            .unwrap(),
    ]);
    run.ok();
}

#[test]
fn bad_input_exits_2_with_one_error_line() {
    let dir = Scratch::new("bad");
    let mp4 = fixture("onvif_test_signed_h264.mp4");
    let mp4 = mp4.to_str().unwrap();
    let missing = dir.0.join("missing.mp4");
    verify(&[missing.to_str().unwrap()]).fails(2, "recording '");
    let text = dir.write("notes.txt", b"hello");
    verify(&[&text]).fails(
        2,
        "neither an MP4 file (no ftyp box) nor an IVF file (no DKIF) nor named .h264, .h265",
    );
    let empty = dir.write("empty.h264", b"no start code here");
    verify(&[&empty]).fails(2, "no NAL units");
    let whole = fs::read(fixture("onvif_test_signed_h264.mp4")).unwrap();
    let cut = dir.write("cut.mp4", &whole[..whole.len() / 2]);
    verify(&[&cut]).fails(2, "recording '");

    let not_pem = dir.write("key.pem", b"not a key");
    verify(&["--trust-key", &not_pem, mp4]).fails(2, "--trust-key file '");
    let cert = fixture("onvif_ca.pem");
    verify(&["--trust-key", cert.to_str().unwrap(), mp4])
        .fails(2, "not an EC P-256 or RSA public key");
    verify(&["--trust-ca", &not_pem, mp4]).fails(2, "--trust-ca file '");
    verify(&["--trust-ca", missing.to_str().unwrap(), mp4]).fails(2, "--trust-ca file '");
    let ca = cert.to_str().unwrap();
    for at in ["2025-06-01", "June 2025", "2025-02-30T00:00:00Z"] {
        verify(&["--trust-ca", ca, "--at", at, mp4])
            .fails(2, "--at expects an RFC 3339 date and time");
    }
    verify(&["--axis", "--trust-ca", ca, mp4]).fails(2, "cannot be combined");
    verify(&["--trust-key", &not_pem, "--trust-ca", ca, mp4]).fails(2, "cannot be combined");
    verify(&["--key", "camera.pub", mp4]).fails(2, "--key is for frame streams");
    verify(&[]).fails(2, "missing FILE");

    // The signed-video options need --signed-video.
    let run = Command::new(BIN)
        .args(["verify", "--json", mp4])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--json needs --signed-video"));
}

#[test]
fn axis_attestation_vouches_for_the_axis_camera_and_for_nothing_else() {
    // As the reference validator: "PUBLIC KEY IS VALID!" for the Axis
    // camera recording (attestation report + Axis Edge Vault chain).
    let camera = fixture("axis_signed_vendor_axis.h264");
    let camera = camera.to_str().unwrap();
    let run = verify(&["--json", "--axis", "--at", "2026-12-01T00:00:00Z", camera]);
    run.ok();
    let (gops, summary) = run.json();
    assert_eq!(gops, [gop(0, 32, "authentic"), gop(32, 18, "pending")]);
    assert_eq!(summary["trust"], "axis-attestation");
    assert_eq!(summary["trustError"], Value::Null);
    // The attestation certificate expires on 2031-02-15.
    let run = verify(&["--json", "--axis", "--at", "2031-06-01T00:00:00Z", camera]);
    run.fails(
        1,
        "signer not trusted: the signer's certificate 'Axis Edge Vault Attestation",
    );
    assert_eq!(run.json().1["trustError"]["reason"], "expired");
    // The test cameras' recordings carry no Axis chain: foreign.
    for (name, reason) in [
        ("axis_signed_test_h264.mp4", "no-certificate-chain"),
        ("onvif_test_signed_h264.mp4", "untrusted-chain"),
    ] {
        let run = verify(&["--json", "--axis", fixture(name).to_str().unwrap()]);
        run.fails(1, "5 of 5 GOPs not authentic (foreign-key 5)");
        assert_eq!(run.json().1["trustError"]["reason"], reason, "{name}");
    }
}

/// The AV1 vectors signed by the reference library (Axis Signed Video in a
/// metadata OBU), as low-overhead `.obu` streams.
const AV1: [&str; 4] = [
    "frameseal_signed_av1.obu",
    "frameseal_signed_av1_modified_frame_21.obu",
    // Hidden frames and frame headers showing an existing frame.
    "frameseal_signed_av1_altref.obu",
    "frameseal_signed_av1_altref_shown_frame_changed.obu",
];

/// The OBUs of a low-overhead stream, each whole.
fn obus(stream: &[u8]) -> Vec<&[u8]> {
    frameseal::signed_video::av1::obu_units(stream).unwrap()
}

/// The temporal units of a low-overhead stream (each opened by a temporal
/// delimiter, OBU type 2).
fn temporal_units(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut units: Vec<Vec<u8>> = Vec::new();
    for obu in obus(stream) {
        if (obu[0] >> 3) & 0x0f == 2 || units.is_empty() {
            units.push(Vec::new());
        }
        units.last_mut().unwrap().extend_from_slice(obu);
    }
    units
}

/// The stream as an IVF file, one temporal unit a frame.
fn ivf(stream: &[u8], fourcc: &[u8; 4]) -> Vec<u8> {
    let units = temporal_units(stream);
    let mut out = b"DKIF".to_vec();
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&160u16.to_le_bytes());
    out.extend_from_slice(&96u16.to_le_bytes());
    for v in [15u32, 1, units.len() as u32, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, unit) in units.iter().enumerate() {
        out.extend_from_slice(&(unit.len() as u32).to_le_bytes());
        out.extend_from_slice(&(i as u64).to_le_bytes());
        out.extend_from_slice(unit);
    }
    out
}

fn mp4_box(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = 8 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut out = (len as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// The stream as a plain MP4 file with an `av01` track: one sample a
/// temporal unit, without its temporal delimiter (AV1-ISOBMFF §2.4), no
/// times.
fn av1_mp4(stream: &[u8]) -> Vec<u8> {
    let samples: Vec<Vec<u8>> = temporal_units(stream)
        .iter()
        .map(|unit| {
            obus(unit)
                .into_iter()
                .filter(|o| (o[0] >> 3) & 0x0f != 2)
                .flatten()
                .copied()
                .collect()
        })
        .collect();
    let be = |v: u32| v.to_be_bytes();
    // av1C: version 1, profile 0, level 0, tier M, 8 bits, 4:2:0.
    let av1c = mp4_box(b"av1C", &[&[0x81, 0x00, 0x0c, 0x00]]);
    let mut visual = vec![0u8; 78];
    visual[6..8].copy_from_slice(&1u16.to_be_bytes()); // data_reference_index
    visual[24..26].copy_from_slice(&160u16.to_be_bytes());
    visual[26..28].copy_from_slice(&96u16.to_be_bytes());
    let av01 = mp4_box(b"av01", &[&visual, &av1c]);
    let stsd = mp4_box(b"stsd", &[&be(0), &be(1), &av01]);
    let mut sizes = be(0).to_vec();
    sizes.extend_from_slice(&be(samples.len() as u32));
    for s in &samples {
        sizes.extend_from_slice(&be(s.len() as u32));
    }
    let stsz = mp4_box(b"stsz", &[&be(0), &sizes]);
    let stsc = mp4_box(
        b"stsc",
        &[&be(0), &be(1), &be(1), &be(samples.len() as u32), &be(1)],
    );
    let ftyp = mp4_box(b"ftyp", &[b"isom", &be(0), b"isomav01"]);
    let build = |offset: u32| {
        let stco = mp4_box(b"stco", &[&be(0), &be(1), &be(offset)]);
        let stbl = mp4_box(b"stbl", &[&stsd, &stsz, &stsc, &stco]);
        let minf = mp4_box(b"minf", &[&stbl]);
        let hdlr = mp4_box(b"hdlr", &[&be(0), &be(0), b"vide", &[0; 13]]);
        let mdia = mp4_box(b"mdia", &[&hdlr, &minf]);
        mp4_box(b"moov", &[&mp4_box(b"trak", &[&mdia])])
    };
    let moov_len = build(0).len();
    let moov = build((ftyp.len() + moov_len + 8) as u32);
    let data: Vec<u8> = samples.concat();
    [ftyp, moov, mp4_box(b"mdat", &[&data])].concat()
}

#[test]
fn the_av1_vectors_get_the_reference_librarys_verdicts_and_totals() {
    // The reference checks the last GOP with the signer's end-of-stream
    // metadata OBU, which is in the file: nothing is left pending.
    for name in AV1 {
        let file = fixture(name);
        assert_as_the_reference(name, file.to_str().unwrap(), false);
        let (gops, summary) = verify(&["--json", file.to_str().unwrap()]).json();
        let want = if name.contains("altref") { 3 } else { 4 };
        assert_eq!(gops.len(), want, "{name}");
        assert_eq!(summary["codec"], "av1");
        assert_eq!(summary["scheme"], "axis");
        assert_eq!(summary["signer"]["firmwareVersion"], "av1-vector-1");
    }
    let (gops, _) = verify(&["--json", fixture(AV1[1]).to_str().unwrap()]).json();
    assert_eq!(gops[1], gop(16, 16, "tampered"));
    // The reference marks picture 21, the sixth of that GOP, 'N'.
    let reference =
        std::fs::read_to_string(fixture(&format!("reference-validator/{}.txt", AV1[1]))).unwrap();
    assert!(
        reference.contains("invalid  : ._.._._._._N_."),
        "{reference}"
    );
    let (gops, _) = verify(&["--json", fixture(AV1[3]).to_str().unwrap()]).json();
    assert_eq!(gops[1], gop(23, 23, "tampered"));
}

#[test]
fn the_av1_vectors_in_ivf_and_mp4_get_the_same_verdicts() {
    let dir = Scratch::new("av1");
    for name in AV1 {
        let stream = fs::read(fixture(name)).unwrap();
        let want = verify(&["--json", fixture(name).to_str().unwrap()]).json();
        let as_ivf = dir.write("stream.ivf", &ivf(&stream, b"AV01"));
        let as_mp4 = dir.write("stream.mp4", &av1_mp4(&stream));
        for (path, container) in [(as_ivf, "ivf"), (as_mp4, "mp4")] {
            let run = verify(&["--json", &path]);
            assert_eq!(run.json(), want, "{name} as {container}");
            let table = verify(&[&path]);
            assert!(
                table.stdout.contains(&format!("({container}, av1)")),
                "{}",
                table.stdout
            );
        }
    }
    let track = mp4::video_track(&av1_mp4(&fs::read(fixture(AV1[0])).unwrap())).unwrap();
    assert_eq!(track.codec_string(), "av01.0.00M.08");
}

#[test]
fn bad_av1_input_exits_2_with_one_error_line() {
    let dir = Scratch::new("av1-bad");
    let stream = fs::read(fixture(AV1[0])).unwrap();
    let cut = dir.write("cut.obu", &stream[..stream.len() - 3]);
    verify(&[&cut]).fails(
        2,
        "not an AV1 low-overhead OBU stream: obu runs past the end",
    );
    let mut no_size = stream.clone();
    no_size[0] &= !0x02;
    let no_size = dir.write("no-size.obu", &no_size);
    verify(&[&no_size]).fails(2, "obu without a size field at byte 0");
    let empty = dir.write("empty.obu", &[]);
    verify(&[&empty]).fails(2, "no OBUs");
    let vp9 = dir.write("vp9.ivf", &ivf(&stream, b"VP90"));
    verify(&[&vp9]).fails(2, "not AV01");
    let mut short = ivf(&stream, b"AV01");
    short.truncate(short.len() - 1);
    let short = dir.write("short.ivf", &short);
    verify(&[&short]).fails(2, "not an IVF file");
}
