//! The container reader: validates the stream header, then hands out intact packets one by one
//! and reports every damaged stretch of the stream instead of giving up on it.
//!
//! In: any `Read` (read strictly forward, a pipe is fine) and the [`Limits`] that bound what may
//! be allocated. Out: the [`StreamHeader`], then a series of [`ReadEvent`]s: each packet whose
//! header and payload CRCs check out, and a [`Damage`] record for each bad sync word, bad CRC,
//! unknown flag, over-limit length, sequence gap or truncation, saying where and what was lost.
//! After damage the reader scans forward byte by byte to the next valid packet header.

use std::fmt;
use std::io::Read;
use std::ops::Range;

use super::header::read_stream_header;
use super::input::Input;
use super::{
    decode_packet_header, payload_crc, HeaderFault, StreamHeader, FLAG_END, FLAG_KEYFRAME,
    KNOWN_FLAGS, PACKET_CRC_FIELDS, PACKET_HEADER_BYTES, PACKET_OVERHEAD_BYTES, SYNC,
};
use crate::error::{Error, Limits, Result};

/// While scanning for a packet header, a `Damaged` event is returned after this many bytes were
/// skipped without finding one, so that endless garbage does not keep a call from returning.
const SCAN_REPORT_BYTES: u64 = 16 * 1024 * 1024;

/// One intact packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The sequence number the writer gave it (0 for the first packet).
    pub sequence: u32,
    /// The writer marked it as decodable without any earlier packet.
    pub keyframe: bool,
    /// The codec payload, CRC-checked.
    pub payload: Vec<u8>,
    /// Stream offset of the packet's sync word.
    pub offset: u64,
}

/// A stretch of the stream the reader could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Stream offset where the damage was found.
    pub offset: u64,
    /// Bytes skipped from `offset` to the next valid packet (or to the end of the input).
    pub skipped_bytes: u64,
    /// Sequence numbers known to be lost; empty when the reader cannot tell.
    pub lost_sequences: Range<u32>,
    /// What was wrong, naming the packet and byte offset. Starts with "truncated" when the
    /// input ended before the end-of-stream packet.
    pub reason: String,
}

impl Damage {
    /// True when this report says the stream stops before its end-of-stream packet.
    pub fn is_truncation(&self) -> bool {
        self.reason.starts_with("truncated")
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes skipped from byte {}",
            self.reason, self.skipped_bytes, self.offset
        )?;
        let lost = &self.lost_sequences;
        match lost.end.saturating_sub(lost.start) {
            0 => {}
            1 => write!(f, "; packet {} lost", lost.start)?,
            _ => write!(f, "; packets {} to {} lost", lost.start, lost.end - 1)?,
        }
        f.write_str(")")
    }
}

/// What [`ContainerReader::next_event`] found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadEvent {
    /// An intact packet.
    Packet(Packet),
    /// A damaged stretch; reading goes on after it.
    Damaged(Damage),
}

/// Reads a quanta stream packet by packet. See the module documentation.
pub struct ContainerReader<R: Read> {
    input: Input<R>,
    limits: Limits,
    header: StreamHeader,
    /// The next sequence number expected (u64 so that it can pass `u32::MAX`).
    expected: u64,
    /// A valid packet held back while the sequence gap before it is reported.
    pending: Option<(Packet, bool)>,
    end_payload: Option<Vec<u8>>,
    complete: bool,
    finished: bool,
}

impl<R: Read> ContainerReader<R> {
    /// Reads and validates the stream header. Empty input or a wrong magic is
    /// [`Error::NotQuanta`]; another format version or an unknown media kind is
    /// [`Error::Unsupported`]; a parameter block longer than `limits.max_header_bytes` is
    /// [`Error::Limit`] (nothing is allocated for it); a truncated header, a bad header CRC or a
    /// non-zero reserved byte is [`Error::InvalidStream`].
    pub fn new(inner: R, limits: Limits) -> Result<ContainerReader<R>> {
        let mut input = Input::new(inner);
        let header = read_stream_header(&mut input, &limits)?;
        Ok(ContainerReader {
            input,
            limits,
            header,
            expected: 0,
            pending: None,
            end_payload: None,
            complete: false,
            finished: false,
        })
    }

    /// The validated stream header.
    pub fn header(&self) -> &StreamHeader {
        &self.header
    }

    /// The payload of the end-of-stream packet, once it has been read.
    pub fn end_payload(&self) -> Option<&[u8]> {
        self.end_payload.as_deref()
    }

    /// True once the end-of-stream packet has been read.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Bytes of the stream consumed so far (header, packets and skipped bytes).
    pub fn bytes_read(&self) -> u64 {
        self.input.pos()
    }

    /// Gives back the source and any bytes read from it beyond [`ContainerReader::bytes_read`]
    /// (for example the start of whatever follows the end-of-stream packet).
    pub fn into_parts(self) -> (R, Vec<u8>) {
        self.input.into_parts()
    }

