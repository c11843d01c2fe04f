//! The restoration filter of block-coded pictures: the decoder reproduces the encoder's
//! reconstruction with the filter on, for every thread count; the filter is signalled and
//! chosen where it lowers the error; streams without it decode as before; a damaged tile
//! loses only its own filtering; bad headers are refused.

mod common;

use common::{synthetic_picture, xorshift};
use quanta::codec::image::params::ImageParams;
use quanta::codec::image::{
    decode_picture, encode_picture, ChromaSampling, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::error::Limits;
use quanta::signal::{Picture, PixelLayout};

/// CRC32 of the decoded pixels of block_coder.rs's 96×64 test picture at quality 60 and
/// efforts 0 to 3 without the restoration filter: the golden hashes the block coder had
/// before the filter existed (effort 0's since its encoder codes only the two best chroma
/// modes).
const GOLDEN_WITHOUT_FILTER: [u32; 4] = [0xb1dc5aac, 0x704324fa, 0x52225521, 0x52225521];

/// A smooth picture with stripes and noise: what the filter is for.
fn noisy_stripes(width: usize, height: usize, seed: u64) -> Picture {
    let mut state = seed;
    let mut data = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let stripe = if ((x + y / 2) / 6) % 2 == 0 { 70 } else { 170 };
            for c in 0..3 {
                let noise = (xorshift(&mut state) % 9) as i32 - 4;
                data.push((stripe + 20 * c + noise).clamp(0, 255) as u8);
            }
        }
    }
    Picture {
        width,
        height,
        layout: PixelLayout::Rgb,
        data,
    }
}

fn encode(picture: &Picture, config: &ImageEncoderConfig, threads: usize) -> (Vec<u8>, Picture) {
    let config = ImageEncoderConfig {
        reconstruct: true,
        threads,
        ..config.clone()
    };
    let mut stream = Vec::new();
    let outcome = encode_picture(picture, &config, &mut stream).unwrap();
    assert_eq!(outcome.params.restore, config.restore);
    (stream, outcome.reconstruction.unwrap())
}

fn decode(stream: &[u8], threads: usize) -> quanta::codec::image::DecodedPicture {
    decode_picture(
        stream,
        &ImageDecodeOptions {
            threads,
            ..ImageDecodeOptions::default()
        },
    )
    .unwrap()
}

fn sse(a: &Picture, b: &Picture) -> u64 {
    a.data
        .iter()
        .zip(&b.data)
        .map(|(&x, &y)| (x as i64 - y as i64).pow(2) as u64)
        .sum()
}

#[test]
fn decoder_equals_reconstruction_with_the_filter_for_every_layout_and_thread_count() {
    for (sampling, layout, (w, h), tile) in [
        (ChromaSampling::Yuv420, PixelLayout::Rgb, (150, 100), 64),
        (ChromaSampling::Yuv444, PixelLayout::Rgb, (77, 45), 32),
        (ChromaSampling::Yuv420, PixelLayout::Gray, (90, 70), 48),
        (ChromaSampling::Yuv420, PixelLayout::Rgb, (200, 136), 512),
    ] {
        let picture = synthetic_picture(w, h, layout, 11);
        for quality in [10, 50, 90] {
            let config = ImageEncoderConfig {
                quality,
                sampling,
                tile_size: tile,
                ..ImageEncoderConfig::default()
            };
            let (one, reconstruction) = encode(&picture, &config, 1);
            let (three, _) = encode(&picture, &config, 3);
            assert_eq!(
                one, three,
                "{sampling:?} q{quality}: bytes depend on threads"
            );
            for threads in [1, 3] {
                let decoded = decode(&one, threads);
                assert!(decoded.damage.is_empty() && decoded.complete);
                assert!(decoded.params.restore);
                assert_eq!(
                    decoded.picture, reconstruction,
                    "{sampling:?} {layout:?} q{quality}, {threads} threads"
                );
            }
        }
    }
}

#[test]
fn the_filter_lowers_the_error_of_a_noisy_picture_at_low_quality() {
    let picture = noisy_stripes(128, 128, 5);
    let on = ImageEncoderConfig {
        quality: 25,
        tile_size: 64,
        ..ImageEncoderConfig::default()
    };
    let off = ImageEncoderConfig {
        restore: false,
        ..on.clone()
    };
    let (with, filtered) = encode(&picture, &on, 1);
    let (without, plain) = encode(&picture, &off, 1);
    // The same coding trees, plus a few bits of strengths per 64×64 unit.
    assert!(with.len() > without.len() && with.len() < without.len() + 64);
    assert!(
        sse(&filtered, &picture) < sse(&plain, &picture),
        "filtered {} plain {}",
        sse(&filtered, &picture),
        sse(&plain, &picture)
    );
}

#[test]
fn streams_without_the_filter_decode_as_before() {
    let mut hashes = Vec::new();
    for effort in 0..=quanta::codec::image::MAX_EFFORT {
        let picture = synthetic_picture(96, 64, PixelLayout::Rgb, 77);
        let config = ImageEncoderConfig {
            quality: 60,
            tile_size: 48,
            effort,
            restore: false,
            ..ImageEncoderConfig::default()
        };
        let (stream, reconstruction) = encode(&picture, &config, 2);
        let decoded = decode(&stream, 2);
        assert!(!decoded.params.restore);
        assert_eq!(decoded.picture, reconstruction);
        hashes.push(crc32fast::hash(&decoded.picture.data));
    }
    assert_eq!(hashes, GOLDEN_WITHOUT_FILTER, "{hashes:#010x?}");
}

#[test]
fn a_damaged_tile_loses_only_its_own_pixels_and_filtering() {
    let picture = noisy_stripes(128, 64, 9);
    let config = ImageEncoderConfig {
        quality: 30,
        tile_size: 64,
        ..ImageEncoderConfig::default()
    };
    let (stream, reconstruction) = encode(&picture, &config, 1);
    // Corrupt the last bytes of the second (last) tile's packet, before the end packet.
    let mut damaged = stream.clone();
    let at = damaged.len() - 40;
    for b in &mut damaged[at..at + 4] {
        *b ^= 0x5a;
    }
    let decoded = decode(&damaged, 2);
    assert!(!decoded.damage.is_empty());
    assert_eq!(decoded.concealed_tiles, vec![1]);
    // The first tile's inner columns (away from the damaged neighbour's reach of the
    // deblocking and restoration filters) are what the encoder reconstructed.
    for y in 0..64 {
        let row = y * 128 * 3;
        assert_eq!(
            decoded.picture.data[row..row + 40 * 3],
            reconstruction.data[row..row + 40 * 3],
            "row {y}"
        );
    }
}

#[test]
fn a_header_with_the_filter_but_without_the_block_coder_is_refused() {
    let picture = synthetic_picture(32, 32, PixelLayout::Rgb, 1);
    let config = ImageEncoderConfig::default();
    let mut params: ImageParams = config.params_for(32, 32, picture.layout);
    assert!(params.restore);
    let bytes = params.to_bytes();
    assert_eq!(
        ImageParams::from_bytes(&bytes, &Limits::default()).unwrap(),
        params
    );
    params.block_coder = false;
    let error = ImageParams::from_bytes(&params.to_bytes(), &Limits::default()).unwrap_err();
    assert!(error.to_string().contains("restoration"), "{error}");
    // The 8×8 tile syntax never carries the filter.
    let old = ImageEncoderConfig {
        block_coder: false,
        weighting: quanta::codec::image::WEIGHTING_8X8,
        ..config
    };
    assert!(!old.params_for(32, 32, picture.layout).restore);
}
