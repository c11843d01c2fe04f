//! The reader's input buffer: pulls bytes from any `Read` (no seeking) and keeps the bytes not
//! yet consumed, so the parser can look ahead a packet and step forward one byte at a time.
//!
//! In: a byte source and requests of the form "make at least `n` bytes available". Out: the
//! available bytes as a slice, their absolute offset in the stream, and whether the source has
//! ended. The buffer only grows as far as the largest request (plus one read chunk), so its size
//! is bounded by whatever limit the caller checked before asking.

use std::io::{ErrorKind, Read};

/// Bytes asked of the source per read when less is missing.
const MIN_READ: usize = 8 * 1024;

/// Bytes asked of the source per read at most, so a large request grows the buffer gradually
/// and a stream that ends early never makes it allocate the whole announced size.
const MAX_READ: usize = 1024 * 1024;

/// Consumed bytes at the front are dropped once there are at least this many.
const COMPACT_AT: usize = 64 * 1024;

/// A forward-only window over a byte source.
pub(crate) struct Input<R: Read> {
    inner: R,
    buf: Vec<u8>,
    /// Index in `buf` of the first byte not yet consumed; never above `buf.len()`.
    start: usize,
    /// Absolute stream offset of `buf[start]`: every byte consumed so far.
    pos: u64,
    /// The source reported its end.
    eof: bool,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: Vec::new(),
            start: 0,
            pos: 0,
            eof: false,
        }
    }

    /// Stream offset of the first available byte (the number of bytes consumed).
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The bytes read from the source and not consumed yet.
    pub(crate) fn available(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    /// Drops up to `n` available bytes, advancing [`Input::pos`].
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.available().len());
        self.start += n;
        self.pos += n as u64;
    }

    /// Reads until at least `need` bytes are available. Returns `Ok(false)` when the source ends
    /// first (whatever it delivered stays available). Interrupted reads are retried and an
    /// `UnexpectedEof` error counts as the end of the source.
    pub(crate) fn fill(&mut self, need: usize) -> std::io::Result<bool> {
        while self.available().len() < need {
            if self.eof {
                return Ok(false);
            }
            self.compact();
            let missing = need - self.available().len();
            let chunk = missing.clamp(MIN_READ, MAX_READ);
            let old = self.buf.len();
            self.buf.resize(old + chunk, 0);
            let result = loop {
                let target = self.buf.get_mut(old..).unwrap_or(&mut []);
                match self.inner.read(target) {
                    Ok(n) => break Ok(n),
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == ErrorKind::UnexpectedEof => break Ok(0),
                    Err(e) => break Err(e),
                }
            };
            match result {
                Ok(n) => {
                    // A source that claims more than it was given room for is believed no further.
                    self.buf.truncate(old + n.min(chunk));
                    if n == 0 {
                        self.eof = true;
                    }
                }
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
        Ok(true)
    }

    /// Drops consumed bytes from the front when that frees enough to be worth the move.
    fn compact(&mut self) {
        if self.start > 0 && (self.start >= COMPACT_AT || self.start >= self.buf.len()) {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
    }

    /// Bytes the buffer has allocated, for tests that check nothing oversized was allocated.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives back the source and the bytes read from it but not consumed.
    pub(crate) fn into_parts(self) -> (R, Vec<u8>) {
        let rest = self.available().to_vec();
        (self.inner, rest)
    }
}
