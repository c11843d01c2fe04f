//! Hostile and damaged input through the library: every single-bit flip and every
//! truncation of a small stream, forged headers, and garbage. Expected each time: a clear
//! error or a decode that names exactly the damaged packets and decodes all the others;
//! never a panic, never an allocation the header talked the decoder into.

mod common;

use common::{synthetic_picture, xorshift};
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::container::{
    read_all, ContainerWriter, MediaKind, ReadEvent, StreamHeader, FORMAT_VERSION,
};
use quanta::signal::PixelLayout;
use quanta::{Error, Limits};

fn small_stream() -> Vec<u8> {
    let picture = synthetic_picture(48, 32, PixelLayout::Rgb, 31);
    let config = ImageEncoderConfig {
        quality: 50,
        tile_size: 16,
        threads: 1,
        ..ImageEncoderConfig::default()
    };
    let mut out = Vec::new();
    encode_picture(&picture, &config, &mut out).unwrap();
    out
}

/// Byte ranges of every packet (start of sync word .. end of payload CRC) and the header.
fn layout(stream: &[u8]) -> (usize, Vec<(usize, usize)>) {
    let (_, events) = read_all(stream, Limits::default()).unwrap();
    let packets: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            ReadEvent::Packet(p) => {
                Some((p.offset as usize, p.offset as usize + 21 + p.payload.len()))
            }
            ReadEvent::Damaged(_) => None,
        })
        .collect();
    (packets[0].0, packets)
}

#[test]
fn every_single_bit_flip_is_detected_and_costs_only_its_packet() {
    let stream = small_stream();
    let clean = decode_picture(stream.as_slice(), &ImageDecodeOptions::default()).unwrap();
    assert!(clean.damage.is_empty());
    let (header_end, packets) = layout(&stream);
    let tiles = packets.len();
    assert_eq!(tiles, 6);
    // Flips counted by where they landed, to check below that the header, the data packets
    // and the end-of-stream packet together cover every byte of the stream exactly once.
    let (mut in_header, mut in_data, mut in_end) = (0usize, 0usize, 0usize);
    for bit in 0..stream.len() * 8 {
        let mut damaged = stream.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let byte = bit / 8;
        let result = decode_picture(damaged.as_slice(), &ImageDecodeOptions::default());
        if byte < header_end {
            // In the stream header: the header CRC (or magic/version check) refuses it.
            let err = result.expect_err("a flipped header bit must be refused");
            assert!(
                matches!(
                    err,
                    Error::NotQuanta(_) | Error::InvalidStream(_) | Error::Unsupported(_)
                ),
                "bit {bit}: {err}"
            );
            in_header += 1;
            continue;
        }
        let decoded = result.unwrap_or_else(|e| panic!("bit {bit}: {e}"));
        // Bytes after the last data packet belong to the end-of-stream packet.
        let hit = packets
            .iter()
            .position(|&(a, b)| (a..b).contains(&byte))
            .unwrap_or(tiles);
        if hit == tiles {
            assert!(byte >= packets[tiles - 1].1, "bit {bit} is in no packet");
        }
        assert!(
            !decoded.damage.is_empty(),
            "bit {bit} in packet {hit} went unnoticed"
        );
        if hit < tiles {
            // A data packet: exactly that tile is lost.
            assert_eq!(decoded.concealed_tiles, vec![hit], "bit {bit}");
            in_data += 1;
        } else {
            in_end += 1;
            // The end-of-stream packet: every tile decodes, the stream reads as truncated.
            assert!(decoded.concealed_tiles.is_empty(), "bit {bit}");
            assert!(!decoded.complete);
            assert_eq!(decoded.picture, clean.picture, "bit {bit}");
        }
    }
    // Every flip above was refused or reported (each branch asserts it); here the layout is
    // held to the stream: no byte between packets escaped the per-packet checks.
    let data_bytes: usize = packets.iter().map(|&(a, b)| b - a).sum();
    assert_eq!(in_header, header_end * 8, "header flips");
    assert_eq!(in_data, data_bytes * 8, "data packet flips");
    assert_eq!(
        in_end,
        (stream.len() - packets[tiles - 1].1) * 8,
        "end packet flips"
    );
    assert!(in_end > 0, "the stream ends with an end-of-stream packet");
}

