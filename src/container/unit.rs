//! Container units one at a time: the framing of a single stream header or packet, and the
//! parsing of one such unit from a byte buffer that holds exactly it.
//!
//! A quanta stream is a sequence of units (the stream header, numbered packets, the
//! end-of-stream packet). [`super::ContainerReader`] reads them from a byte stream; this
//! module serves transports that already deliver one unit per buffer (a GStreamer pad, a
//! message queue): [`frame_packet`] lays out one packet exactly as the writer does, and
//! [`read_unit`] checks and parses one, so that concatenating the framed units of an encode
//! gives a valid stream file.

use super::header::read_stream_header;
use super::input::Input;
use super::{
    decode_packet_header, encode_packet_header, payload_crc, HeaderFault, Packet, StreamHeader,
    FLAG_END, FLAG_KEYFRAME, KNOWN_FLAGS, MAGIC, PACKET_CRC_FIELDS, PACKET_HEADER_BYTES,
    PACKET_OVERHEAD_BYTES,
};
use crate::error::{Error, Limits, Result};

/// One unit of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// The stream header (the first unit).
    Header(StreamHeader),
    /// A data packet.
    Packet(Packet),
    /// The end-of-stream packet's payload (the last unit).
    End(Vec<u8>),
}

/// The bytes of one packet exactly as [`super::ContainerWriter`] writes it: header, payload,
/// payload CRC. `end` marks the end-of-stream packet (its keyframe flag is ignored).
pub fn frame_packet(sequence: u32, keyframe: bool, end: bool, payload: &[u8]) -> Result<Vec<u8>> {
    let flags = match (end, keyframe) {
        (true, _) => FLAG_END,
        (false, true) => FLAG_KEYFRAME,
        (false, false) => 0,
    };
    let (header, crc) = packet_framing(sequence, flags, payload)?;
    let mut out = Vec::with_capacity(PACKET_OVERHEAD_BYTES + payload.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc);
    Ok(out)
}

/// What goes around a packet's payload: its 17-byte header and its 4-byte payload CRC.
pub(super) fn packet_framing(
    sequence: u32,
    flags: u8,
    payload: &[u8],
) -> Result<([u8; PACKET_HEADER_BYTES], [u8; 4])> {
    let length = u32::try_from(payload.len()).map_err(|_| {
        Error::InvalidArgument(format!(
            "packet {sequence} payload is {} bytes, the format allows at most {}",
            payload.len(),
            u32::MAX
        ))
    })?;
    let header = encode_packet_header(sequence, flags, length);
    let crc = payload_crc(&header[..PACKET_CRC_FIELDS], payload).to_le_bytes();
    Ok((header, crc))
}

