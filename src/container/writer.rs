//! The container writer: lays down the stream header, then one numbered, checksummed packet per
//! codec payload, then the end-of-stream packet that marks the stream as complete.
//!
//! In: a [`StreamHeader`], payloads with their keyframe flag, and a final end payload (for
//! example totals). Out: the bytes of a format-version-1 stream, written in order to any
//! `Write`. Nothing is seeked or rewritten, so the output can be a pipe. The writer makes
//! several small writes per packet; wrap an unbuffered file or socket in a `BufWriter`.

use std::io::Write;

use super::unit::packet_framing;
use super::{StreamHeader, FLAG_END, FLAG_KEYFRAME, PACKET_OVERHEAD_BYTES};
use crate::error::{Error, Result};

/// Writes a quanta stream. A writer dropped without [`ContainerWriter::finish`] leaves a stream
/// that readers report as truncated.
pub struct ContainerWriter<W: Write> {
    inner: W,
    bytes: u64,
    packets: u32,
    /// Set when a write failed part-way; the stream can no longer be continued.
    failed: bool,
}

impl<W: Write> ContainerWriter<W> {
    /// Writes the stream header. Fails with [`Error::InvalidArgument`] for a version other than
    /// [`super::FORMAT_VERSION`] or a parameter block over 65 535 bytes, [`Error::Io`] if the
    /// write fails.
    pub fn new(mut inner: W, header: &StreamHeader) -> Result<ContainerWriter<W>> {
        let bytes = header.encode()?;
        inner
            .write_all(&bytes)
            .map_err(|e| Error::io("cannot write the stream header", e))?;
        Ok(ContainerWriter {
            inner,
            bytes: bytes.len() as u64,
            packets: 0,
            failed: false,
        })
    }

    /// Writes one packet with the next sequence number. Payloads are limited to
    /// `u32::MAX` bytes by the format, and a stream holds at most `u32::MAX` data packets;
    /// readers refuse payloads over their `Limits::max_packet_bytes`.
    pub fn write_packet(&mut self, keyframe: bool, payload: &[u8]) -> Result<()> {
        if self.packets == u32::MAX {
            return Err(Error::InvalidArgument(format!(
                "a stream holds at most {} data packets",
                u32::MAX
            )));
        }
        let flags = if keyframe { FLAG_KEYFRAME } else { 0 };
        self.emit(flags, payload)?;
        self.packets += 1;
        Ok(())
    }

    /// Writes the end-of-stream packet carrying `end_payload`, flushes, and returns the inner
    /// writer.
    pub fn finish(mut self, end_payload: &[u8]) -> Result<W> {
        self.emit(FLAG_END, end_payload)?;
        self.inner
            .flush()
            .map_err(|e| Error::io("cannot flush the finished stream", e))?;
        Ok(self.inner)
    }

    /// Bytes written so far, header included.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Data packets written so far (the end-of-stream packet is not counted).
    pub fn packets_written(&self) -> u32 {
        self.packets
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Writes one packet with sequence number `self.packets` and the given flags.
    fn emit(&mut self, flags: u8, payload: &[u8]) -> Result<()> {
        let sequence = self.packets;
        if self.failed {
            return Err(Error::InvalidArgument(format!(
                "cannot write packet {sequence}: an earlier write to this stream failed"
            )));
        }
        let (header, crc) = packet_framing(sequence, flags, payload)?;
        let offset = self.bytes;
        let result = self
            .inner
            .write_all(&header)
            .and_then(|()| self.inner.write_all(payload))
            .and_then(|()| self.inner.write_all(&crc));
        if let Err(e) = result {
            self.failed = true;
            return Err(Error::io(
                format!("cannot write packet {sequence} at byte {offset}"),
                e,
            ));
        }
        self.bytes += (PACKET_OVERHEAD_BYTES + payload.len()) as u64;
        Ok(())
    }
}