#[test]
fn random_multi_byte_damage_never_panics() {
    let stream = small_stream();
    let mut seed = 0xfeed_u64;
    for _ in 0..3_000 {
        let mut damaged = stream.clone();
        let n = 1 + (xorshift(&mut seed) % 8) as usize;
        for _ in 0..n {
            let i = (xorshift(&mut seed) as usize) % damaged.len();
            damaged[i] = xorshift(&mut seed) as u8;
        }
        if xorshift(&mut seed) % 4 == 0 {
            let cut = (xorshift(&mut seed) as usize) % damaged.len();
            damaged.truncate(cut);
        }
        let _ = decode_picture(damaged.as_slice(), &ImageDecodeOptions::default());
    }
}

fn forged(version_byte: Option<u8>, transform: u8, params: Vec<u8>) -> Vec<u8> {
    let header = StreamHeader {
        version: FORMAT_VERSION,
        media: MediaKind::Image,
        transform,
        params,
    };
    let mut out = Vec::new();
    let writer = ContainerWriter::new(&mut out, &header).unwrap();
    writer.finish(&[]).unwrap();
    if let Some(v) = version_byte {
        out[4] = v;
    }
    out
}

fn valid_params() -> Vec<u8> {
    ImageEncoderConfig::default()
        .params_for(16, 16, PixelLayout::Rgb)
        .to_bytes()
}

#[test]
fn forged_headers_get_clear_errors() {
    let opts = ImageDecodeOptions::default();
    // Unknown version (the header CRC no longer matches either; the version is checked first).
    let err = decode_picture(forged(Some(9), 0, valid_params()).as_slice(), &opts).unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    // Unknown transform id.
    let err = decode_picture(forged(None, 200, valid_params()).as_slice(), &opts).unwrap_err();
    assert!(err.to_string().contains("transform id 200"), "{err}");
    // Parameters cut short, or with trailing bytes.
    let mut p = valid_params();
    p.truncate(20);
    let err = decode_picture(forged(None, 0, p).as_slice(), &opts).unwrap_err();
    assert!(err.to_string().contains("ends before"), "{err}");
    let mut p = valid_params();
    p.push(0);
    assert!(decode_picture(forged(None, 0, p).as_slice(), &opts).is_err());
    // Every field out of range.
    let base = valid_params();
    for (offset, value, what) in [
        (8usize, 7u8, "chroma sampling"),
        (9, 3, "tile size"),
        (12, 0x80, "flags"),
        (13, 0, "activity levels"),
        (13, 200, "activity levels"),
    ] {
        let mut p = base.clone();
        p[offset] = value;
        if offset == 9 {
            p[10] = 0;
        }
        let err = decode_picture(forged(None, 0, p).as_slice(), &opts).unwrap_err();
        assert!(matches!(err, Error::InvalidStream(_)), "{what}: {err}");
    }
    // 65535 x 65535 is refused by the limits before anything is allocated.
    let mut p = base.clone();
    p[0..4].copy_from_slice(&65_535u32.to_le_bytes());
    p[4..8].copy_from_slice(&65_535u32.to_le_bytes());
    let err = decode_picture(forged(None, 0, p).as_slice(), &opts).unwrap_err();
    assert!(matches!(err, Error::Limit { .. }), "{err}");
    // A stream of another media kind is not an image.
    let header = StreamHeader {
        version: FORMAT_VERSION,
        media: MediaKind::Video,
        transform: 0,
        params: vec![],
    };
    let mut out = Vec::new();
    ContainerWriter::new(&mut out, &header)
        .unwrap()
        .finish(&[])
        .unwrap();
    let err = decode_picture(out.as_slice(), &opts).unwrap_err();
    assert!(err.to_string().contains("not an image"), "{err}");
}

#[test]
fn tighter_limits_are_honoured() {
    let stream = small_stream();
    let limits = Limits {
        max_dimension: 40,
        ..Limits::default()
    };
    let err = decode_picture(
        stream.as_slice(),
        &ImageDecodeOptions { threads: 1, limits },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                what: "picture width",
                ..
            }
        ),
        "{err}"
    );
}
