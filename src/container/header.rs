//! The stream header: what a stream holds ([`MediaKind`], transform id, codec parameters),
//! encoded by the writer and read back and validated by the reader.
//!
//! In: a [`StreamHeader`] value, or the first bytes of an input. Out: the header's bytes (magic,
//! version, media kind, transform id, reserved byte, parameter length, parameters, CRC32), or
//! the validated header, or an error saying which field was wrong and what was expected.

use std::fmt;
use std::io::Read;

use super::input::Input;
use super::{FORMAT_VERSION, MAGIC, STREAM_HEADER_FIXED_BYTES, STREAM_HEADER_OVERHEAD_BYTES};
use crate::error::{Error, Limits, Result};

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A still picture (code 1).
    Image,
    /// Sampled sound (code 2).
    Audio,
    /// A sequence of pictures (code 3).
    Video,
}

impl MediaKind {
    /// The byte that names this kind in the stream header.
    pub fn to_u8(self) -> u8 {
        match self {
            MediaKind::Image => 1,
            MediaKind::Audio => 2,
            MediaKind::Video => 3,
        }
    }

    /// The kind named by a header byte; an unknown code is [`Error::Unsupported`].
    pub fn from_u8(code: u8) -> Result<MediaKind> {
        match code {
            1 => Ok(MediaKind::Image),
            2 => Ok(MediaKind::Audio),
            3 => Ok(MediaKind::Video),
            other => Err(Error::Unsupported(format!(
                "media kind {other} in the stream header (known kinds: 1 image, 2 audio, 3 video)"
            ))),
        }
    }

    /// A lower-case English name: "image", "audio" or "video".
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The stream header: what the stream holds and the codec parameters needed to decode it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// Container format version; always [`FORMAT_VERSION`] in this build.
    pub version: u8,
    /// What the packets carry.
    pub media: MediaKind,
    /// The codec's transform id; the container stores it without interpreting it.
    pub transform: u8,
    /// Codec parameters, opaque to the container; at most 65 535 bytes.
    pub params: Vec<u8>,
}

impl StreamHeader {
    /// A header of the current format version.
    pub fn new(media: MediaKind, transform: u8, params: Vec<u8>) -> StreamHeader {
        StreamHeader {
            version: FORMAT_VERSION,
            media,
            transform,
            params,
        }
    }

    /// How many bytes [`StreamHeader::encode`] produces.
    pub fn encoded_len(&self) -> usize {
        STREAM_HEADER_OVERHEAD_BYTES + self.params.len()
    }

    /// The header's bytes, CRC included. Fails with [`Error::InvalidArgument`] when the version
    /// is not [`FORMAT_VERSION`] or the parameter block is longer than 65 535 bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.version != FORMAT_VERSION {
            return Err(Error::InvalidArgument(format!(
                "stream header version {}: this build writes only version {FORMAT_VERSION}",
                self.version
            )));
        }
        let params_len = u16::try_from(self.params.len()).map_err(|_| {
            Error::InvalidArgument(format!(
                "stream header parameter block is {} bytes, the format allows at most {}",
                self.params.len(),
                u16::MAX
            ))
        })?;
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.push(self.version);
        out.push(self.media.to_u8());
        out.push(self.transform);
        out.push(0);
        out.extend_from_slice(&params_len.to_le_bytes());
        out.extend_from_slice(&self.params);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }
}

/// Reads the stream header from the start of `input`; see [`super::ContainerReader::new`].
pub(crate) fn read_stream_header<R: Read>(
    input: &mut Input<R>,
    limits: &Limits,
) -> Result<StreamHeader> {
    let fill = |input: &mut Input<R>, need: usize| {
        input
            .fill(need)
            .map_err(|e| Error::io("cannot read the stream header", e))
    };
    let truncated = |have: usize, need: usize| {
        Error::invalid(format!(
            "truncated stream header: the input ends after {have} bytes, the header needs {need}"
        ))
    };
    fill(input, MAGIC.len())?;
    let bytes = input.available();
    if bytes.is_empty() {
        return Err(Error::NotQuanta("the input is empty".into()));
    }
    let magic_part = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if !MAGIC.starts_with(magic_part) {
        return Err(Error::NotQuanta(format!(
            "expected the magic \"QNTA\" at byte 0, found {magic_part:02x?}"
        )));
    }
    if !fill(input, STREAM_HEADER_FIXED_BYTES)? {
        let have = input.available().len();
        if let Some(&version) = input.available().get(4) {
            check_version(version)?;
        }
        return Err(truncated(have, STREAM_HEADER_FIXED_BYTES));
    }
    let fixed: [u8; STREAM_HEADER_FIXED_BYTES] = match input
        .available()
        .get(..STREAM_HEADER_FIXED_BYTES)
        .and_then(|s| s.try_into().ok())
    {
        Some(f) => f,
        None => {
            return Err(truncated(
                input.available().len(),
                STREAM_HEADER_FIXED_BYTES,
            ))
        }
    };
    check_version(fixed[4])?;
    let params_len = u16::from_le_bytes([fixed[8], fixed[9]]);
    Limits::check(
        "stream header parameter block",
        u64::from(params_len),
        u64::from(limits.max_header_bytes),
    )?;
    let total = STREAM_HEADER_OVERHEAD_BYTES + usize::from(params_len);
    if !fill(input, total)? {
        return Err(truncated(input.available().len(), total));
    }
    let bytes = input.available();
    let (covered, stored) = match (bytes.get(..total - 4), bytes.get(total - 4..total)) {
        (Some(c), Some(&[a, b, c2, d])) => (c, u32::from_le_bytes([a, b, c2, d])),
        _ => return Err(truncated(bytes.len(), total)),
    };
    let computed = crc32fast::hash(covered);
    if stored != computed {
        return Err(Error::invalid(format!(
            "stream header CRC mismatch at byte {}: stored {stored:08x}, computed {computed:08x}",
            total - 4
        )));
    }
    if fixed[7] != 0 {
        return Err(Error::invalid(format!(
            "stream header reserved byte 7 is {}, expected 0",
            fixed[7]
        )));
    }
    let media = MediaKind::from_u8(fixed[5])?;
    let params = covered
        .get(STREAM_HEADER_FIXED_BYTES..)
        .unwrap_or(&[])
        .to_vec();
    input.consume(total);
    Ok(StreamHeader {
        version: fixed[4],
        media,
        transform: fixed[6],
        params,
    })
}

fn check_version(version: u8) -> Result<()> {
    if version == FORMAT_VERSION {
        Ok(())
    } else {
        Err(Error::Unsupported(format!(
            "container format version {version} (this build reads version {FORMAT_VERSION})"
        )))
    }
}
