//! Trust in the key that signs an Axis Signed Video / ONVIF Media Signing
//! stream (`signed_video::trust`, issue 18 item 2), on the reference
//! projects' recordings (tests/fixtures/signed-video/, see its README): a
//! linked key, a linked CA with the verification time as a parameter, and
//! what a stream signed by another key becomes.

use std::path::{Path, PathBuf};

use frameseal::signed_video::mp4;
use frameseal::signed_video::{
    CaTrust, Codec, GopVerdict, StreamValidator, Trust, TrustError, TrustedKey, annexb_nal_units,
    spki_fingerprint,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signed-video")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture readable")
}

/// 2025-06-01T00:00:00Z: inside the validity of the ONVIF test chain and
/// of the Axis examples' `cert_chain.pem`.
const JUNE_2025: i64 = 1_748_736_000;
/// 2026-12-01T00:00:00Z: after both chains' leaf certificates expired.
const DECEMBER_2026: i64 = 1_796_083_200;

/// Validates fixture `name` with `trust`; returns the validator's signer
/// fingerprint and trust error, and every GOP's verdict.
fn validate(
    name: &str,
    codec: Codec,
    trust: Trust,
) -> (Option<String>, Option<TrustError>, Vec<GopVerdict>) {
    let file = read(name);
    let mut v = StreamValidator::with_trust(codec, trust);
    if name.ends_with(".mp4") {
        let track = mp4::video_track(&file).expect("a video track");
        for i in 0..track.len() {
            let sample = track.sample(&file, i).expect("inside the file");
            for nal in track.nal_units(sample).expect("length prefixes add up") {
                v.push_nal(nal).expect("parses");
            }
        }
    } else {
        for nal in annexb_nal_units(&file) {
            v.push_nal(nal).expect("parses");
        }
    }
    let fingerprint = v.signer_spki().map(spki_fingerprint);
    let error = v.trust_error().cloned();
    let verdicts = v.finish().iter().map(|r| r.verdict).collect();
    (fingerprint, error, verdicts)
}

/// The first PEM block labelled `label` in a fixture's bytes (the public
/// key an Axis stream carries in its SEIs, a certificate of a chain file).
fn pem_in(name: &str, label: &str) -> String {
    let text = String::from_utf8_lossy(&read(name)).into_owned();
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).expect("a PEM block");
    let stop = text[start..].find(&end).expect("its end") + start + end.len();
    text[start..stop].to_string()
}

use GopVerdict::{Authentic as A, ForeignKey as F, Pending as P};

#[test]
fn the_linked_key_verifies_its_stream_and_another_key_makes_every_gop_foreign() {
    let name = "axis_signed_test_h264.mp4";
    let own = TrustedKey::from_spki_pem(&pem_in(name, "PUBLIC KEY")).expect("the stream's key");
    let (fingerprint, error, verdicts) = validate(name, Codec::H264, Trust::Key(own.clone()));
    assert_eq!((error, verdicts), (None, vec![A; 5]));
    let in_stream = validate(name, Codec::H264, Trust::InStream);
    assert_eq!(
        fingerprint, in_stream.0,
        "the same key, the same fingerprint"
    );
    let fingerprint = fingerprint.expect("a signer");
    assert_eq!(fingerprint.len(), 19);
    assert_eq!(fingerprint.matches('-').count(), 3);

    // The H.265 recording is signed by another test key: none of its GOPs
    // is authentic with the H.264 recording's key; the fingerprint shown
    // is its own key's.
    let (other, _, verdicts) = validate("axis_signed_test_h265.mp4", Codec::H265, Trust::Key(own));
    assert_eq!(verdicts, [F, F, F, F, P]);
    assert_ne!(other.as_deref(), Some(fingerprint.as_str()));

    // An ONVIF stream (key in a certificate chain) with an Axis key.
    let axis = TrustedKey::from_spki_pem(&pem_in(name, "PUBLIC KEY")).expect("key");
    let (_, _, verdicts) = validate("onvif_test_signed_h264.mp4", Codec::H264, Trust::Key(axis));
    assert_eq!(verdicts, [F; 5]);
}

