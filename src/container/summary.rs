//! A whole-stream summary for `quanta info`: reads a stream to its end and counts what it holds.
//!
//! In: any `Read` positioned at the start of a quanta stream, and the [`Limits`]. Out: a
//! [`StreamSummary`] with the header, packet and keyframe counts, payload sizes, the damage
//! found (the first [`MAX_LISTED_DAMAGE`] reports kept in full) and whether the stream is
//! complete. Memory stays bounded however long or damaged the stream is.

use std::io::Read;

use super::{ContainerReader, Damage, ReadEvent, StreamHeader};
use crate::error::{Limits, Result};

/// How many damage reports a [`StreamSummary`] keeps; later ones are only counted.
pub const MAX_LISTED_DAMAGE: usize = 256;

/// What a stream holds, as found by reading it to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    /// The stream header.
    pub header: StreamHeader,
    /// Intact data packets (the end-of-stream packet is not counted).
    pub packets: u32,
    /// Intact data packets flagged as keyframes.
    pub keyframes: u32,
    /// Sum of the intact data packets' payload sizes.
    pub payload_bytes: u64,
    /// Bytes of the stream read, header and end packet included.
    pub total_bytes: u64,
    /// Smallest intact data payload, in bytes (0 when there is none).
    pub min_packet_bytes: u32,
    /// Largest intact data payload, in bytes (0 when there is none).
    pub max_packet_bytes: u32,
    /// The first [`MAX_LISTED_DAMAGE`] damage reports.
    pub damaged: Vec<Damage>,
    /// How many damage reports there were in all.
    pub damage_count: u64,
    /// Sum of the lengths of the damage reports' lost sequence ranges.
    pub lost_packets: u64,
    /// The end-of-stream packet was read.
    pub complete: bool,
    /// The end-of-stream packet's payload, when it was read.
    pub end_payload: Option<Vec<u8>>,
}

/// Reads a whole stream and summarizes it. Fails only where [`ContainerReader::new`] fails
/// (the header) or on an I/O error; damage is counted, not fatal.
pub fn summarize<R: Read>(r: R, limits: Limits) -> Result<StreamSummary> {
    let mut reader = ContainerReader::new(r, limits)?;
    let mut summary = StreamSummary {
        header: reader.header().clone(),
        packets: 0,
        keyframes: 0,
        payload_bytes: 0,
        total_bytes: 0,
        min_packet_bytes: 0,
        max_packet_bytes: 0,
        damaged: Vec::new(),
        damage_count: 0,
        lost_packets: 0,
        complete: false,
        end_payload: None,
    };
    let mut min = u32::MAX;
    while let Some(event) = reader.next_event()? {
        match event {
            ReadEvent::Packet(p) => {
                let size = u32::try_from(p.payload.len()).unwrap_or(u32::MAX);
                summary.packets = summary.packets.saturating_add(1);
                if p.keyframe {
                    summary.keyframes = summary.keyframes.saturating_add(1);
                }
                summary.payload_bytes += u64::from(size);
                min = min.min(size);
                summary.max_packet_bytes = summary.max_packet_bytes.max(size);
            }
            ReadEvent::Damaged(d) => {
                summary.damage_count += 1;
                summary.lost_packets +=
                    u64::from(d.lost_sequences.end.saturating_sub(d.lost_sequences.start));
                if summary.damaged.len() < MAX_LISTED_DAMAGE {
                    summary.damaged.push(d);
                }
            }
        }
    }
    if summary.packets > 0 {
        summary.min_packet_bytes = min;
    }
    summary.total_bytes = reader.bytes_read();
    summary.complete = reader.is_complete();
    summary.end_payload = reader.end_payload().map(<[u8]>::to_vec);
    Ok(summary)
}
