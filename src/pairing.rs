//! What a person sees of a camera's public key at pairing: the fingerprint
//! (SPEC §5.1), compared between camera and display, and the pairing code,
//! a public key as text a person can copy, read out or type, in which a typo
//! is reported as a typo and never silently links some other key.
//!
//! ```text
//! fs1-aaaac-aaaac-...-aaaac-xxxx
//!     └ 13 groups of 4 key characters + 1 check character
//!                                  └ 4-character checksum of the whole key
//! ```
//!
//! Rules (documented for users in `docs/PAIRING.md`):
//! - the key's 32 bytes in lower-case RFC 4648 base32 (no padding): 52
//!   characters, the last carrying 4 zero bits;
//! - each group of 4 is followed by a check character, Luhn mod 32 over the
//!   group's number and its 4 characters: any single wrong character, and
//!   any swap of two neighbours, is caught and located in its group; a
//!   whole group moved elsewhere is caught by the group number;
//! - the final group is the first 20 bits of SHA-512("frameseal-pairing" ‖
//!   key), so errors that fool a group check are still caught;
//! - reading is forgiving of form, strict on content: upper or lower case,
//!   spaces and dashes anywhere, and `0`/`1`/`8` read as `o`/`l`/`b`
//!   (not in the alphabet, and easily mistaken for them);
//! - the decoded key must still pass the linking rules.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest, Sha512};

use crate::keys::{KeyError, LinkedKey, PUBLIC_KEY_LEN};

/// What every pairing code starts with (format version 1).
pub const PREFIX: &str = "fs1-";
/// RFC 4648's base32 alphabet, lower-case: the fingerprint's and the
/// pairing code's digits.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The pairing fingerprint of a public key (SPEC §5.1): the first 10 bytes
/// of SHA-512(key) in lower-case RFC 4648 base32, no padding, as four
/// groups of four joined by `-`, e.g. `mzxw-6ytb-oi2d-qnbv`.
pub fn fingerprint(public_key: &[u8; PUBLIC_KEY_LEN]) -> String {
    let digest = Sha512::digest(public_key);
    let mut prefix = [0u8; 10];
    prefix.copy_from_slice(&digest[..10]);
    base32_grouped(&prefix)
}

/// 10 bytes (80 bits, so exactly 16 digits and never padding) in lower-case
/// RFC 4648 base32, as four groups of four joined by `-`.
pub(crate) fn base32_grouped(bytes: &[u8; 10]) -> String {
    let bits = bytes
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let digit = (bits >> (75 - 5 * i)) & 0x1F;
        out.push(char::from(ALPHABET[digit as usize]));
    }
    out
}

const GROUPS: usize = 13;
const GROUP_DATA: usize = 4;
const CHECKSUM_LEN: usize = 4;
/// Characters after the prefix, without dashes.
const CODE_LEN: usize = GROUPS * (GROUP_DATA + 1) + CHECKSUM_LEN;

/// Why text is not a pairing code of a linkable key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairingError {
    /// The text does not start with `fs1-`.
    MissingPrefix,
    /// Wrong number of characters after the prefix (dashes and spaces not counted).
    WrongLength(usize),
    /// A character outside the alphabet, in group `group` (1-based).
    BadCharacter {
        /// The group it is in (1-based; 14 is the checksum group).
        group: usize,
        /// The character.
        ch: char,
    },
    /// The check character of group `group` (1-based) does not match.
    Typo {
        /// The group with the typo.
        group: usize,
    },
    /// Every group checks, but the whole-key checksum does not.
    Checksum,
    /// The code is intact, but the key it carries cannot be linked.
    Key(KeyError),
}