#[test]
fn an_rsa_key_can_be_the_linked_key() {
    let name = "frameseal_rsa_signed_h264.h264";
    let key = TrustedKey::from_spki_pem(&pem_in(name, "PUBLIC KEY")).expect("RSA SPKI");
    let (_, _, verdicts) = validate(name, Codec::H264, Trust::Key(key));
    assert_eq!(verdicts, [A; 4]);
}

#[test]
fn the_onvif_chain_leads_to_its_ca_and_is_reported_expired_after_november_2025() {
    let ca = read("onvif_ca.pem");
    for codec_name in [
        ("onvif_test_signed_h264.mp4", Codec::H264),
        ("onvif_test_signed_h265.mp4", Codec::H265),
    ] {
        let (name, codec) = codec_name;
        let trust = Trust::Ca(CaTrust::from_pem(&ca, JUNE_2025).expect("a CA"));
        let (_, error, verdicts) = validate(name, codec, trust);
        assert_eq!((error, verdicts), (None, vec![A; 5]), "{name}");

        // Expired: said as such, and the pictures are not called tampered.
        let trust = Trust::Ca(CaTrust::from_pem(&ca, DECEMBER_2026).expect("a CA"));
        let (_, error, verdicts) = validate(name, codec, trust);
        assert_eq!(verdicts, [A; 5], "{name}");
        let error = error.expect("expired");
        assert_eq!(error.reason(), "expired");
        assert!(error.is_expired());
        let text = error.to_string();
        assert!(
            text.contains("'Test camera' has expired")
                && text.contains("to 2025-11-13T16:36:59Z")
                && text.contains("checked at 2026-12-01T00:00:00Z"),
            "{text}"
        );

        // Before the leaf was issued: not yet valid.
        let trust = Trust::Ca(CaTrust::from_pem(&ca, JUNE_2025 - 365 * 86_400).expect("a CA"));
        let (_, error, _) = validate(name, codec, trust);
        assert_eq!(error.map(|e| e.reason()), Some("not-yet-valid"));
    }
}

#[test]
fn a_stream_whose_key_the_ca_did_not_vouch_for_is_foreign() {
    let ca = read("onvif_ca.pem");
    // The Axis test camera's stream carries a bare key and no chain.
    let trust = Trust::Ca(CaTrust::from_pem(&ca, JUNE_2025).expect("a CA"));
    let (fingerprint, error, verdicts) = validate("axis_signed_test_h264.mp4", Codec::H264, trust);
    assert_eq!(error, Some(TrustError::NoChain));
    assert_eq!(verdicts, [F; 5]);
    assert!(fingerprint.is_some(), "the foreign key is still shown");

    // The Axis examples' test root (same names as the ONVIF one, another
    // key) does not vouch for the ONVIF camera: its signature fails.
    let axis_root = pem_after_first_certificate(&read("axis_cert_chain.pem"));
    let trust = Trust::Ca(CaTrust::from_pem(axis_root.as_bytes(), JUNE_2025).expect("a CA"));
    let (_, error, verdicts) = validate("onvif_test_signed_h264.mp4", Codec::H264, trust);
    assert_eq!(error, Some(TrustError::Untrusted));
    assert_eq!(verdicts, [F; 5]);
}

/// The PEM text of a chain file without its first certificate.
fn pem_after_first_certificate(pem: &[u8]) -> String {
    let text = String::from_utf8(pem.to_vec()).expect("PEM text");
    let end = "-----END CERTIFICATE-----";
    let at = text.find(end).expect("a certificate") + end.len();
    text[at..].to_string()
}

