//! `frameseal verify --signed-video FILE`: checks a recording signed by an
//! Axis camera (Axis Signed Video) or to ONVIF Media Signing with the same
//! validator a display uses ([`StreamValidator`], issue 18), and prints a
//! verdict per GOP and a summary.
//!
//! The file is an `.mp4` (plain MP4, told by its `ftyp` box; H.264, H.265
//! or AV1), an Annex B `.h264` / `.h265` elementary stream (told by its
//! extension), an AV1 `.ivf` file (told by its `DKIF` signature) or an AV1
//! low-overhead `.obu` stream (told by its extension; Axis Signed Video
//! only: ONVIF Media Signing has no AV1 form). What is
//! trusted: the key the stream carries (no option, `in-stream-key-only`),
//! one camera's key (`--trust-key`, a SubjectPublicKeyInfo PEM), or a CA
//! (`--trust-ca`, the CA certificate last, optionally after the chain of a
//! stream that carries a bare key), or Axis device attestation (`--axis`:
//! the Axis vendor TLV's attestation report and chain up to the Axis root
//! CAs), with certificates checked at `--at` (RFC 3339, default now). GOPs
//! signed by any other key are `foreign-key`.
//!
//! Exit status: 0 when no GOP is tampered, incomplete, foreign-key or
//! unverifiable and the trust holds; 1 otherwise (an expired certificate
//! too, said as such, never as tampering); 2 for bad input (an unreadable
//! or unrecognised file, a bad PEM file, a bad `--at`) and usage mistakes.

use std::fs;
use std::path::{Path, PathBuf};

use frameseal::inband::elementary::Ivf;
use frameseal::signed_video::tlv::ProductInfo;
use frameseal::signed_video::{
    AxisTrust, CaTrust, Codec, GopReport, GopVerdict, StreamValidator, Trust, TrustedKey,
    annexb_nal_units, av1, mp4, spki_fingerprint,
};
use frameseal_native::io_reason;
use serde_json::Value;

use crate::args::Args;
use crate::error::CliError;
use crate::time;

/// The options only `--signed-video` takes.
pub const OPTIONS: [&str; 6] = ["trust-key", "trust-ca", "axis", "at", "json", "frames"];

/// Options of the frame-stream `verify` that `--signed-video` refuses.
const FRAME_OPTIONS: [&str; 10] = [
    "key",
    "codec",
    "max-age-ms",
    "max-future-skew-ms",
    "replay-window",
    "stream-id",
    "max-payload-bytes",
    "now-us",
    "no-freshness",
    "no-rotation",
];

/// The longest PEM file read for `--trust-key` / `--trust-ca`.
const MAX_PEM_FILE: u64 = 64 * 1024;

/// The verdicts in the order the summary counts them.
const VERDICTS: [GopVerdict; 7] = [
    GopVerdict::Authentic,
    GopVerdict::Tampered,
    GopVerdict::Incomplete,
    GopVerdict::Unsigned,
    GopVerdict::Pending,
    GopVerdict::ForeignKey,
    GopVerdict::Unverifiable,
];

/// The JSON summary's key for each verdict's count.
fn count_key(verdict: GopVerdict) -> &'static str {
    match verdict {
        GopVerdict::Authentic => "authentic",
        GopVerdict::Tampered => "tampered",
        GopVerdict::Incomplete => "incomplete",
        GopVerdict::Unsigned => "unsigned",
        GopVerdict::Pending => "pending",
        GopVerdict::ForeignKey => "foreignKey",
        GopVerdict::Unverifiable => "unverifiable",
    }
}

/// Whether a GOP with `verdict` fails the command: the pictures were
/// changed, some are missing, another key signed them, or the signature
/// could not be checked. Unsigned and pending GOPs do not (the summary
/// says how many there are).
fn fails(verdict: GopVerdict) -> bool {
    matches!(
        verdict,
        GopVerdict::Tampered
            | GopVerdict::Incomplete
            | GopVerdict::ForeignKey
            | GopVerdict::Unverifiable
    )
}