impl fmt::Display for PairingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairingError::MissingPrefix => write!(f, "a pairing code starts with \"{PREFIX}\""),
            PairingError::WrongLength(n) => write!(
                f,
                "a pairing code has {CODE_LEN} characters after \"{PREFIX}\" (13 groups of 5 and one of 4), this one has {n}: a group is missing or doubled"
            ),
            PairingError::BadCharacter { group, ch } => write!(
                f,
                "typo in group {group}: '{ch}' is not a pairing-code character (a-z, 2-7)"
            ),
            PairingError::Typo { group } => {
                write!(f, "typo in group {group}: its check character does not match")
            }
            PairingError::Checksum => f.write_str(
                "the pairing code's checksum does not match: more than one character is wrong; check every group",
            ),
            PairingError::Key(e) => write!(f, "the pairing code is intact but its key cannot be linked: {e}"),
        }
    }
}

impl core::error::Error for PairingError {}

fn digit(ch: u8) -> Option<u8> {
    ALPHABET.iter().position(|&a| a == ch).map(|d| d as u8)
}

/// Luhn mod 32 check digit over `digits` (each below 32).
fn luhn32(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut addend = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
        addend = addend / 32 + addend % 32;
        sum += addend;
    }
    ((32 - sum % 32) % 32) as u8
}

fn group_check(group: usize, data: &[u8]) -> u8 {
    let mut digits = Vec::with_capacity(1 + data.len());
    digits.push(group as u8);
    digits.extend_from_slice(data);
    luhn32(&digits)
}

/// The 20-bit whole-key checksum as 4 base32 digits.
fn checksum(key: &[u8; PUBLIC_KEY_LEN]) -> [u8; CHECKSUM_LEN] {
    let mut h = Sha512::new();
    h.update(b"frameseal-pairing");
    h.update(key);
    let d = h.finalize();
    let bits = (u32::from(d[0]) << 12) | (u32::from(d[1]) << 4) | (u32::from(d[2]) >> 4);
    [
        (bits >> 15) as u8 & 31,
        (bits >> 10) as u8 & 31,
        (bits >> 5) as u8 & 31,
        bits as u8 & 31,
    ]
}

/// The 52 base32 digits of a key.
fn key_digits(key: &[u8; PUBLIC_KEY_LEN]) -> [u8; GROUPS * GROUP_DATA] {
    let mut out = [0u8; GROUPS * GROUP_DATA];
    for (i, d) in out.iter_mut().enumerate() {
        // Bits [5i, 5i + 5) of the key, big-endian; past the end reads zero.
        let bit = 5 * i;
        let byte = |n: usize| u16::from(key.get(n).copied().unwrap_or(0));
        let window = (byte(bit / 8) << 8) | byte(bit / 8 + 1);
        *d = ((window >> (11 - bit % 8)) & 31) as u8;
    }
    out
}

/// The pairing code of a public key.
pub fn encode(key: &[u8; PUBLIC_KEY_LEN]) -> String {
    let digits = key_digits(key);
    let mut out = String::with_capacity(PREFIX.len() + CODE_LEN + GROUPS);
    out.push_str(PREFIX);
    for (g, data) in digits.chunks(GROUP_DATA).enumerate() {
        for &d in data.iter().chain([group_check(g, data)].iter()) {
            out.push(char::from(ALPHABET[d as usize]));
        }
        out.push('-');
    }
    for d in checksum(key) {
        out.push(char::from(ALPHABET[d as usize]));
    }
    out
}