/// Parses `bytes` as exactly one unit: a stream header (starting with the magic) or one
/// packet with valid sync word, CRCs and flags. Anything else, or bytes left over, is an
/// [`Error::InvalidStream`] naming what was wrong.
pub fn read_unit(bytes: &[u8], limits: &Limits) -> Result<Unit> {
    if bytes.starts_with(&MAGIC) {
        let mut input = Input::new(bytes);
        let header = read_stream_header(&mut input, limits)?;
        let used = input.pos() as usize;
        if used != bytes.len() {
            return Err(Error::invalid(format!(
                "the unit holds a {used}-byte stream header and {} bytes more",
                bytes.len() - used
            )));
        }
        return Ok(Unit::Header(header));
    }
    let Some(head) = bytes.first_chunk::<PACKET_HEADER_BYTES>() else {
        return Err(Error::invalid(format!(
            "a {}-byte unit is shorter than a packet header ({PACKET_HEADER_BYTES} bytes)",
            bytes.len()
        )));
    };
    let h = match decode_packet_header(head) {
        Ok(h) => h,
        Err(HeaderFault::Sync) => {
            return Err(Error::invalid(format!(
                "the unit starts with {:02x?}, neither the stream magic nor a packet sync word",
                &head[..4]
            )))
        }
        Err(HeaderFault::Crc { stored, computed }) => {
            return Err(Error::invalid(format!(
                "packet header CRC mismatch (stored {stored:08x}, computed {computed:08x})"
            )))
        }
    };
    let seq = h.sequence;
    if h.flags & !KNOWN_FLAGS != 0 {
        return Err(Error::invalid(format!(
            "packet {seq} has unknown flag bits {:#04x}",
            h.flags & !KNOWN_FLAGS
        )));
    }
    if h.length > limits.max_packet_bytes {
        return Err(Error::invalid(format!(
            "packet {seq} declares a payload of {} bytes, over the limit of {} bytes",
            h.length, limits.max_packet_bytes
        )));
    }
    let expected = h.length as usize + PACKET_OVERHEAD_BYTES;
    if bytes.len() != expected {
        return Err(Error::invalid(format!(
            "packet {seq} takes {expected} bytes, the unit holds {}",
            bytes.len()
        )));
    }
    let payload_end = expected - 4;
    let payload = &bytes[PACKET_HEADER_BYTES..payload_end];
    let stored = u32::from_le_bytes([
        bytes[payload_end],
        bytes[payload_end + 1],
        bytes[payload_end + 2],
        bytes[payload_end + 3],
    ]);
    let computed = payload_crc(&bytes[..PACKET_CRC_FIELDS], payload);
    if stored != computed {
        return Err(Error::invalid(format!(
            "packet {seq} payload CRC mismatch (stored {stored:08x}, computed {computed:08x})"
        )));
    }
    if h.flags & FLAG_END != 0 {
        return Ok(Unit::End(payload.to_vec()));
    }
    Ok(Unit::Packet(Packet {
        sequence: seq,
        keyframe: h.flags & FLAG_KEYFRAME != 0,
        payload: payload.to_vec(),
        offset: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerWriter, MediaKind};

    #[test]
    fn framed_units_are_the_writers_bytes_and_parse_back() {
        let header = StreamHeader::new(MediaKind::Audio, 0, vec![1, 2, 3]);
        let mut writer = ContainerWriter::new(Vec::new(), &header).unwrap();
        writer.write_packet(true, b"first").unwrap();
        writer.write_packet(false, b"second!").unwrap();
        let file = writer.finish(b"end").unwrap();

        let head = header.encode().unwrap();
        let mut joined = head.clone();
        joined.extend(frame_packet(0, true, false, b"first").unwrap());
        joined.extend(frame_packet(1, false, false, b"second!").unwrap());
        joined.extend(frame_packet(2, false, true, b"end").unwrap());
        assert_eq!(joined, file);

        let limits = Limits::default();
        assert_eq!(read_unit(&head, &limits).unwrap(), Unit::Header(header));
        let first = frame_packet(0, true, false, b"first").unwrap();
        match read_unit(&first, &limits).unwrap() {
            Unit::Packet(p) => {
                assert_eq!((p.sequence, p.keyframe), (0, true));
                assert_eq!(p.payload, b"first");
            }
            other => panic!("expected a packet, got {other:?}"),
        }
        let end = frame_packet(2, false, true, b"end").unwrap();
        assert_eq!(
            read_unit(&end, &limits).unwrap(),
            Unit::End(b"end".to_vec())
        );
    }

    #[test]
    fn damaged_units_are_refused_with_a_reason() {
        let limits = Limits::default();
        let good = frame_packet(5, false, false, b"payload").unwrap();
        let mut flipped = good.clone();
        flipped[PACKET_HEADER_BYTES + 2] ^= 0x10;
        let err = read_unit(&flipped, &limits).unwrap_err().to_string();
        assert!(err.contains("payload CRC"), "{err}");
        let err = read_unit(&good[..good.len() - 1], &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("takes"), "{err}");
        let err = read_unit(&good[..5], &limits).unwrap_err().to_string();
        assert!(err.contains("shorter than a packet header"), "{err}");
        let mut header = StreamHeader::new(MediaKind::Video, 0, vec![9; 4])
            .encode()
            .unwrap();
        header.push(0);
        let err = read_unit(&header, &limits).unwrap_err().to_string();
        assert!(err.contains("bytes more"), "{err}");
    }
}
