//! Tests of the container's behaviour around its byte source and sink: failing writes and
//! reads, the writer's argument checks, and the periodic report while scanning long garbage.
//!
//! In: streams built by the writer, fed through sources and sinks that fail or never end. Out:
//! assertions only.

use std::io::{self, Read, Write};

use super::tests::{build, read_through, sample_header, small_packets};
use super::*;
use crate::error::{Error, Limits};

#[test]
fn writer_argument_checks() {
    let mut header = sample_header();
    header.version = 2;
    assert!(matches!(
        ContainerWriter::new(Vec::new(), &header).map(|_| ()),
        Err(Error::InvalidArgument(_))
    ));
    let header = StreamHeader::new(MediaKind::Video, 0, vec![0; 70_000]);
    assert!(matches!(
        ContainerWriter::new(Vec::new(), &header).map(|_| ()),
        Err(Error::InvalidArgument(m)) if m.contains("70000")
    ));
}

/// Accepts `room` bytes, then fails every write.
struct Failing {
    room: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_failures_are_reported_and_final() {
    let header = sample_header();
    let mut w = ContainerWriter::new(Failing { room: 30 }, &header).unwrap();
    match w.write_packet(true, &[1; 50]) {
        Err(Error::Io { context, .. }) => assert!(context.contains("packet 0"), "{context}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        w.write_packet(true, &[1]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.finish(b"").map(|_| ()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        ContainerWriter::new(Failing { room: 3 }, &header).map(|_| ()),
        Err(Error::Io { .. })
    ));
}

/// Fails every read after `room` bytes.
struct BrokenPipe<'a> {
    data: &'a [u8],
    room: usize,
}

impl Read for BrokenPipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "pipe closed"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.data.read(&mut buf[..n])
    }
}

#[test]
fn read_failures_are_io_errors_then_end() {
    let (bytes, _) = build(&sample_header(), &small_packets(), b"");
    let mut reader = ContainerReader::new(
        BrokenPipe {
            data: &bytes,
            room: 40,
        },
        Limits::default(),
    )
    .unwrap();
    let mut saw_error = false;
    for _ in 0..10 {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(Error::Io { context, .. }) => {
                assert!(context.contains("byte"), "{context}");
                saw_error = true;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(saw_error);
    assert_eq!(reader.next_event().unwrap(), None);
    let short = BrokenPipe {
        data: &bytes,
        room: 0,
    };
    assert!(matches!(
        ContainerReader::new(short, Limits::default()).map(|_| ()),
        Err(Error::Io { .. })
    ));
}

/// Endless zero bytes.
struct Zeros;

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }
}

#[test]
fn endless_garbage_is_reported_in_bounded_steps() {
    let header = sample_header().encode().unwrap();
    let mut reader = ContainerReader::new(header.chain(Zeros), Limits::default()).unwrap();
    for _ in 0..3 {
        match reader.next_event().unwrap() {
            Some(ReadEvent::Damaged(d)) => {
                assert!(d.reason.contains("still searching"), "{d}");
                assert!(d.skipped_bytes >= 16 * 1024 * 1024 && d.lost_sequences.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(reader.buffer_capacity() < 4 * 1024 * 1024);
    }
}

#[test]
fn long_garbage_before_a_packet_is_skipped() {
    let (bytes, ranges) = build(&sample_header(), &small_packets(), b"");
    let junk = vec![0x9E; 20 * 1024 * 1024];
    let spliced: Vec<u8> = [&bytes[..ranges[2].0], &junk, &bytes[ranges[2].0..]].concat();
    let out = read_through(&spliced[..], Limits::default()).unwrap();
    let seqs: Vec<u32> = out.packets().iter().map(|p| p.sequence).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    assert!(out.complete);
    let skipped: u64 = out.damage().iter().map(|d| d.skipped_bytes).sum();
    assert_eq!(skipped, junk.len() as u64);
}
