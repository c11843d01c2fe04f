//! Tests of the container on well-formed input: round trips, header validation, limits, the
//! writer's argument checks, sequence gaps and the summary. Also the helpers the damage tests
//! share (stream builders, odd readers, a seeded generator).
//!
//! In: streams built by [`ContainerWriter`] or by hand. Out: assertions only.

use std::io::{self, Read};

use super::*;
use crate::error::{Error, Limits};

/// A small seeded xorshift64 generator for reproducible test data.
pub(super) struct XorShift(pub u64);

impl XorShift {
    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(super) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

pub(super) fn sample_header() -> StreamHeader {
    StreamHeader::new(MediaKind::Audio, 7, vec![1, 2, 3, 4, 5])
}

/// Writes a stream; returns its bytes and each data packet's (offset, end) byte range.
pub(super) fn build(
    header: &StreamHeader,
    packets: &[(bool, Vec<u8>)],
    end: &[u8],
) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut w = ContainerWriter::new(Vec::new(), header).expect("header");
    let mut ranges = Vec::new();
    for (key, payload) in packets {
        let start = w.bytes_written() as usize;
        w.write_packet(*key, payload).expect("packet");
        ranges.push((start, w.bytes_written() as usize));
    }
    (w.finish(end).expect("finish"), ranges)
}

/// Four packets of about 20 bytes with distinct contents.
pub(super) fn small_packets() -> Vec<(bool, Vec<u8>)> {
    (0..4u8)
        .map(|i| {
            (
                i % 2 == 0,
                (0..18 + i).map(|j| j.wrapping_mul(31) ^ i).collect(),
            )
        })
        .collect()
}

/// Everything a reader produced: header, events, completeness, end payload.
pub(super) struct Outcome {
    pub events: Vec<ReadEvent>,
    pub complete: bool,
    pub end_payload: Option<Vec<u8>>,
    pub bytes_read: u64,
}

impl Outcome {
    pub(super) fn packets(&self) -> Vec<&Packet> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Packet(p) => Some(p),
                ReadEvent::Damaged(_) => None,
            })
            .collect()
    }

    pub(super) fn damage(&self) -> Vec<&Damage> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Damaged(d) => Some(d),
                ReadEvent::Packet(_) => None,
            })
            .collect()
    }
}

/// Reads a stream to its end, failing the test if it produces absurdly many events.
pub(super) fn read_through<R: Read>(r: R, limits: Limits) -> crate::error::Result<Outcome> {
    let mut reader = ContainerReader::new(r, limits)?;
    let mut events = Vec::new();
    while let Some(e) = reader.next_event()? {
        events.push(e);
        assert!(events.len() < 1_000_000, "reader does not stop");
    }
    assert_eq!(reader.next_event()?, None, "Ok(None) must be final");
    Ok(Outcome {
        events,
        complete: reader.is_complete(),
        end_payload: reader.end_payload().map(<[u8]>::to_vec),
        bytes_read: reader.bytes_read(),
    })
}

/// Hands out at most one byte per read.
pub(super) struct OneByte<R>(pub R);

impl<R: Read> Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match buf.first_mut() {
            Some(slot) => self.0.read(std::slice::from_mut(slot)),
            None => Ok(0),
        }
    }
}

/// Counts the bytes pulled through it.
struct Counting<R> {
    inner: R,
    pulled: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pulled += n as u64;
        Ok(n)
    }
}

fn check_round_trip(bytes: &[u8], out: &Outcome, packets: &[(bool, Vec<u8>)], end: &[u8]) {
    assert!(out.damage().is_empty(), "{:?}", out.damage());
    let got = out.packets();
    assert_eq!(got.len(), packets.len());
    for (i, (p, (key, payload))) in got.iter().zip(packets).enumerate() {
        assert_eq!(p.sequence as usize, i);
        assert_eq!(p.keyframe, *key);
        assert_eq!(&p.payload, payload);
        assert_eq!(
            bytes.get(p.offset as usize..p.offset as usize + 4),
            Some(&SYNC[..])
        );
    }
    assert!(out.complete);
    assert_eq!(out.end_payload.as_deref(), Some(end));
    assert_eq!(out.bytes_read, bytes.len() as u64);
}

fn varied_packets() -> Vec<(bool, Vec<u8>)> {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    vec![
        (true, rng.bytes(20)),
        (false, Vec::new()),
        (false, rng.bytes(1)),
        (true, rng.bytes(100_000)),
        (false, SYNC.repeat(10)),
        (true, Vec::new()),
    ]
}

