//! Splitting a byte stream (a file, an HTTP body) into frames: frames sit
//! back to back, and each one's length follows from its header (SPEC §2),
//! `116 + payload_len`.
//!
//! Only the fields needed to find the next frame are read here: the magic
//! and version (another version may have another layout, so its length is
//! unknown) and `payload_len`. Every other rule is the verifier's business,
//! so a frame with, say, reserved flag bits set is still split out and then
//! judged `malformed` like any other.

use std::fmt;

use frameseal::frame::{HEADER_LEN, MAGIC, OVERHEAD, VERSION};

/// One frame's bytes and where they start in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// Position of the frame in the stream (0 for the first).
    pub index: usize,
    /// Byte offset of its first byte.
    pub offset: usize,
    /// The whole frame, header to signature.
    pub bytes: &'a [u8],
}

/// The header fields of a split frame, read as they are, without judging
/// them (that is the verifier's job).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    pub version: u8,
    pub flags: u8,
    pub codec: u8,
    pub key_id: [u8; 8],
    pub stream_id: [u8; 16],
    pub seq: u64,
    pub timestamp_us: u64,
    pub payload_len: u32,
}

impl RawFrame<'_> {
    /// The frame's header fields. A split frame is at least 116 bytes long,
    /// so every field is present.
    pub fn fields(&self) -> Fields {
        let b = self.bytes;
        Fields {
            version: at::<1>(b, 5)[0],
            flags: at::<1>(b, 6)[0],
            codec: at::<1>(b, 7)[0],
            key_id: at(b, 8),
            stream_id: at(b, 16),
            seq: u64::from_be_bytes(at(b, 32)),
            timestamp_us: u64::from_be_bytes(at(b, 40)),
            payload_len: u32::from_be_bytes(at(b, 48)),
        }
    }
}

/// `N` bytes of `bytes` from `from` (zeros past the end, which a split
/// frame never has).
fn at<const N: usize>(bytes: &[u8], from: usize) -> [u8; N] {
    bytes
        .get(from..from + N)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; N])
}

/// Why the stream cannot be split any further.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SplitError {
    /// The bytes at `offset` do not start a frame (wrong magic).
    NotAFrame { index: usize, offset: usize },
    /// A frame of another wire-format version: its length is unknown.
    UnsupportedVersion {
        index: usize,
        offset: usize,
        version: u8,
    },
    /// The stream ends inside a frame.
    Truncated {
        index: usize,
        offset: usize,
        /// Bytes the frame needs (the header alone if it is cut short).
        needed: u64,
        /// Bytes left in the stream.
        present: usize,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SplitError::NotAFrame { index, offset } => write!(
                f,
                "frame {index} at byte {offset} does not start with FSEAL; the stream cannot be \
                 split past it"
            ),
            SplitError::UnsupportedVersion {
                index,
                offset,
                version,
            } => write!(
                f,
                "frame {index} at byte {offset} is version {version}; only version {VERSION} \
                 frames can be split"
            ),
            SplitError::Truncated {
                index,
                offset,
                needed,
                present,
            } => write!(
                f,
                "truncated: frame {index} at byte {offset} needs {needed} bytes, only {present} \
                 left"
            ),
        }
    }
}

/// The frames of `stream`, in order; after an error the iterator ends.
pub fn frames(stream: &[u8]) -> Frames<'_> {
    Frames {
        rest: stream,
        index: 0,
        offset: 0,
        failed: false,
    }
}

/// Iterator returned by [`frames`].
pub struct Frames<'a> {
    rest: &'a [u8],
    index: usize,
    offset: usize,
    failed: bool,
}

