//! Tests of the reader on damaged input: every single-bit flip and every truncation of a small
//! stream, random garbage, and random mutations of a valid stream.
//!
//! In: streams built by the writer, then damaged. Out: assertions that the reader never panics
//! or hangs, reports the damage, and still delivers every packet the damage did not touch.

use super::tests::{build, read_through, sample_header, small_packets, OneByte, XorShift};
use super::*;
use crate::error::{Error, Limits};

#[test]
fn every_single_bit_flip_is_caught_and_spares_other_packets() {
    let header = sample_header();
    let packets = small_packets();
    let (bytes, ranges) = build(&header, &packets, b"end!");
    let hlen = header.encoded_len();
    for bit in 0..bytes.len() * 8 {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let at = bit / 8;
        let result = read_through(&damaged[..], Limits::default());
        if at < hlen {
            assert!(result.is_err(), "flip in header byte {at} not caught");
            continue;
        }
        let out = result.unwrap_or_else(|e| panic!("flip at byte {at}: {e}"));
        let damage = out.damage();
        assert!(!damage.is_empty(), "flip at byte {at} not reported");
        let hit = ranges.iter().position(|&(s, e)| (s..e).contains(&at));
        let expected: Vec<(u32, &Vec<u8>)> = packets
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != hit)
            .map(|(i, (_, p))| (i as u32, p))
            .collect();
        let got: Vec<(u32, &Vec<u8>)> = out
            .packets()
            .iter()
            .map(|p| (p.sequence, &p.payload))
            .collect();
        assert_eq!(got, expected, "flip at byte {at}");
        for p in out.packets() {
            assert_eq!(p.offset as usize, ranges[p.sequence as usize].0);
        }
        match hit {
            Some(i) => {
                assert_eq!(damage.len(), 1, "flip at byte {at}: {damage:?}");
                assert_eq!(damage[0].lost_sequences, i as u32..i as u32 + 1);
                assert_eq!(damage[0].offset as usize, ranges[i].0);
                assert_eq!(damage[0].skipped_bytes as usize, ranges[i].1 - ranges[i].0);
                assert!(out.complete);
            }
            None => {
                // The flip is in the end-of-stream packet: the stream reads as truncated.
                assert_eq!(damage.len(), 1, "flip at byte {at}: {damage:?}");
                assert!(damage[0].is_truncation(), "{}", damage[0]);
                assert!(!out.complete);
            }
        }
    }
}

#[test]
fn every_truncation_point_delivers_the_complete_packets() {
    let header = sample_header();
    let packets = small_packets();
    let (bytes, ranges) = build(&header, &packets, b"end!");
    let hlen = header.encoded_len();
    for cut in 0..=bytes.len() {
        for one_byte in [false, true] {
            let part = &bytes[..cut];
            let result = if one_byte {
                read_through(OneByte(part), Limits::default())
            } else {
                read_through(part, Limits::default())
            };
            if cut < hlen {
                match result {
                    Err(Error::NotQuanta(_)) => assert_eq!(cut, 0),
                    Err(Error::InvalidStream(m)) => assert!(m.contains("truncated"), "{m}"),
                    Err(e) => panic!("cut at {cut}: {e}"),
                    Ok(_) => panic!("cut at {cut} inside the header accepted"),
                }
                continue;
            }
            let out = result.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let whole = ranges.iter().filter(|&&(_, e)| e <= cut).count();
            let got: Vec<&Vec<u8>> = out.packets().iter().map(|p| &p.payload).collect();
            let want: Vec<&Vec<u8>> = packets.iter().take(whole).map(|(_, p)| p).collect();
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(out.bytes_read, cut as u64);
            if cut == bytes.len() {
                assert!(out.complete && out.damage().is_empty());
            } else {
                let damage = out.damage();
                assert_eq!(damage.len(), 1, "cut at {cut}: {damage:?}");
                assert!(damage[0].is_truncation(), "{}", damage[0]);
                assert!(!out.complete);
                assert!(matches!(out.events.last(), Some(ReadEvent::Damaged(_))));
            }
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let header = sample_header().encode().unwrap();
    for round in 0..10_000 {
        let len = rng.below(600) as usize;
        let mut data = rng.bytes(len);
        if round % 3 == 0 {
            data.splice(0..0, header.iter().copied());
        }
        if round % 5 == 0 {
            // Sprinkle sync words so the header-checking path runs often.
            for _ in 0..rng.below(8) {
                let at = rng.below(data.len() as u64 + 1) as usize;
                data.splice(at..at, SYNC);
            }
        }
        let _ = read_through(&data[..], Limits::default());
        let _ = read_through(OneByte(&data[..]), Limits::default());
        let _ = summarize(&data[..], Limits::default());
    }
}

#[test]
fn random_mutations_never_yield_false_packets() {
    let mut rng = XorShift(0x0DDB_A11C_AFE0_F00D);
    let header = sample_header();
    let packets: Vec<(bool, Vec<u8>)> = (0..12)
        .map(|i| {
            let n = rng.below(60) as usize;
            (i % 4 == 0, rng.bytes(n))
        })
        .collect();
    let (bytes, _) = build(&header, &packets, b"fin");
    let hlen = header.encoded_len();
    let limits = Limits {
        max_packet_bytes: 4096,
        ..Limits::default()
    };
    for _ in 0..20_000 {
        let mut data = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = hlen + rng.below((data.len() - hlen) as u64) as usize;
            match rng.below(4) {
                0 => data[at] ^= 1 << rng.below(8),
                1 => {
                    let n = (rng.below(30) as usize).min(data.len() - at);
                    data.drain(at..at + n);
                }
                2 => {
                    let n = rng.below(30) as usize;
                    let junk = rng.bytes(n);
                    data.splice(at..at, junk);
                }
                _ => {
                    let from = hlen + rng.below((bytes.len() - hlen) as u64) as usize;
                    let n = (rng.below(80) as usize).min(bytes.len() - from);
                    data.splice(at..at, bytes[from..from + n].iter().copied());
                }
            }
            if data.len() <= hlen {
                break;
            }
        }
        let out = read_through(&data[..], limits).expect("header is untouched");
        let mut last = None;
        for p in out.packets() {
            let (key, payload) = &packets[p.sequence as usize];
            assert_eq!((p.keyframe, &p.payload), (*key, payload));
            assert!(last < Some(p.sequence), "packets out of order");
            last = Some(p.sequence);
        }
        assert!(out.complete || out.damage().iter().any(|d| d.is_truncation()));
    }
}