#[test]
fn round_trip_header_and_packets() {
    let header = sample_header();
    let packets = varied_packets();
    let end = b"totals: 6 packets".to_vec();
    let mut w = ContainerWriter::new(Vec::new(), &header).unwrap();
    assert_eq!(w.bytes_written(), header.encoded_len() as u64);
    for (key, payload) in &packets {
        w.write_packet(*key, payload).unwrap();
    }
    assert_eq!(w.packets_written(), 6);
    let written = w.bytes_written();
    let bytes = w.finish(&end).unwrap();
    let expected_len = header.encoded_len()
        + packets.iter().map(|(_, p)| p.len()).sum::<usize>()
        + 7 * PACKET_OVERHEAD_BYTES
        + end.len();
    assert_eq!(bytes.len(), expected_len);
    assert_eq!(
        written as usize + PACKET_OVERHEAD_BYTES + end.len(),
        bytes.len()
    );

    let reader = ContainerReader::new(&bytes[..], Limits::default()).unwrap();
    assert_eq!(reader.header(), &header);
    let out = read_through(&bytes[..], Limits::default()).unwrap();
    check_round_trip(&bytes, &out, &packets, &end);

    let (h, events) = read_all(&bytes, Limits::default()).unwrap();
    assert_eq!(h, header);
    assert_eq!(events, out.events);
}

#[test]
fn one_byte_at_a_time_reader_works() {
    let packets = varied_packets();
    let (bytes, _) = build(&sample_header(), &packets, b"end");
    let out = read_through(OneByte(&bytes[..]), Limits::default()).unwrap();
    check_round_trip(&bytes, &out, &packets, b"end");
}