    /// Bytes the input buffer has allocated (for tests of the allocation bounds).
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.input.capacity()
    }

    /// The next packet or damage report; `Ok(None)` after the end-of-stream packet, after the
    /// truncation report, or after an I/O error was returned once. Only I/O errors are `Err`.
    pub fn next_event(&mut self) -> Result<Option<ReadEvent>> {
        if let Some((packet, end)) = self.pending.take() {
            return Ok(self.deliver(packet, end));
        }
        if self.finished {
            return Ok(None);
        }
        match self.step() {
            Ok(event) => Ok(event),
            Err(e) => {
                self.finished = true;
                Err(e)
            }
        }
    }

    /// Hands out a valid packet in order, or records the end packet and stops.
    fn deliver(&mut self, packet: Packet, end: bool) -> Option<ReadEvent> {
        self.expected = u64::from(packet.sequence) + 1;
        if end {
            self.end_payload = Some(packet.payload);
            self.complete = true;
            self.finished = true;
            None
        } else {
            Some(ReadEvent::Packet(packet))
        }
    }

    /// Makes `need` bytes available; false at the end of the input.
    fn fill(&mut self, need: usize) -> Result<bool> {
        let at = self.input.pos();
        self.input
            .fill(need)
            .map_err(|e| Error::io(format!("cannot read the stream at byte {at}"), e))
    }

    /// Parses the packet at the current position.
    fn step(&mut self) -> Result<Option<ReadEvent>> {
        let at = self.input.pos();
        if !self.fill(PACKET_HEADER_BYTES)? {
            let present = self.input.available().len();
            self.input.consume(present);
            self.finished = true;
            let reason = if present == 0 {
                format!(
                    "truncated: the stream ends at byte {at} without an end-of-stream packet \
                     (next expected packet {})",
                    self.expected
                )
            } else {
                format!(
                    "truncated: the stream ends inside the packet header at byte {at} \
                     ({present} of {PACKET_HEADER_BYTES} bytes present)"
                )
            };
            return Ok(Some(self.damage(
                at,
                present as u64,
                self.empty_lost(),
                reason,
            )));
        }
        let header = match self.peek_header() {
            Some(h) => h,
            None => {
                // Not reachable: `fill` made the bytes available. Stop rather than loop.
                self.finished = true;
                return Ok(None);
            }
        };
        let h = match decode_packet_header(&header) {
            Ok(h) => h,
            Err(HeaderFault::Sync) => {
                let found = [header[0], header[1], header[2], header[3]];
                let what = format!(
                    "expected the packet sync word {SYNC:02x?} at byte {at}, found {found:02x?}"
                );
                return self.resync(at, what, None).map(Some);
            }
            Err(HeaderFault::Crc { stored, computed }) => {
                let what = format!(
                    "packet header CRC mismatch at byte {at} \
                     (stored {stored:08x}, computed {computed:08x})"
                );
                return self.resync(at, what, None).map(Some);
            }
        };
        let seq = h.sequence;
        if h.flags & !KNOWN_FLAGS != 0 {
            let what = format!(
                "packet {seq} at byte {at} has unknown flag bits {:#04x} \
                 (only bit 0 keyframe and bit 1 end of stream are defined)",
                h.flags & !KNOWN_FLAGS
            );
            return self.resync(at, what, Some(seq)).map(Some);
        }
        if h.length > self.limits.max_packet_bytes {
            let what = format!(
                "packet {seq} at byte {at} declares a payload of {} bytes, over the limit of {} \
                 bytes",
                h.length, self.limits.max_packet_bytes
            );
            return self.resync(at, what, Some(seq)).map(Some);
        }
        if u64::from(seq) < self.expected {
            let what = format!(
                "packet {seq} at byte {at} is out of order: expected packet {} or later",
                self.expected
            );
            return self.resync(at, what, None).map(Some);
        }
        let total = usize::try_from(h.length)
            .ok()
            .and_then(|len| len.checked_add(PACKET_OVERHEAD_BYTES));
        let total = match total {
            Some(t) => t,
            None => {
                let what = format!("packet {seq} at byte {at} is too large for this machine");
                return self.resync(at, what, Some(seq)).map(Some);
            }
        };
        if !self.fill(total)? {
            let what = format!(
                "packet {seq} at byte {at} is cut short: it takes {total} bytes, only {} remain",
                self.input.available().len()
            );
            return self.resync(at, what, Some(seq)).map(Some);
        }
        let payload_end = total - 4;
        let bytes = self.input.available();
        let (fields, payload, stored) = match (
            bytes.get(..PACKET_CRC_FIELDS),
            bytes.get(PACKET_HEADER_BYTES..payload_end),
            bytes.get(payload_end..total),
        ) {
            (Some(f), Some(p), Some(&[a, b, c, d])) => (f, p, u32::from_le_bytes([a, b, c, d])),
            _ => {
                // Not reachable: `fill` made the bytes available. Stop rather than loop.
                self.finished = true;
                return Ok(None);
            }
        };
        let computed = payload_crc(fields, payload);
        if stored != computed {
            let what = format!(
                "payload CRC mismatch in packet {seq} at byte {at} \
                 (stored {stored:08x}, computed {computed:08x})"
            );
            return self.resync(at, what, Some(seq)).map(Some);
        }
        let packet = Packet {
            sequence: seq,
            keyframe: h.flags & FLAG_KEYFRAME != 0,
            payload: payload.to_vec(),
            offset: at,
        };
        let end = h.flags & FLAG_END != 0;
        self.input.consume(total);
        if u64::from(seq) > self.expected {
            let lost = self.lost_range(seq);
            let reason = match self.expected.checked_sub(1) {
                Some(prev) => {
                    format!("sequence gap: packet {seq} at byte {at} follows packet {prev}")
                }
                None => format!("sequence gap: the first packet read is {seq}, at byte {at}"),
            };
            self.pending = Some((packet, end));
            return Ok(Some(self.damage(at, 0, lost, reason)));
        }
        Ok(self.deliver(packet, end))
    }

    /// The 17 bytes at the current position, if that many are available.
    fn peek_header(&self) -> Option<[u8; PACKET_HEADER_BYTES]> {
        self.input
            .available()
            .get(..PACKET_HEADER_BYTES)
            .and_then(|s| s.try_into().ok())
    }

    /// After damage found at `at` (described by `what`; `known` is the damaged packet's
    /// sequence number when its header was valid), skips forward to the next valid packet
    /// header and reports the skipped stretch; at the end of the input reports truncation.
    fn resync(&mut self, at: u64, what: String, known: Option<u32>) -> Result<ReadEvent> {
        self.input.consume(1);
        loop {
            if !self.fill(PACKET_HEADER_BYTES)? {
                let rest = self.input.available().len();
                self.input.consume(rest);
                self.finished = true;
                let end = self.input.pos();
                let lost = match known {
                    Some(seq) if u64::from(seq) >= self.expected => {
                        self.lost_range(seq.saturating_add(1))
                    }
                    _ => self.empty_lost(),
                };
                let reason = format!(
                    "truncated: {what}; no valid packet follows before the input ends at byte \
                     {end}, and no end-of-stream packet was read"
                );
                return Ok(self.damage(at, end - at, lost, reason));
            }
            let available = self.input.available();
            match available.iter().position(|&b| b == SYNC[0]) {
                None => self.input.consume(available.len()),
                Some(i) => {
                    self.input.consume(i);
                    if self.fill(PACKET_HEADER_BYTES)? {
                        if let Some(h) = self
                            .peek_header()
                            .and_then(|h| decode_packet_header(&h).ok())
                        {
                            let found = self.input.pos();
                            let lost = if u64::from(h.sequence) >= self.expected {
                                self.lost_range(h.sequence)
                            } else {
                                match known {
                                    Some(seq) if u64::from(seq) >= self.expected => {
                                        self.lost_range(seq.saturating_add(1))
                                    }
                                    _ => self.empty_lost(),
                                }
                            };
                            self.expected = self.expected.max(u64::from(lost.end));
                            return Ok(self.damage(at, found - at, lost, what));
                        }
                        self.input.consume(1);
                    }
                }
            }
            let skipped = self.input.pos() - at;
            if skipped >= SCAN_REPORT_BYTES {
                let reason = format!(
                    "{what}; no valid packet header in the {skipped} bytes after it, \
                     still searching"
                );
                return Ok(self.damage(at, skipped, self.empty_lost(), reason));
            }
        }
    }

    /// Sequence numbers from the expected one up to (not including) `end`.
    fn lost_range(&self, end: u32) -> Range<u32> {
        let start = u32::try_from(self.expected).unwrap_or(u32::MAX);
        start..end.max(start)
    }

    /// An empty range at the expected sequence number: nothing known to be lost.
    fn empty_lost(&self) -> Range<u32> {
        let start = u32::try_from(self.expected).unwrap_or(u32::MAX);
        start..start
    }

    fn damage(&self, offset: u64, skipped: u64, lost: Range<u32>, reason: String) -> ReadEvent {
        ReadEvent::Damaged(Damage {
            offset,
            skipped_bytes: skipped,
            lost_sequences: lost,
            reason,
        })
    }
}

/// Reads a whole stream held in memory: its header and every event up to the end.
pub fn read_all(bytes: &[u8], limits: Limits) -> Result<(StreamHeader, Vec<ReadEvent>)> {
    let mut reader = ContainerReader::new(bytes, limits)?;
    let mut events = Vec::new();
    while let Some(event) = reader.next_event()? {
        events.push(event);
    }
    Ok((reader.header, events))
}