pub fn run(args: &Args) -> Result<(), CliError> {
    if let Some(other) = FRAME_OPTIONS
        .iter()
        .find(|o| args.value(o).is_some() || args.switch(o))
    {
        return Err(args.usage_error(format!(
            "--{other} is for frame streams; --signed-video checks the signatures the camera \
             put in the video"
        )));
    }
    if args.switch("frames") && !args.switch("json") {
        return Err(args.usage_error(
            "--frames adds a JSON line per picture to the GOP lines: it needs --json",
        ));
    }
    let path = PathBuf::from(args.one_positional("FILE (the recording to check)")?);
    let given: Vec<&str> = ["trust-key", "trust-ca"]
        .into_iter()
        .filter(|o| args.value(o).is_some())
        .chain(args.switch("axis").then_some("axis"))
        .collect();
    if given.len() > 1 {
        return Err(args.usage_error(format!(
            "--{} and --{} cannot be combined: link the recording to one key, one CA, or Axis \
             attestation",
            given[0], given[1]
        )));
    }
    let at = match args.value("at") {
        Some(text) => time::parse_rfc3339(text).ok_or_else(|| {
            args.usage_error(format!(
                "--at expects an RFC 3339 date and time such as 2025-06-01T00:00:00Z, got '{text}'"
            ))
        })?,
        None => i64::try_from(frameseal_native::now_us() / 1_000_000).unwrap_or(i64::MAX),
    };
    let trust = if let Some(file) = args.value("trust-key") {
        let file = Path::new(file);
        let pem = read_pem(file, "--trust-key file")?;
        let text = String::from_utf8_lossy(&pem);
        Trust::Key(
            TrustedKey::from_spki_pem(&text).map_err(|e| CliError::BadInput {
                what: "--trust-key file",
                path: file.to_path_buf(),
                why: format!("not an EC P-256 or RSA public key (PUBLIC KEY PEM): {e}"),
            })?,
        )
    } else if let Some(file) = args.value("trust-ca") {
        let file = Path::new(file);
        let pem = read_pem(file, "--trust-ca file")?;
        Trust::Ca(CaTrust::from_pem(&pem, at).map_err(|e| CliError::BadInput {
            what: "--trust-ca file",
            path: file.to_path_buf(),
            why: format!("not a CA certificate (CERTIFICATE PEM): {e}"),
        })?)
    } else if args.switch("axis") {
        Trust::Axis(AxisTrust::new(at))
    } else {
        Trust::InStream
    };

    let bytes = fs::read(&path).map_err(|e| bad_recording(&path, io_reason(&e)))?;
    let checked = check(&bytes, &path, trust)?;
    if args.switch("json") {
        print_json(&checked, args.switch("frames"));
    } else {
        print_table(&checked, &path);
    }
    verdict(&checked)
}

/// What checking a recording found.
struct Checked {
    codec: Codec,
    container: &'static str,
    scheme: Option<&'static str>,
    signer: Option<ProductInfo>,
    fingerprint: Option<String>,
    trust: Trust,
    trust_error: Option<frameseal::signed_video::TrustError>,
    reports: Vec<GopReport>,
    /// Signed Video / Media Signing SEIs that did not parse (skipped).
    bad_seis: usize,
}

fn bad_recording(path: &Path, why: String) -> CliError {
    CliError::BadInput {
        what: "recording",
        path: path.to_path_buf(),
        why,
    }
}

/// Reads a PEM file of at most [`MAX_PEM_FILE`] bytes.
fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, CliError> {
    let bad = |why: String| CliError::BadInput {
        what,
        path: path.to_path_buf(),
        why,
    };
    let len = fs::metadata(path).map_err(|e| bad(io_reason(&e)))?.len();
    if len > MAX_PEM_FILE {
        return Err(bad(format!(
            "{len} bytes is too long for a PEM key or certificate file"
        )));
    }
    fs::read(path).map_err(|e| bad(io_reason(&e)))
}

/// The codec of an Annex B file, by its extension.
fn annexb_codec(path: &Path) -> Option<Codec> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "h264" | "264" | "avc" => Some(Codec::H264),
        "h265" | "265" | "hevc" => Some(Codec::H265),
        _ => None,
    }
}

