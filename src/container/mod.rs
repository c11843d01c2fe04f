//! The quanta container, format version 1: a stream header followed by numbered, checksummed
//! packets and a closing end-of-stream packet, readable from a pipe in one forward pass.
//!
//! In: a [`StreamHeader`] (media kind, transform id, opaque codec parameters) and a sequence of
//! opaque codec payloads, given to a [`ContainerWriter`]. Out: the bytes laid down in
//! `docs/FORMAT.md`. Going the other way, a [`ContainerReader`] turns any byte source back into
//! the header and a series of [`ReadEvent`]s: every intact packet, plus a [`Damage`] report for
//! each stretch of bytes it had to skip (bit errors, lost packets, truncation). [`summarize`]
//! condenses a whole stream into a [`StreamSummary`] for `quanta info`.

mod header;
mod input;
mod reader;
mod summary;
mod unit;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_damage;
#[cfg(test)]
mod tests_io;

pub use header::{MediaKind, StreamHeader};
pub use reader::{read_all, ContainerReader, Damage, Packet, ReadEvent};
pub use summary::{summarize, StreamSummary, MAX_LISTED_DAMAGE};
pub use unit::{frame_packet, read_unit, Unit};
pub use writer::ContainerWriter;

/// The container format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// The four bytes every quanta stream starts with.
pub const MAGIC: [u8; 4] = *b"QNTA";

/// The four bytes every packet starts with (`0x9E 'Q' 'P' 'K'`).
pub const SYNC: [u8; 4] = [0x9E, b'Q', b'P', b'K'];

/// Bytes of the stream header before the parameter block: magic, version, media kind,
/// transform id, reserved byte, parameter length.
pub const STREAM_HEADER_FIXED_BYTES: usize = 10;

/// Bytes of a stream header around its parameter block (fixed part plus the header CRC).
pub const STREAM_HEADER_OVERHEAD_BYTES: usize = STREAM_HEADER_FIXED_BYTES + 4;

/// Bytes of a packet header: sync, sequence, flags, payload length, header CRC.
pub const PACKET_HEADER_BYTES: usize = 17;

/// Bytes a packet adds around its payload: the packet header plus the payload CRC.
pub const PACKET_OVERHEAD_BYTES: usize = PACKET_HEADER_BYTES + 4;

/// Bytes at the start of a packet header covered by its CRC (sync, sequence, flags, length);
/// the payload CRC covers these bytes too, then the payload.
pub const PACKET_CRC_FIELDS: usize = 13;

/// Packet flag bit 0: the payload can be decoded without any earlier packet.
pub const FLAG_KEYFRAME: u8 = 0x01;

/// Packet flag bit 1: the end-of-stream packet, the last packet of every complete stream.
pub const FLAG_END: u8 = 0x02;

/// All flag bits format version 1 defines; any other bit set makes a packet invalid.
pub const KNOWN_FLAGS: u8 = FLAG_KEYFRAME | FLAG_END;

/// The fields of a packet header whose sync word and CRC checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacketHeader {
    pub sequence: u32,
    pub flags: u8,
    pub length: u32,
}

/// Why 17 bytes are not a valid packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderFault {
    /// The first four bytes are not [`SYNC`].
    Sync,
    /// The stored header CRC differs from the one computed over the first 13 bytes.
    Crc { stored: u32, computed: u32 },
}

/// The 17 bytes of a packet header, CRC included.
pub(crate) fn encode_packet_header(sequence: u32, flags: u8, length: u32) -> [u8; 17] {
    let mut h = [0u8; PACKET_HEADER_BYTES];
    h[0..4].copy_from_slice(&SYNC);
    h[4..8].copy_from_slice(&sequence.to_le_bytes());
    h[8] = flags;
    h[9..13].copy_from_slice(&length.to_le_bytes());
    let crc = crc32fast::hash(&h[0..PACKET_CRC_FIELDS]);
    h[13..17].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The payload CRC: a CRC32 of the packet header's first 13 bytes followed by the payload. It
/// binds the payload to its own header. (The header CRC is left out on purpose: a CRC over a
/// message followed by that message's own CRC is the same for every message, so including it
/// would cancel the header fields out.)
pub(crate) fn payload_crc(fields: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(fields);
    hasher.update(payload);
    hasher.finalize()
}

/// Checks the sync word and header CRC of 17 bytes and returns the fields they hold.
pub(crate) fn decode_packet_header(h: &[u8; 17]) -> std::result::Result<PacketHeader, HeaderFault> {
    if h[0..4] != SYNC {
        return Err(HeaderFault::Sync);
    }
    let stored = u32::from_le_bytes([h[13], h[14], h[15], h[16]]);
    let computed = crc32fast::hash(&h[0..PACKET_CRC_FIELDS]);
    if stored != computed {
        return Err(HeaderFault::Crc { stored, computed });
    }
    Ok(PacketHeader {
        sequence: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        flags: h[8],
        length: u32::from_le_bytes([h[9], h[10], h[11], h[12]]),
    })
}