#[test]
fn a_chain_given_with_the_ca_vouches_for_a_stream_that_carries_a_bare_key() {
    // The Axis examples' cert_chain.pem (leaf, then its root) is for the
    // Axis library's test key, which signed the partial-GOP vector.
    let chain = read("axis_cert_chain.pem");
    let name = "frameseal_partial_gops_golden_h264.h264";
    let trust = Trust::Ca(CaTrust::from_pem(&chain, JUNE_2025).expect("chain and CA"));
    let (_, error, verdicts) = validate(name, Codec::H264, trust);
    assert_eq!(error, None);
    assert_eq!(verdicts.len(), 13);
    assert!(verdicts.iter().all(|v| *v == A));
    // The same chain for another key: the leaf does not match.
    let trust = Trust::Ca(CaTrust::from_pem(&chain, JUNE_2025).expect("chain and CA"));
    let (_, error, verdicts) = validate("axis_signed_test_h264.mp4", Codec::H264, trust);
    assert_eq!(error, Some(TrustError::LeafMismatch));
    assert_eq!(verdicts, [F; 5]);
}

#[test]
fn trust_inputs_that_are_not_keys_or_certificates_are_refused() {
    assert_eq!(
        TrustedKey::from_spki_pem("not a key").err(),
        Some(TrustError::BadPem)
    );
    assert_eq!(
        TrustedKey::from_spki_pem(&pem_in("axis_cert_chain.pem", "CERTIFICATE")).err(),
        Some(TrustError::BadPem),
        "a certificate is not a PUBLIC KEY block"
    );
    assert_eq!(
        CaTrust::from_pem(b"", JUNE_2025).err(),
        Some(TrustError::BadPem)
    );
    let mut broken = read("onvif_ca.pem");
    // Change one base64 digit inside the certificate's structure.
    let at = broken.iter().position(|&b| b == b'\n').expect("a line") + 2;
    broken[at] = if broken[at] == b'A' { b'B' } else { b'A' };
    assert!(CaTrust::from_pem(&broken, JUNE_2025).is_err());
}

/// Axis device attestation (`Trust::Axis`): the Axis camera recording's
/// vendor TLV carries an attestation report and the Axis Edge Vault chain
/// (attestation certificate, P-384 intermediate, up to the P-521 "Axis Edge
/// Vault CA ECC" root), which the reference validator finds valid
/// ("PUBLIC KEY IS VALID!").
#[cfg(feature = "axis-attestation")]
#[test]
fn the_axis_camera_key_is_attested_by_its_edge_vault_chain() {
    use frameseal::signed_video::AxisTrust;
    let name = "axis_signed_vendor_axis.h264";
    // 2026-12-01: every certificate is valid (leaf until 2031-02-15).
    let (_, error, verdicts) = validate(
        name,
        Codec::H264,
        Trust::Axis(AxisTrust::new(DECEMBER_2026)),
    );
    assert_eq!((error, verdicts), (None, vec![A, P]));
    // After the attestation certificate expired: expired, GOPs kept.
    let (_, error, verdicts) = validate(
        name,
        Codec::H264,
        Trust::Axis(AxisTrust::new(1_930_000_000)),
    );
    assert_eq!(verdicts, [A, P]);
    assert_eq!(error.map(|e| e.reason()), Some("expired"));
    // Streams without an Axis chain are foreign.
    let (_, error, verdicts) = validate(
        "axis_signed_test_h264.mp4",
        Codec::H264,
        Trust::Axis(AxisTrust::new(DECEMBER_2026)),
    );
    assert_eq!((error, verdicts), (Some(TrustError::NoChain), vec![F; 5]));
    let (_, error, verdicts) = validate(
        "onvif_test_signed_h264.mp4",
        Codec::H264,
        Trust::Axis(AxisTrust::new(JUNE_2025)),
    );
    assert_eq!((error, verdicts), (Some(TrustError::Untrusted), vec![F; 5]));
}

/// Without the `axis-attestation` feature (the JS package), the Axis chain's
/// P-384 / P-521 signatures cannot be checked: said so, never authentic.
#[cfg(not(feature = "axis-attestation"))]
#[test]
fn without_the_feature_axis_attestation_is_unsupported_not_authentic() {
    use frameseal::signed_video::AxisTrust;
    let name = "axis_signed_vendor_axis.h264";
    let (_, error, verdicts) = validate(
        name,
        Codec::H264,
        Trust::Axis(AxisTrust::new(DECEMBER_2026)),
    );
    assert_eq!(
        (error, verdicts),
        (Some(TrustError::UnsupportedAlgorithm), vec![F, P])
    );
}