/// Runs the recording through a validator with `trust`.
fn check(bytes: &[u8], path: &Path, trust: Trust) -> Result<Checked, CliError> {
    let is_mp4 = bytes.get(4..8) == Some(b"ftyp");
    let is_ivf = bytes.get(..4) == Some(b"DKIF");
    let is_obu = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("obu"));
    let (codec, container, units): (Codec, &'static str, Vec<&[u8]>) = if is_ivf {
        let ivf = Ivf::parse(bytes).map_err(|e| bad_recording(path, e.to_string()))?;
        if ivf.header.get(8..12) != Some(b"AV01") {
            return Err(bad_recording(
                path,
                "an IVF file of another codec than AV1 (its fourcc is not AV01)".to_string(),
            ));
        }
        let mut units = Vec::new();
        for (i, (_, frame)) in ivf.frames.iter().enumerate() {
            let obus = av1::obu_units(frame)
                .map_err(|e| bad_recording(path, format!("IVF frame {i}: {e}")))?;
            units.extend(obus);
        }
        (Codec::Av1, "ivf", units)
    } else if is_obu && !is_mp4 {
        let units = av1::obu_units(bytes)
            .map_err(|e| bad_recording(path, format!("not an AV1 low-overhead OBU stream: {e}")))?;
        if units.is_empty() {
            return Err(bad_recording(
                path,
                "no OBUs: the file is empty".to_string(),
            ));
        }
        (Codec::Av1, "obu", units)
    } else if is_mp4 {
        let track = mp4::video_track(bytes).map_err(|e| bad_recording(path, e.to_string()))?;
        let mut units = Vec::new();
        for i in 0..track.len() {
            let sample = track
                .sample(bytes, i)
                .ok_or_else(|| bad_recording(path, format!("sample {i} lies outside the file")))?;
            let nals = track
                .nal_units(sample)
                .map_err(|e| bad_recording(path, format!("sample {i}: {e}")))?;
            units.extend(nals);
        }
        (track.codec, "mp4", units)
    } else {
        let codec = annexb_codec(path).ok_or_else(|| {
            bad_recording(
                path,
                "neither an MP4 file (no ftyp box) nor an IVF file (no DKIF) nor named .h264, \
                 .h265 (Annex B) or .obu (AV1 low-overhead)"
                    .to_string(),
            )
        })?;
        let units = annexb_nal_units(bytes);
        if units.is_empty() {
            return Err(bad_recording(
                path,
                format!(
                    "no NAL units: not an Annex B {} stream (no start code)",
                    codec.name()
                ),
            ));
        }
        (codec, "annex-b", units)
    };
    let mut validator = StreamValidator::with_trust(codec, trust);
    let mut bad_seis = 0;
    for (i, nal) in units.iter().enumerate() {
        if let Err(e) = validator.push_nal(nal) {
            bad_seis += 1;
            let unit = if codec == Codec::Av1 {
                "OBU"
            } else {
                "NAL unit"
            };
            eprintln!("warning: {unit} {i}: a Signed Video / Media Signing SEI skipped: {e}");
        }
    }
    let scheme = validator.scheme().map(|s| s.name());
    let signer = validator.product_info().cloned();
    let fingerprint = validator.signer_spki().map(spki_fingerprint);
    let trust = validator.trust().clone();
    let trust_error = validator.trust_error().cloned();
    let reports = validator.finish();
    Ok(Checked {
        codec,
        container,
        scheme,
        signer,
        fingerprint,
        trust,
        trust_error,
        reports,
        bad_seis,
    })
}

fn count(checked: &Checked, verdict: GopVerdict) -> usize {
    checked
        .reports
        .iter()
        .filter(|r| r.verdict == verdict)
        .count()
}

/// A JSON object with its keys in the order given (the order, for
/// people reading the lines); values are rendered JSON.
fn object(fields: &[(&str, String)]) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}: {value}", Value::from(*key)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// A JSON string or `null`.
fn string_or_null(text: Option<&str>) -> String {
    text.map_or_else(|| "null".to_string(), |t| Value::from(t).to_string())
}

/// One JSON object per GOP, each followed, with `frames`, by one per
/// picture that has a verdict of its own ([`GopReport::frame_verdicts`]),
/// then the summary.
fn print_json(checked: &Checked, frames: bool) {
    for r in &checked.reports {
        let mut fields = vec![
            ("gop", r.gop.to_string()),
            ("firstFrame", r.first_frame.to_string()),
            ("frames", r.frames.to_string()),
            ("verdict", Value::from(r.verdict.name()).to_string()),
        ];
        if let Some(reason) = r.reason {
            fields.push(("reason", Value::from(reason).to_string()));
        }
        say!("{}", object(&fields));
        if frames {
            for f in &r.frame_verdicts {
                say!(
                    "{}",
                    object(&[
                        ("frame", f.frame.to_string()),
                        ("gop", r.gop.to_string()),
                        ("verdict", Value::from(f.verdict.name()).to_string()),
                    ])
                );
            }
        }
    }
    let mut counts = vec![("gops", checked.reports.len().to_string())];
    for verdict in VERDICTS {
        counts.push((count_key(verdict), count(checked, verdict).to_string()));
    }
    let signer = checked.signer.as_ref().map_or_else(
        || "null".to_string(),
        |info| {
            let mut fields = vec![
                (
                    "manufacturer",
                    Value::from(info.manufacturer.as_str()).to_string(),
                ),
                (
                    "serialNumber",
                    Value::from(info.serial_number.as_str()).to_string(),
                ),
                (
                    "firmwareVersion",
                    Value::from(info.firmware_version.as_str()).to_string(),
                ),
            ];
            if let Some(id) = &info.hardware_id {
                fields.push(("hardwareId", Value::from(id.as_str()).to_string()));
            }
            if let Some(address) = &info.address {
                fields.push(("address", Value::from(address.as_str()).to_string()));
            }
            object(&fields)
        },
    );
    let trust_error = checked.trust_error.as_ref().map_or_else(
        || "null".to_string(),
        |e| {
            object(&[
                ("reason", Value::from(e.reason()).to_string()),
                ("message", Value::from(e.to_string()).to_string()),
            ])
        },
    );
    say!(
        "{}",
        object(&[
            ("summary", object(&counts)),
            ("scheme", string_or_null(checked.scheme)),
            ("codec", Value::from(checked.codec.name()).to_string()),
            ("signer", signer),
            (
                "publicKeyFingerprint",
                string_or_null(checked.fingerprint.as_deref())
            ),
            ("trust", Value::from(checked.trust.name()).to_string()),
            ("trustError", trust_error),
        ])
    );
}

