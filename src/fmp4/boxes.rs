//! ISO BMFF box walking and field reading over a byte slice: every size is
//! checked against the bytes its parent holds before anything is read.

use super::{BoxType, Fmp4Error};

/// One box: its type, where it starts in the whole input, and its body (the
/// bytes after its header, up to its end).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BoxRef<'a> {
    /// The four-character type.
    pub kind: BoxType,
    /// Offset of the box's first byte in the whole input.
    pub offset: usize,
    /// Offset of the body's first byte in the whole input.
    pub body_offset: usize,
    /// The body.
    pub body: &'a [u8],
}

impl BoxRef<'_> {
    /// [`Fmp4Error::Duplicate`] naming this box: it is a second one where
    /// one is allowed.
    pub fn duplicate(&self) -> Fmp4Error {
        Fmp4Error::Duplicate {
            offset: self.offset,
            kind: self.kind,
        }
    }

    /// [`Fmp4Error::Unexpected`] naming this box: its type has no place
    /// where it stands.
    pub fn unexpected(&self) -> Fmp4Error {
        Fmp4Error::Unexpected {
            offset: self.offset,
            kind: self.kind,
        }
    }

    /// The whole box's length, header included.
    pub fn len(&self) -> usize {
        self.body_offset - self.offset + self.body.len()
    }

    /// A reader over the body, whose errors name this box.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            data: self.body,
            pos: 0,
            kind: self.kind,
            offset: self.offset,
        }
    }
}

/// The boxes that fill `data` (which starts at `base` in the whole input),
/// in order. Size 0 ("to the end") is accepted only when `top` is set: it
/// is legal for the last box of a file, never inside another box. After
/// the first error the walk yields nothing more.
pub(crate) struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    top: bool,
    done: bool,
}

impl<'a> Boxes<'a> {
    /// Walks `data`, which stands at `base` in the whole input.
    pub fn new(data: &'a [u8], base: usize, top: bool) -> Boxes<'a> {
        Boxes {
            data,
            pos: 0,
            base,
            top,
            done: false,
        }
    }

    fn next_box(&mut self) -> Result<BoxRef<'a>, Fmp4Error> {
        let rest = &self.data[self.pos..];
        let offset = self.base + self.pos;
        if rest.len() < 8 {
            return Err(Fmp4Error::Truncated {
                offset,
                kind: None,
                needed: 8,
                available: rest.len() as u64,
            });
        }
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let kind = BoxType([rest[4], rest[5], rest[6], rest[7]]);
        let (size, mut header) = match size32 {
            0 if self.top => (rest.len() as u64, 8usize),
            0 => return Err(Fmp4Error::SizeZeroInside { offset, kind }),
            1 => {
                if rest.len() < 16 {
                    return Err(Fmp4Error::Truncated {
                        offset,
                        kind: Some(kind),
                        needed: 16,
                        available: rest.len() as u64,
                    });
                }
                let mut large = [0; 8];
                large.copy_from_slice(&rest[8..16]);
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if kind.0 == *b"uuid" {
            header += 16;
        }
        if size < header as u64 {
            return Err(Fmp4Error::BoxTooSmall { offset, kind, size });
        }
        if size > rest.len() as u64 {
            return Err(Fmp4Error::Truncated {
                offset,
                kind: Some(kind),
                needed: size,
                available: rest.len() as u64,
            });
        }
        // `size <= rest.len()`, so it fits a usize.
        let size = size as usize;
        self.pos += size;
        Ok(BoxRef {
            kind,
            offset,
            body_offset: offset + header,
            body: &rest[header..size],
        })
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<BoxRef<'a>, Fmp4Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos == self.data.len() {
            return None;
        }
        let item = self.next_box();
        self.done = item.is_err();
        Some(item)
    }
}

/// A cursor over one box's body; running short, or leaving bytes behind
/// where [`Reader::finish`] is called, is [`Fmp4Error::BadBody`] naming the
/// box.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    kind: BoxType,
    offset: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self) -> Fmp4Error {
        Fmp4Error::BadBody {
            offset: self.offset,
            kind: self.kind,
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Fmp4Error> {
        if self.data.len() - self.pos < n {
            return Err(self.bad());
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The next big-endian u32.
    pub fn u32(&mut self) -> Result<u32, Fmp4Error> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next big-endian u64.
    pub fn u64(&mut self) -> Result<u64, Fmp4Error> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// A full box's version and 24-bit flags.
    pub fn full_header(&mut self) -> Result<(u8, u32), Fmp4Error> {
        let word = self.u32()?;
        Ok(((word >> 24) as u8, word & 0x00ff_ffff))
    }

    /// A full box's version and flags, refusing a version above `max` (the
    /// newest whose layout is read) with [`Fmp4Error::UnsupportedVersion`].
    pub fn versioned(&mut self, max: u8) -> Result<(u8, u32), Fmp4Error> {
        let (version, flags) = self.full_header()?;
        if version > max {
            return Err(Fmp4Error::UnsupportedVersion {
                offset: self.offset,
                kind: self.kind,
                version,
            });
        }
        Ok((version, flags))
    }

    /// [`Fmp4Error::BadFlags`] naming this box.
    pub fn bad_flags(&self, flags: u32) -> Fmp4Error {
        Fmp4Error::BadFlags {
            offset: self.offset,
            kind: self.kind,
            flags,
        }
    }

    /// Skips the creation and modification times of a `tkhd` or `mdhd`
    /// (32 bits each in version 0, 64 in version 1).
    pub fn skip_times(&mut self, version: u8) -> Result<(), Fmp4Error> {
        self.take(if version == 0 { 8 } else { 16 })?;
        Ok(())
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }

    /// How many bytes of the body were read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails unless every byte of the body was read.
    pub fn finish(self) -> Result<(), Fmp4Error> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(self.bad())
        }
    }
}
