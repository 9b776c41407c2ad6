//! Just enough DER to take the SubjectPublicKeyInfo out of an X.509
//! certificate (RFC 5280 §4.1), so that a key carried as a certificate chain
//! can verify SEI signatures, and the element reader that `trust.rs` uses to
//! check certificate chains.

use super::reader::{Reader, Short};

/// One DER element: its tag and its content.
pub(super) struct Element<'a> {
    pub(super) tag: u8,
    pub(super) content: &'a [u8],
}

/// Reads one element; definite lengths of up to 3 length bytes only (a
/// certificate is far below 16 MiB).
pub(super) fn element<'a>(r: &mut Reader<'a>) -> Result<Element<'a>, Short> {
    let tag = r.u8()?;
    let first = r.u8()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return Err(Short);
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | usize::from(r.u8()?);
        }
        len
    };
    let content = r.take(len)?;
    Ok(Element { tag, content })
}

/// The DER SubjectPublicKeyInfo of a DER certificate, or `None` when the
/// certificate does not have the RFC 5280 shape.
pub(crate) fn spki_of_certificate(cert: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(cert);
    let certificate = element(&mut r).ok()?;
    if certificate.tag != 0x30 {
        return None;
    }
    let mut c = Reader::new(certificate.content);
    let tbs = element(&mut c).ok()?;
    if tbs.tag != 0x30 {
        return None;
    }
    let mut t = Reader::new(tbs.content);
    // [0] version (optional), serialNumber, signature, issuer, validity,
    // subject, then subjectPublicKeyInfo.
    let mut skipped = 0;
    loop {
        let start = t.position();
        let e = element(&mut t).ok()?;
        if e.tag == 0xa0 && skipped == 0 {
            continue;
        }
        skipped += 1;
        if skipped == 6 {
            if e.tag != 0x30 {
                return None;
            }
            return tbs.content.get(start..t.position());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_spki_is_the_seventh_field_of_the_tbs_certificate() {
        // SEQ { SEQ(tbs) { [0]{INT 2}, INT 1, SEQ{}, SEQ{}, SEQ{}, SEQ{}, SEQ{BIT STRING} }, ... }
        let spki = [0x30, 0x03, 0x03, 0x01, 0x00];
        let mut tbs = vec![0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01];
        for _ in 0..4 {
            tbs.extend_from_slice(&[0x30, 0x00]);
        }
        tbs.extend_from_slice(&spki);
        let mut tbs_el = vec![0x30, tbs.len() as u8];
        tbs_el.extend_from_slice(&tbs);
        let mut cert = vec![0x30, tbs_el.len() as u8];
        cert.extend_from_slice(&tbs_el);
        assert_eq!(spki_of_certificate(&cert), Some(&spki[..]));
        assert_eq!(spki_of_certificate(&cert[..cert.len() - 1]), None);
        assert_eq!(spki_of_certificate(&[0x31, 0x00]), None);
    }
}