/// A readable header, a table of GOPs and a summary line.
fn print_table(checked: &Checked, path: &Path) {
    say!(
        "recording    {} ({}, {})",
        path.display(),
        checked.container,
        checked.codec.name()
    );
    say!(
        "scheme       {}",
        checked.scheme.unwrap_or("none (unsigned)")
    );
    if let Some(info) = &checked.signer {
        let mut who = format!(
            "{}, serial number {}, firmware {}",
            info.manufacturer, info.serial_number, info.firmware_version
        );
        if let Some(id) = &info.hardware_id {
            who.push_str(&format!(", hardware id {id}"));
        }
        say!("signer       {who}");
    }
    if let Some(fingerprint) = &checked.fingerprint {
        say!("signer key   {fingerprint}");
    }
    let trust = match &checked.trust {
        Trust::InStream => {
            "in-stream-key-only: the key the stream carries (unchanged since signed, but not \
             who signed; link a key or CA with --trust-key or --trust-ca)"
                .to_string()
        }
        Trust::Key(key) => format!("key {} (--trust-key)", key.fingerprint()),
        Trust::Ca(ca) => format!(
            "ca '{}' (--trust-ca), certificates checked at {}",
            ca.ca_name(),
            time::rfc3339(
                u64::try_from(ca.at())
                    .unwrap_or(0)
                    .saturating_mul(1_000_000)
            )
        ),
        Trust::Axis(axis) => format!(
            "axis-attestation: the Axis root CAs (--axis), certificates checked at {}",
            time::rfc3339(
                u64::try_from(axis.at())
                    .unwrap_or(0)
                    .saturating_mul(1_000_000)
            )
        ),
    };
    say!("trust        {trust}");
    if let Some(e) = &checked.trust_error {
        say!("trust error  {}: {e}", e.reason());
    }
    if checked.bad_seis > 0 {
        say!(
            "skipped      {} SEIs of the format that do not parse",
            checked.bad_seis
        );
    }
    say!("gop    first frame  frames  verdict");
    for r in &checked.reports {
        let why = match r.reason {
            Some(reason) if r.invalid_units + r.missing_units > 0 => format!(
                " ({reason}: changed or added units {}, missing units {})",
                r.invalid_units, r.missing_units
            ),
            Some(reason) => format!(" ({reason})"),
            None => String::new(),
        };
        say!(
            "{:<6} {:<12} {:<7} {}{why}",
            r.gop,
            r.first_frame,
            r.frames,
            r.verdict.name()
        );
    }
    let counts: Vec<String> = VERDICTS
        .iter()
        .filter(|v| {
            matches!(
                v,
                GopVerdict::Authentic
                    | GopVerdict::Tampered
                    | GopVerdict::Incomplete
                    | GopVerdict::Unsigned
                    | GopVerdict::Pending
            ) || count(checked, **v) > 0
        })
        .map(|v| format!("{} {}", count(checked, *v), v.name()))
        .collect();
    let gops = checked.reports.len();
    say!(
        "summary      {gops} GOP{}: {}",
        if gops == 1 { "" } else { "s" },
        counts.join(", ")
    );
}

/// The exit: an error when a GOP fails or the trust does not hold.
fn verdict(checked: &Checked) -> Result<(), CliError> {
    let failing: Vec<String> = VERDICTS
        .iter()
        .filter(|v| fails(**v))
        .filter_map(|v| {
            let n = count(checked, *v);
            (n > 0).then(|| format!("{} {n}", v.name()))
        })
        .collect();
    if !failing.is_empty() {
        return Err(CliError::NotAuthentic {
            bad: checked.reports.iter().filter(|r| fails(r.verdict)).count(),
            gops: checked.reports.len(),
            detail: failing.join(", "),
        });
    }
    if let Some(e) = &checked.trust_error {
        return Err(CliError::Untrusted(e.clone()));
    }
    Ok(())
}
