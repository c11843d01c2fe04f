//! Every transform member through the image codec: streams decode to the encoder's
//! reconstruction, and the integer and multiplierless members' decoded pixels match golden
//! hashes, so they decode bit-exactly on any machine and thread count.

mod common;

use common::synthetic_picture;
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use quanta::media::y4m::{ChromaFormat, Y4mHeader, YuvFrame};
use quanta::signal::PixelLayout;
use quanta::transform::TransformId;
use quanta::Limits;

/// CRC32 of the decoded pixels of the test picture coded with each member at quality 60.
/// Regenerate only for a deliberate change of a decoder (and say so in the commit).
const GOLDEN: [(TransformId, u32); 9] = [
    (TransformId::Dct, 0x9f94d34d),
    (TransformId::DctFast, 0x77726151),
    (TransformId::H264, 0xe3930a78),
    (TransformId::Hevc, 0x95699366),
    (TransformId::Rdct, 0x078fa900),
    (TransformId::Bas2008, 0x2d13ad73),
    (TransformId::Sdct, 0x690dbb9d),
    (TransformId::Mrdct, 0xefe22f28),
    (TransformId::Wht, 0xbe52fff1),
];

#[test]
fn every_member_decodes_exactly_and_matches_its_golden_hash() {
    let picture = synthetic_picture(96, 64, PixelLayout::Rgb, 77);
    check_golden(&GOLDEN, [1, 3], "decoded", |id, threads| {
        let config = ImageEncoderConfig {
            quality: 60,
            transform: id,
            threads,
            tile_size: 32,
            reconstruct: true,
            ..ImageEncoderConfig::default()
        };
        let mut stream = Vec::new();
        let outcome = encode_picture(&picture, &config, &mut stream).unwrap();
        let decoded = decode_picture(
            stream.as_slice(),
            &ImageDecodeOptions {
                threads,
                ..ImageDecodeOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            outcome.reconstruction.as_ref(),
            Some(&decoded.picture),
            "{id:?}"
        );
        crc32fast::hash(&decoded.picture.data)
    });
}

/// Runs `hash_of(member, threads)` for every golden member at both thread counts and fails,
/// printing the table as it is now, unless every hash equals the golden one.
fn check_golden(
    golden: &[(TransformId, u32)],
    threads: [usize; 2],
    what: &str,
    mut hash_of: impl FnMut(TransformId, usize) -> u32,
) {
    let mut report = String::new();
    let mut mismatches = 0;
    for &(id, expected) in golden {
        for t in threads {
            let hash = hash_of(id, t);
            if t == threads[0] {
                report.push_str(&format!("    (TransformId::{id:?}, {hash:#010x}),\n"));
            }
            mismatches += (hash != expected) as usize;
        }
    }
    assert_eq!(
        mismatches, 0,
        "{what} hashes differ from the golden ones; now:\n{report}"
    );
}

/// CRC32 of the decoded frames of the test clip coded with each member at quality 60.
/// Regenerate only for a deliberate change of the video encoder's decisions or of the
/// decoder (and say so in the commit).
const VIDEO_GOLDEN: [(TransformId, u32); 9] = [
    (TransformId::Dct, 0x160022b4),
    (TransformId::DctFast, 0x8b2beaa8),
    (TransformId::H264, 0x57efeace),
    (TransformId::Hevc, 0x87fb457a),
    (TransformId::Rdct, 0x968e9c4a),
    (TransformId::Bas2008, 0x1095e25b),
    (TransformId::Sdct, 0xd967c89b),
    (TransformId::Mrdct, 0x34e3a3d3),
    (TransformId::Wht, 0x813084b9),
];

/// Five 4:2:0 frames of a texture drifting by (2, 1) samples per frame.
fn drifting_clip(w: usize, h: usize) -> Vec<YuvFrame> {
    (0..5)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let s = if p == 0 { 0 } else { 1 };
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let gx = ((x << s) + 2 * f) as f64;
                        let gy = ((y << s) + f) as f64;
                        let v =
                            128.0 + 70.0 * (gx * 0.23).sin() * (gy * 0.17).cos() + 10.0 * p as f64;
                        plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

#[test]
fn every_member_codes_video_exactly_and_matches_its_golden_hash() {
    let (w, h) = (48, 32);
    let frames = drifting_clip(w, h);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    check_golden(&VIDEO_GOLDEN, [1, 2], "decoded video", |id, threads| {
        let config = VideoEncoderConfig {
            quality: 60,
            transform: id,
            threads,
            slice_rows: 1,
            ..VideoEncoderConfig::default()
        };
        let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
        let mut recon = Vec::new();
        for f in &frames {
            enc.encode_frame(f).unwrap();
            recon.push(enc.reconstruction().unwrap().clone());
        }
        let stream = enc.finish().unwrap().0;
        let mut dec =
            VideoStreamDecoder::new(stream.as_slice(), Limits::default(), threads).unwrap();
        assert_eq!(dec.params().transform, id);
        let mut crc = crc32fast::Hasher::new();
        for expected_frame in &recon {
            let got = dec.next_frame().unwrap().expect("a frame per input frame");
            assert!(!got.concealed, "{id:?}");
            assert_eq!(&got.frame, expected_frame, "{id:?}: decoder != encoder");
            for plane in &got.frame.planes {
                crc.update(&plane.data);
            }
        }
        crc.finalize()
    });
}