impl<'a> Frames<'a> {
    fn next_frame(&self) -> Result<&'a [u8], SplitError> {
        let (index, offset, rest) = (self.index, self.offset, self.rest);
        let magic_len = rest.len().min(MAGIC.len());
        if rest[..magic_len] != MAGIC[..magic_len] {
            return Err(SplitError::NotAFrame { index, offset });
        }
        if let Some(&version) = rest.get(MAGIC.len())
            && version != VERSION
        {
            return Err(SplitError::UnsupportedVersion {
                index,
                offset,
                version,
            });
        }
        let truncated = |needed: u64| SplitError::Truncated {
            index,
            offset,
            needed,
            present: rest.len(),
        };
        let len_field = rest
            .get(HEADER_LEN - 4..HEADER_LEN)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or(truncated(HEADER_LEN as u64))?;
        let len = OVERHEAD as u64 + u64::from(u32::from_be_bytes(len_field));
        usize::try_from(len)
            .ok()
            .and_then(|len| rest.get(..len))
            .ok_or(truncated(len))
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<RawFrame<'a>, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match self.next_frame() {
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
            Ok(bytes) => {
                let frame = RawFrame {
                    index: self.index,
                    offset: self.offset,
                    bytes,
                };
                self.rest = &self.rest[bytes.len()..];
                self.offset += bytes.len();
                self.index += 1;
                Some(Ok(frame))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameseal::{Codec, FrameSpec, Signer};

    fn stream(payloads: &[&[u8]]) -> Vec<u8> {
        let mut camera = Signer::from_secret(&[3; 32], [4; 16]);
        let spec = FrameSpec {
            codec: Codec::Jpeg,
            ..FrameSpec::at(1)
        };
        payloads
            .iter()
            .flat_map(|p| camera.sign_frame(p, &spec).unwrap())
            .collect()
    }

    #[test]
    fn splits_frames_back_to_back() {
        let bytes = stream(&[b"one", b"", b"three!"]);
        let got: Vec<RawFrame> = frames(&bytes).map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got.iter().map(|f| f.offset).collect::<Vec<_>>(),
            [0, 119, 235]
        );
        assert_eq!(got[2].bytes.len(), 122);
        assert_eq!(&got[2].bytes[52..58], b"three!");
        assert_eq!(got[1].index, 1);
    }

    #[test]
    fn fields_are_read_from_the_header() {
        let bytes = stream(&[b"one", b"two"]);
        let second = frames(&bytes).nth(1).unwrap().unwrap();
        let f = second.fields();
        assert_eq!((f.version, f.flags, f.codec), (1, 0, 1));
        assert_eq!(f.stream_id, [4; 16]);
        assert_eq!((f.seq, f.timestamp_us, f.payload_len), (1, 1, 3));
        assert_eq!(
            f.key_id,
            frameseal::KeyId::of(Signer::from_secret(&[3; 32], [0; 16]).public_key()).0
        );
    }

    #[test]
    fn an_empty_stream_has_no_frames() {
        assert_eq!(frames(&[]).count(), 0);
    }

    #[test]
    fn every_cut_inside_the_last_frame_is_truncated() {
        let bytes = stream(&[b"ab", b"cd"]);
        let second = 118;
        for cut in second + 1..bytes.len() {
            let results: Vec<_> = frames(&bytes[..cut]).collect();
            assert_eq!(results.len(), 2, "cut {cut}");
            let needed = if cut - second < HEADER_LEN {
                HEADER_LEN as u64
            } else {
                118
            };
            assert_eq!(
                results[1],
                Err(SplitError::Truncated {
                    index: 1,
                    offset: second,
                    needed,
                    present: cut - second
                }),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_and_other_versions_stop_the_split() {
        let mut bytes = stream(&[b"ab"]);
        bytes.extend_from_slice(b"JUNK");
        let results: Vec<_> = frames(&bytes).collect();
        assert_eq!(
            results[1],
            Err(SplitError::NotAFrame {
                index: 1,
                offset: 118
            })
        );
        let mut v2 = stream(&[b"ab"]);
        v2[5] = 2;
        assert_eq!(
            frames(&v2).next(),
            Some(Err(SplitError::UnsupportedVersion {
                index: 0,
                offset: 0,
                version: 2
            }))
        );
        // "FSE" alone is a cut-off frame, not garbage.
        assert!(matches!(
            frames(b"FSE").next(),
            Some(Err(SplitError::Truncated { needed: 52, .. }))
        ));
    }

    #[test]
    fn a_huge_declared_length_is_truncated_not_a_panic() {
        let mut bytes = stream(&[b"ab"]);
        bytes[48..52].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            frames(&bytes).next(),
            Some(Err(SplitError::Truncated {
                index: 0,
                offset: 0,
                needed: 116 + u64::from(u32::MAX),
                present: 118
            }))
        );
    }

    #[test]
    fn errors_say_where() {
        let e = SplitError::Truncated {
            index: 5,
            offset: 900,
            needed: 300,
            present: 12,
        };
        assert_eq!(
            e.to_string(),
            "truncated: frame 5 at byte 900 needs 300 bytes, only 12 left"
        );
    }
}
