//! The text of a key file: one line, a tag saying what it is, then the 32
//! key bytes in hex.
//!
//! ```text
//! frameseal-secret-key 0102…1f20      NAME.key, mode 0600
//! frameseal-public-key 79b5…9664      NAME.pub
//! ```
//!
//! The tag lets a command refuse the wrong file ("holds a secret key, but
//! this needs a public key") instead of linking a secret as if it were a
//! camera's public key. A bare line of 64 hex digits is read as whichever
//! kind the command needs, so a key copied from elsewhere (the demo's
//! `/api/cameras`, a camera's settings page) works as it is. Reading and
//! writing the files themselves is `keyfile.rs`'s.

use frameseal::KeyError;
use hex::FromHex;

/// Which half of a key pair a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The camera's secret (the Ed25519 seed).
    Secret,
    /// The public key a display links to.
    Public,
}

impl KeyKind {
    fn tag(self) -> &'static str {
        match self {
            KeyKind::Secret => "frameseal-secret-key",
            KeyKind::Public => "frameseal-public-key",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret key",
            KeyKind::Public => "public key",
        }
    }
}

/// Why a key file's contents are not the key a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// Not a key line at all.
    #[error(
        "does not hold a {} (expected one line: {} followed by 64 hex digits)",
        .0.noun(),
        .0.tag()
    )]
    NotAKey(KeyKind),
    /// A key of the other kind.
    #[error("holds a {}, but a {} is needed here", found.noun(), wanted.noun())]
    WrongKind {
        /// What the file holds.
        found: KeyKind,
        /// What the command needs.
        wanted: KeyKind,
    },
    /// A public key whose 32 bytes a display cannot link (not a point of
    /// the curve, or a weak key).
    #[error("cannot be linked: {0}")]
    Unlinkable(KeyError),
}

/// The key in a key file's text.
pub fn parse(text: &str, wanted: KeyKind) -> Result<[u8; 32], KeyFileError> {
    let mut words = text.split_whitespace();
    let (first, second, rest) = (words.next(), words.next(), words.next());
    let (found, digits) = match (first, second, rest) {
        (Some(digits), None, None) => (wanted, digits),
        (Some(tag), Some(digits), None) => {
            let kind = [KeyKind::Secret, KeyKind::Public]
                .into_iter()
                .find(|k| k.tag() == tag)
                .ok_or(KeyFileError::NotAKey(wanted))?;
            (kind, digits)
        }
        _ => return Err(KeyFileError::NotAKey(wanted)),
    };
    let key = <[u8; 32]>::from_hex(digits)
        .ok()
        .ok_or(KeyFileError::NotAKey(wanted))?;
    if found != wanted {
        return Err(KeyFileError::WrongKind { found, wanted });
    }
    Ok(key)
}

/// The kind and key of a tagged key line (`frameseal-… <hex>`), if `text`
/// is one; `inspect` uses it to tell a key file from a stream.
pub fn sniff(text: &str) -> Option<(KeyKind, [u8; 32])> {
    let mut words = text.split_whitespace();
    let (tag, digits, rest) = (words.next()?, words.next()?, words.next());
    let kind = [KeyKind::Secret, KeyKind::Public]
        .into_iter()
        .find(|k| k.tag() == tag)?;
    if rest.is_some() {
        return None;
    }
    Some((kind, <[u8; 32]>::from_hex(digits).ok()?))
}

/// The lines a person reads about a public key: hex, the fingerprint to
/// compare (SPEC §5.1) and the pairing code to type into a display.
pub fn describe_public(public: &[u8; 32]) -> String {
    format!(
        "public key    {}\nfingerprint   {}\npairing code  {}",
        hex::encode(public),
        frameseal::fingerprint(public),
        frameseal::pairing::encode(public)
    )
}

/// The one-line text of a key file.
pub fn render(kind: KeyKind, key: &[u8; 32]) -> String {
    format!("{} {}\n", kind.tag(), hex::encode(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [0xab; 32];

    #[test]
    fn tagged_lines_round_trip() {
        for kind in [KeyKind::Secret, KeyKind::Public] {
            assert_eq!(parse(&render(kind, &KEY), kind), Ok(KEY));
        }
        assert!(render(KeyKind::Public, &KEY).starts_with("frameseal-public-key abab"));
    }

    #[test]
    fn a_bare_hex_line_is_the_wanted_kind() {
        let text = format!("  {}\n", "ab".repeat(32));
        assert_eq!(parse(&text, KeyKind::Public), Ok(KEY));
        assert_eq!(parse(&text, KeyKind::Secret), Ok(KEY));
        assert_eq!(parse(&"AB".repeat(32), KeyKind::Public), Ok(KEY));
    }

    #[test]
    fn the_wrong_kind_is_refused_by_name() {
        let err = parse(&render(KeyKind::Secret, &KEY), KeyKind::Public).unwrap_err();
        assert_eq!(
            err,
            KeyFileError::WrongKind {
                found: KeyKind::Secret,
                wanted: KeyKind::Public
            }
        );
        assert_eq!(
            err.to_string(),
            "holds a secret key, but a public key is needed here"
        );
    }

    #[test]
    fn anything_else_is_not_a_key() {
        let short = format!("frameseal-public-key {}", "ab".repeat(31));
        let extra = format!("frameseal-public-key {} more", "ab".repeat(32));
        let tag = format!("ssh-ed25519 {}", "ab".repeat(32));
        let not_hex = format!("frameseal-public-key {}zz", "ab".repeat(31));
        let odd = format!("frameseal-public-key {}a", "ab".repeat(31));
        for text in ["", "hello", &short, &extra, &tag, &not_hex, &odd] {
            assert_eq!(
                parse(text, KeyKind::Public),
                Err(KeyFileError::NotAKey(KeyKind::Public)),
                "{text:?}"
            );
        }
    }
}
