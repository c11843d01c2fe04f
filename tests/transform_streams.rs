//! Every transform member through the image codec: streams decode to the encoder's
//! reconstruction, and the integer and multiplierless members' decoded pixels match golden
//! hashes, so they decode bit-exactly on any machine and thread count.

mod common;

use common::synthetic_picture;
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::signal::PixelLayout;
use quanta::transform::TransformId;

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
    let mut report = String::new();
    let mut mismatches = 0;
    for (id, expected) in GOLDEN {
        for threads in [1, 3] {
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
            let hash = crc32fast::hash(&decoded.picture.data);
            if threads == 1 {
                report.push_str(&format!("    (TransformId::{id:?}, {hash:#010x}),\n"));
            }
            if hash != expected {
                mismatches += 1;
            }
        }
    }
    assert_eq!(
        mismatches, 0,
        "decoded hashes differ from the golden ones; now:\n{report}"
    );
}