/// Reads a pairing code (forgiving of case, spaces, dashes and `0`/`1`/`8`)
/// into a key that passed the linking rules.
pub fn decode(text: &str) -> Result<LinkedKey, PairingError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // The prefix's dash is as optional as the others.
    let body = cleaned
        .strip_prefix(PREFIX.trim_end_matches('-'))
        .ok_or(PairingError::MissingPrefix)?;
    let chars: Vec<char> = body.chars().filter(|&c| c != '-').collect();
    if chars.len() != CODE_LEN {
        return Err(PairingError::WrongLength(chars.len()));
    }
    let mut digits = Vec::with_capacity(CODE_LEN);
    for (i, &ch) in chars.iter().enumerate() {
        let read = match ch {
            '0' => 'o',
            '1' => 'l',
            '8' => 'b',
            c => c,
        };
        let d = u8::try_from(read)
            .ok()
            .and_then(digit)
            .ok_or(PairingError::BadCharacter {
                group: i / (GROUP_DATA + 1) + 1,
                ch,
            })?;
        digits.push(d);
    }
    let (groups, sum) = digits.split_at(GROUPS * (GROUP_DATA + 1));
    let mut data = Vec::with_capacity(GROUPS * GROUP_DATA);
    for (g, group) in groups.chunks(GROUP_DATA + 1).enumerate() {
        let (body, check) = group.split_at(GROUP_DATA);
        if check != [group_check(g, body)] {
            return Err(PairingError::Typo { group: g + 1 });
        }
        data.extend_from_slice(body);
    }
    let mut key = [0u8; PUBLIC_KEY_LEN];
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut out = 0;
    for &d in &data {
        acc = (acc << 5) | u32::from(d);
        bits += 5;
        if bits >= 8 && out < PUBLIC_KEY_LEN {
            bits -= 8;
            key[out] = (acc >> bits) as u8;
            out += 1;
        }
    }
    // 260 bits carry 256: the 4 left over must be zero.
    if acc & ((1 << bits) - 1) != 0 {
        return Err(PairingError::Typo { group: GROUPS });
    }
    if sum != checksum(&key) {
        return Err(PairingError::Checksum);
    }
    LinkedKey::from_bytes(&key).map_err(PairingError::Key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Signer;
    use alloc::string::ToString;

    fn key(seed: u8) -> [u8; 32] {
        *Signer::from_secret(&[seed; 32], [0; 16]).public_key()
    }

    #[test]
    fn codes_round_trip_and_have_the_documented_shape() {
        for seed in 0..50 {
            let k = key(seed);
            let code = encode(&k);
            assert_eq!(code.len(), 4 + 13 * 6 + 4, "{code}");
            assert!(code.starts_with("fs1-"));
            let groups: Vec<&str> = code[4..].split('-').collect();
            assert_eq!(groups.len(), 14);
            assert!(groups[..13].iter().all(|g| g.len() == 5) && groups[13].len() == 4);
            assert_eq!(decode(&code).unwrap().as_bytes(), &k);
        }
    }

    #[test]
    fn matches_the_documented_vector() {
        // RFC 8032 TEST 1's public key; computed independently (a Python
        // port of the rules) and shown in docs/PAIRING.md.
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            let hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        assert_eq!(
            encode(&k),
            "fs1-25njm-qamc6-wefld-pvkla-73j4a-szahd-hiho2-c4xtz-3ktck-gjnpl-aingd-r5yhy-kenaj-dxoo"
        );
    }

    #[test]
    fn the_key_digits_are_plain_base32() {
        // RFC 4648: BASE32("f") = "MY======": the first digits of a key
        // starting with 'f' then zeros.
        let mut k = [0u8; 32];
        k[0] = b'f';
        assert_eq!(
            &key_digits(&k)[..2],
            &[digit(b'm').unwrap(), digit(b'y').unwrap()]
        );
    }

    #[test]
    fn reading_forgives_case_spaces_dashes_and_look_alikes() {
        let k = key(3);
        let code = encode(&k);
        let shouty = code.to_uppercase().replace('-', " ");
        assert_eq!(decode(&shouty).unwrap().as_bytes(), &k);
        let squashed = alloc::format!("fs1-{}", code[4..].replace('-', ""));
        assert_eq!(decode(&squashed).unwrap().as_bytes(), &k);
        let mut confusable = code.clone();
        if let Some(i) = confusable[4..].find('o').map(|i| i + 4) {
            confusable.replace_range(i..i + 1, "0");
            assert_eq!(decode(&confusable).unwrap().as_bytes(), &k);
        }
    }

    #[test]
    fn every_single_character_typo_is_caught_and_located() {
        let code = encode(&key(7));
        let body: Vec<char> = code[4..].chars().filter(|&c| c != '-').collect();
        for i in 0..body.len() {
            for &wrong in ALPHABET {
                let wrong = char::from(wrong);
                if wrong == body[i] {
                    continue;
                }
                let mut typo = body.clone();
                typo[i] = wrong;
                let text: String = alloc::format!("fs1-{}", typo.iter().collect::<String>());
                let err = decode(&text).unwrap_err();
                let group = i / 5 + 1;
                match err {
                    PairingError::Typo { group: g } => assert_eq!(g, group.min(13), "{text}"),
                    // A typo in the checksum group itself.
                    PairingError::Checksum => assert_eq!(group, 14, "{text}"),
                    other => panic!("{text}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn swapped_neighbours_and_moved_groups_are_caught() {
        let code = encode(&key(9));
        let body: Vec<char> = code[4..].chars().filter(|&c| c != '-').collect();
        for i in 0..body.len() - 1 {
            if body[i] == body[i + 1] {
                continue;
            }
            let mut swapped = body.clone();
            swapped.swap(i, i + 1);
            let text = alloc::format!("fs1-{}", swapped.iter().collect::<String>());
            assert!(decode(&text).is_err(), "swap at {i} accepted");
        }
        let groups: Vec<&str> = code[4..].split('-').collect();
        let mut moved = groups.clone();
        moved.swap(2, 5);
        assert!(matches!(
            decode(&alloc::format!("fs1-{}", moved.join("-"))),
            Err(PairingError::Typo { .. })
        ));
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        let code = encode(&key(1));
        assert_eq!(decode(&code[4..]).unwrap_err(), PairingError::MissingPrefix);
        let short = &code[..code.len() - 1];
        assert_eq!(decode(short).unwrap_err(), PairingError::WrongLength(68));
        let bad = code.replacen(&code[4..5], "!", 1);
        assert_eq!(
            decode(&bad).unwrap_err(),
            PairingError::BadCharacter { group: 1, ch: '!' }
        );
        let msg = PairingError::Typo { group: 5 }.to_string();
        assert!(msg.contains("typo in group 5"), "{msg}");
    }

    #[test]
    fn an_intact_code_of_an_unlinkable_key_is_refused() {
        let code = encode(&[0; 32]); // small order
        assert_eq!(
            decode(&code).unwrap_err(),
            PairingError::Key(KeyError::SmallOrder)
        );
    }

    #[test]
    fn fingerprint_is_base32_of_the_sha512_prefix_in_groups() {
        // RFC 8032 §7.1 TEST 1's public key.
        let pk: [u8; 32] = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        let fp = fingerprint(&pk);
        assert_eq!(fp.len(), 19);
        let groups: Vec<&str> = fp.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        // Independent base32: 5 bits at a time from a bit string.
        let digest = Sha512::digest(pk);
        let bitstr: alloc::string::String = digest[..10]
            .iter()
            .map(|b| alloc::format!("{b:08b}"))
            .collect();
        let expected: alloc::string::String = bitstr
            .as_bytes()
            .chunks(5)
            .map(|c| {
                let v = u8::from_str_radix(core::str::from_utf8(c).unwrap(), 2).unwrap();
                b"abcdefghijklmnopqrstuvwxyz234567"[v as usize] as char
            })
            .collect();
        assert_eq!(fp.replace('-', ""), expected);
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 §10: BASE32("fooba") = "MZXW6YTB".
        assert_eq!(base32_grouped(b"foobafooba"), "mzxw-6ytb-mzxw-6ytb");
        assert_eq!(base32_grouped(&[0; 10]), "aaaa-aaaa-aaaa-aaaa");
        assert_eq!(base32_grouped(&[0xFF; 10]), "7777-7777-7777-7777");
    }
}