#[test]
fn every_media_kind_and_empty_stream() {
    for media in [MediaKind::Image, MediaKind::Audio, MediaKind::Video] {
        assert_eq!(MediaKind::from_u8(media.to_u8()).unwrap(), media);
        let header = StreamHeader::new(media, 255, Vec::new());
        let (bytes, _) = build(&header, &[], b"");
        let out = read_through(&bytes[..], Limits::default()).unwrap();
        assert!(out.events.is_empty() && out.complete);
        assert_eq!(out.end_payload.as_deref(), Some(&b""[..]));
        assert_eq!(
            ContainerReader::new(&bytes[..], Limits::default())
                .unwrap()
                .header(),
            &header
        );
    }
    for code in [0u8, 4, 200] {
        match MediaKind::from_u8(code) {
            Err(Error::Unsupported(m)) => assert!(m.contains(&code.to_string()), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

/// Rewrites byte `at` of a stream header and recomputes its CRC.
fn patch_header(bytes: &mut [u8], header_len: usize, at: usize, value: u8) {
    bytes[at] = value;
    let crc = crc32fast::hash(&bytes[..header_len - 4]);
    bytes[header_len - 4..header_len].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn header_errors() {
    let header = sample_header();
    let (good, _) = build(&header, &small_packets(), b"");
    let hlen = header.encoded_len();
    let open = |b: &[u8]| ContainerReader::new(b, Limits::default()).map(|_| ());

    assert!(matches!(open(&[]), Err(Error::NotQuanta(m)) if m.contains("empty")));
    assert!(matches!(open(b"RIFF\0\0\0\0WAVE"), Err(Error::NotQuanta(m)) if m.contains("QNTA")));
    assert!(matches!(open(b"X"), Err(Error::NotQuanta(_))));
    assert!(matches!(open(b"QN"), Err(Error::InvalidStream(m)) if m.contains("truncated")));

    let mut v2 = good.clone();
    patch_header(&mut v2, hlen, 4, 2);
    assert!(matches!(open(&v2), Err(Error::Unsupported(m)) if m.contains("version 2")));
    assert!(matches!(open(&v2[..6]), Err(Error::Unsupported(_))));

    let mut bad_crc = good.clone();
    bad_crc[hlen - 1] ^= 0x40;
    assert!(matches!(open(&bad_crc), Err(Error::InvalidStream(m)) if m.contains("CRC")));

    let mut media = good.clone();
    patch_header(&mut media, hlen, 5, 9);
    assert!(matches!(open(&media), Err(Error::Unsupported(m)) if m.contains("media kind 9")));

    let mut reserved = good.clone();
    patch_header(&mut reserved, hlen, 7, 1);
    assert!(matches!(open(&reserved), Err(Error::InvalidStream(m)) if m.contains("reserved")));

    for cut in 4..hlen {
        assert!(
            matches!(open(&good[..cut]), Err(Error::InvalidStream(m)) if m.contains("truncated")),
            "cut at {cut}"
        );
    }
}

#[test]
fn oversized_header_is_refused_before_reading_it() {
    let header = StreamHeader::new(MediaKind::Image, 1, vec![0xAB; 60_000]);
    let (bytes, _) = build(&header, &[], b"");
    let limits = Limits {
        max_header_bytes: 1_000,
        ..Limits::default()
    };
    let mut src = Counting {
        inner: &bytes[..],
        pulled: 0,
    };
    match ContainerReader::new(&mut src, limits) {
        Err(Error::Limit { value, limit, .. }) => assert_eq!((value, limit), (60_000, 1_000)),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(src.pulled <= 8 * 1024, "pulled {} bytes", src.pulled);
    assert!(ContainerReader::new(&bytes[..], Limits::default()).is_ok());
}

#[test]
fn oversized_packet_is_reported_and_skipped() {
    let mut packets = small_packets();
    packets[1].1 = vec![0x55; 1_000];
    let (bytes, _) = build(&sample_header(), &packets, b"e");
    let limits = Limits {
        max_packet_bytes: 100,
        ..Limits::default()
    };
    let out = read_through(&bytes[..], limits).unwrap();
    let damage = out.damage();
    assert_eq!(damage.len(), 1);
    assert!(damage[0].reason.contains("over the limit"), "{}", damage[0]);
    assert_eq!(damage[0].lost_sequences, 1..2);
    let seqs: Vec<u32> = out.packets().iter().map(|p| p.sequence).collect();
    assert_eq!(seqs, [0, 2, 3]);
    assert!(out.complete);
}

#[test]
fn announced_length_is_not_allocated_up_front() {
    let header = sample_header();
    let mut bytes = header.encode().unwrap();
    // A CRC-valid header announcing 4 GB, over the default limit: refused, nothing read.
    bytes.extend_from_slice(&encode_packet_header(0, 0, u32::MAX - 8));
    let mut reader = ContainerReader::new(&bytes[..], Limits::default()).unwrap();
    match reader.next_event().unwrap() {
        Some(ReadEvent::Damaged(d)) => {
            assert!(d.reason.contains("over the limit"), "{d}");
            assert!(d.is_truncation());
        }
        other => panic!("{other:?}"),
    }
    assert!(reader.buffer_capacity() < 64 * 1024);
    // Within a huge limit but cut short: the buffer grows only with the bytes that arrive.
    bytes.extend_from_slice(&[7; 5_000]);
    let limits = Limits {
        max_packet_bytes: u32::MAX,
        ..Limits::default()
    };
    let mut reader = ContainerReader::new(&bytes[..], limits).unwrap();
    match reader.next_event().unwrap() {
        Some(ReadEvent::Damaged(d)) => {
            assert!(d.is_truncation() && d.reason.contains("cut short"), "{d}");
            assert_eq!(d.lost_sequences, 0..1);
        }
        other => panic!("{other:?}"),
    }
    assert!(reader.buffer_capacity() < 4 * 1024 * 1024);
    assert_eq!(reader.next_event().unwrap(), None);
}

#[test]
fn sequence_gap_is_reported_before_the_packet() {
    let (bytes, ranges) = build(&sample_header(), &small_packets(), b"");
    let (a, b) = ranges[1];
    let cut: Vec<u8> = [&bytes[..a], &bytes[b..]].concat();
    let out = read_through(&cut[..], Limits::default()).unwrap();
    match &out.events[1] {
        ReadEvent::Damaged(d) => {
            assert_eq!(d.lost_sequences, 1..2);
            assert_eq!((d.offset, d.skipped_bytes), (a as u64, 0));
            assert!(d.reason.contains("sequence gap"), "{d}");
            assert!(d.to_string().contains("packet 1 lost"), "{d}");
        }
        other => panic!("{other:?}"),
    }
    let seqs: Vec<u32> = out.packets().iter().map(|p| p.sequence).collect();
    assert_eq!(seqs, [0, 2, 3]);
    assert!(out.complete);
}

#[test]
fn duplicate_packets_and_unknown_flags_are_damage() {
    let (bytes, ranges) = build(&sample_header(), &small_packets(), b"");
    let (a, b) = ranges[1];
    let doubled: Vec<u8> = [&bytes[..b], &bytes[a..]].concat();
    let out = read_through(&doubled[..], Limits::default()).unwrap();
    assert_eq!(out.damage().len(), 1);
    assert!(out.damage()[0].reason.contains("out of order"));
    assert_eq!(out.packets().len(), 4);
    assert!(out.complete);

    let mut flagged = bytes.clone();
    let bad = encode_packet_header(2, 0x84, (ranges[2].1 - ranges[2].0 - 21) as u32);
    flagged[ranges[2].0..ranges[2].0 + 17].copy_from_slice(&bad);
    let out = read_through(&flagged[..], Limits::default()).unwrap();
    assert_eq!(out.damage().len(), 1);
    assert!(out.damage()[0].reason.contains("flag bits 0x84"));
    assert_eq!(out.damage()[0].lost_sequences, 2..3);
    assert_eq!(out.packets().len(), 3);
}

#[test]
fn trailing_bytes_after_the_end_packet_are_left_alone() {
    let (mut bytes, _) = build(&sample_header(), &small_packets(), b"tot");
    let len = bytes.len();
    bytes.extend_from_slice(b"next stream");
    let mut reader = ContainerReader::new(&bytes[..], Limits::default()).unwrap();
    while reader.next_event().unwrap().is_some() {}
    assert!(reader.is_complete());
    assert_eq!(reader.end_payload(), Some(&b"tot"[..]));
    assert_eq!(reader.bytes_read(), len as u64);
    let (_, rest) = reader.into_parts();
    assert_eq!(rest, b"next stream");
}

#[test]
fn summarize_counts_packets_damage_and_completeness() {
    let packets = varied_packets();
    let (bytes, ranges) = build(&sample_header(), &packets, b"sum");
    let s = summarize(&bytes[..], Limits::default()).unwrap();
    assert_eq!(s.header, sample_header());
    assert_eq!((s.packets, s.keyframes), (6, 3));
    assert_eq!(
        s.payload_bytes,
        packets.iter().map(|(_, p)| p.len() as u64).sum::<u64>()
    );
    assert_eq!((s.min_packet_bytes, s.max_packet_bytes), (0, 100_000));
    assert_eq!(s.total_bytes, bytes.len() as u64);
    assert!(s.complete && s.damaged.is_empty() && s.damage_count == 0);
    assert_eq!(s.end_payload.as_deref(), Some(&b"sum"[..]));

    let mut hit = bytes.clone();
    hit[ranges[3].0 + 500] ^= 1;
    let cut = &hit[..ranges[5].0 + 10];
    let s = summarize(cut, Limits::default()).unwrap();
    assert_eq!(s.packets, 4);
    assert_eq!(s.damage_count, 2);
    assert_eq!(s.lost_packets, 1); // packet 5 is cut inside its header: not known lost
    assert!(s.damaged[0]
        .reason
        .contains("payload CRC mismatch in packet 3"));
    assert!(s.damaged[1].is_truncation());
    assert!(!s.complete && s.end_payload.is_none());
    assert!(matches!(
        summarize(&b"nope"[..], Limits::default()),
        Err(Error::NotQuanta(_))
    ));
}

#[test]
fn byte_layout_matches_format_md() {
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    let header = StreamHeader::new(MediaKind::Image, 3, vec![0xAA]);
    let (bytes, _) = build(&header, &[(true, vec![1, 2])], b"");
    let le = |v: u32| v.to_le_bytes();
    let mut want = vec![b'Q', b'N', b'T', b'A', 1, 1, 3, 0, 1, 0, 0xAA];
    want.extend_from_slice(&le(crc32fast::hash(&want)));
    let p0 = want.len();
    want.extend_from_slice(&[0x9E, b'Q', b'P', b'K', 0, 0, 0, 0, 0x01, 2, 0, 0, 0]);
    want.extend_from_slice(&le(crc32fast::hash(&want[p0..])));
    want.extend_from_slice(&[1, 2]);
    want.extend_from_slice(&le(crc32fast::hash(
        &[&want[p0..p0 + 13], &[1, 2]].concat(),
    )));
    let p1 = want.len();
    want.extend_from_slice(&[0x9E, b'Q', b'P', b'K', 1, 0, 0, 0, 0x02, 0, 0, 0, 0]);
    want.extend_from_slice(&le(crc32fast::hash(&want[p1..])));
    want.extend_from_slice(&le(crc32fast::hash(&want[p1..p1 + 13])));
    assert_eq!(bytes, want);
}

#[test]
fn a_payload_spliced_under_another_header_is_rejected() {
    let packets: Vec<(bool, Vec<u8>)> = (0..4u8).map(|i| (false, vec![i; 5])).collect();
    let (bytes, ranges) = build(&sample_header(), &packets, b"");
    // Packet 1's header, then packet 2's payload and CRC: lengths and flags agree.
    let spliced: Vec<u8> = [&bytes[..ranges[1].0 + 17], &bytes[ranges[2].0 + 17..]].concat();
    let out = read_through(&spliced[..], Limits::default()).unwrap();
    let got: Vec<(u32, &Vec<u8>)> = out
        .packets()
        .iter()
        .map(|p| (p.sequence, &p.payload))
        .collect();
    assert_eq!(got, [(0, &packets[0].1), (3, &packets[3].1)]);
    assert_eq!(out.damage().len(), 1);
    assert!(out.damage()[0]
        .reason
        .contains("payload CRC mismatch in packet 1"));
    assert_eq!(out.damage()[0].lost_sequences, 1..3);
    assert!(out.complete);
}
