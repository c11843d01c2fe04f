//! The block coder through the picture codec: at every search effort, chroma layout and
//! odd size, the decoder reproduces the encoder's reconstruction exactly, for every
//! thread count, with pixels matching a golden hash; the 8×8 tile syntax still decodes.

mod common;

use common::synthetic_picture;
use quanta::codec::image::{
    decode_picture, encode_picture, ChromaSampling, ImageDecodeOptions, ImageEncoderConfig,
    MAX_EFFORT,
};
use quanta::signal::{Picture, PixelLayout};
use quanta::transform::TransformId;

/// CRC32 of the decoded pixels of the 96×64 test picture at quality 60, per effort (with
/// the restoration filter, on by default; tests/restore_filter.rs keeps the hashes without
/// it). Regenerate only for a deliberate change of the block coder (and say so in the
/// commit).
const GOLDEN: [u32; 4] = [0x6e3ddf05, 0x23d4d78c, 0x86358a8e, 0x86358a8e];

fn round_trip(
    picture: &Picture,
    config: &ImageEncoderConfig,
    threads: usize,
) -> (Vec<u8>, Picture) {
    let config = ImageEncoderConfig {
        reconstruct: true,
        threads,
        ..config.clone()
    };
    let mut stream = Vec::new();
    let outcome = encode_picture(picture, &config, &mut stream).unwrap();
    assert!(outcome.params.block_coder);
    let decoded = decode_picture(
        stream.as_slice(),
        &ImageDecodeOptions {
            threads,
            ..ImageDecodeOptions::default()
        },
    )
    .unwrap();
    assert!(decoded.damage.is_empty() && decoded.complete);
    assert_eq!(outcome.reconstruction.as_ref(), Some(&decoded.picture));
    (stream, decoded.picture)
}

#[test]
fn decoder_equals_reconstruction_at_every_effort_layout_and_thread_count() {
    let mut hashes = Vec::new();
    for effort in 0..=MAX_EFFORT {
        let picture = synthetic_picture(96, 64, PixelLayout::Rgb, 77);
        let config = ImageEncoderConfig {
            quality: 60,
            tile_size: 48,
            effort,
            ..ImageEncoderConfig::default()
        };
        let (one, decoded) = round_trip(&picture, &config, 1);
        let (three, _) = round_trip(&picture, &config, 3);
        assert_eq!(
            one, three,
            "effort {effort}: bytes differ with the thread count"
        );
        hashes.push(crc32fast::hash(&decoded.data));
    }
    for (sampling, layout, (w, h)) in [
        (ChromaSampling::Yuv420, PixelLayout::Rgb, (77, 45)),
        (ChromaSampling::Yuv444, PixelLayout::Rgb, (53, 70)),
        (ChromaSampling::Yuv420, PixelLayout::Gray, (41, 39)),
    ] {
        let picture = synthetic_picture(w, h, layout, 5);
        for quality in [5, 50, 95] {
            let config = ImageEncoderConfig {
                quality,
                sampling,
                tile_size: 32,
                ..ImageEncoderConfig::default()
            };
            round_trip(&picture, &config, 2);
        }
    }
    assert_eq!(hashes, GOLDEN, "decoded pixels changed: {hashes:#010x?}");
}

#[test]
fn the_block_coder_beats_the_8x8_syntax_and_needs_the_dct() {
    let picture = synthetic_picture(128, 96, PixelLayout::Rgb, 3);
    let base = ImageEncoderConfig {
        quality: 70,
        ..ImageEncoderConfig::default()
    };
    let (blocks, new) = round_trip(&picture, &base, 1);
    let old_config = ImageEncoderConfig {
        block_coder: false,
        reconstruct: true,
        ..base.clone()
    };
    let mut old = Vec::new();
    let outcome = encode_picture(&picture, &old_config, &mut old).unwrap();
    assert!(!outcome.params.block_coder);
    let decoded = decode_picture(old.as_slice(), &ImageDecodeOptions::default()).unwrap();
    assert_eq!(outcome.reconstruction.as_ref(), Some(&decoded.picture));
    let sse = |p: &Picture| -> u64 {
        p.data
            .iter()
            .zip(&picture.data)
            .map(|(&a, &b)| (a as i64 - b as i64).pow(2) as u64)
            .sum()
    };
    // Fewer bits at no more error, or less error at no more bits.
    assert!(
        (blocks.len() <= old.len() && sse(&new) <= sse(&decoded.picture))
            || (sse(&new) < sse(&decoded.picture) && blocks.len() <= old.len() * 11 / 10),
        "block coder {} bytes sse {}, 8×8 {} bytes sse {}",
        blocks.len(),
        sse(&new),
        old.len(),
        sse(&decoded.picture)
    );
    let refused = ImageEncoderConfig {
        transform: TransformId::Bas2008,
        ..base
    };
    let error = encode_picture(&picture, &refused, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("8×8"), "{error}");
}
