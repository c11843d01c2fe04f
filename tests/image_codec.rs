//! The image codec end to end through the library API: quality, exact reconstruction,
//! thread independence, damage handling and hostile headers.

mod common;

use common::synthetic_picture;
use quanta::codec::image::{
    decode_picture, encode_picture, ChromaSampling, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::container::{
    read_all, ContainerWriter, MediaKind, ReadEvent, StreamHeader, FORMAT_VERSION,
};
use quanta::metrics::compare_pictures;
use quanta::signal::{Picture, PixelLayout};
use quanta::{Error, Limits};

fn encode(picture: &Picture, config: &ImageEncoderConfig) -> Vec<u8> {
    let mut out = Vec::new();
    encode_picture(picture, config, &mut out).expect("encode");
    out
}

fn decode(bytes: &[u8]) -> quanta::codec::image::DecodedPicture {
    decode_picture(bytes, &ImageDecodeOptions::default()).expect("decode")
}

fn config(quality: u8) -> ImageEncoderConfig {
    ImageEncoderConfig {
        quality,
        threads: 2,
        tile_size: 64,
        ..ImageEncoderConfig::default()
    }
}

#[test]
fn quality_rises_with_the_quality_setting() {
    let picture = synthetic_picture(160, 120, PixelLayout::Rgb, 1);
    let mut last_psnr = 0.0;
    let mut last_size = 0;
    for (quality, floor) in [(20, 27.0), (50, 31.0), (80, 35.0), (95, 41.0)] {
        let bytes = encode(&picture, &config(quality));
        let decoded = decode(&bytes);
        assert!(decoded.damage.is_empty() && decoded.complete);
        let c = compare_pictures(&picture, &decoded.picture).unwrap();
        assert!(
            c.psnr_ycbcr > floor,
            "quality {quality}: PSNR {} <= {floor}",
            c.psnr_ycbcr
        );
        assert!(
            c.psnr_ycbcr > last_psnr,
            "quality {quality}: PSNR did not rise"
        );
        assert!(
            bytes.len() > last_size,
            "quality {quality}: size did not rise"
        );
        assert!(c.ssim_y > 0.6 && c.ssim_y <= 1.0);
        last_psnr = c.psnr_ycbcr;
        last_size = bytes.len();
    }
}

#[test]
fn decoder_output_equals_encoder_reconstruction() {
    let cases = [
        (160, 120, PixelLayout::Rgb, ChromaSampling::Yuv420),
        (37, 23, PixelLayout::Rgb, ChromaSampling::Yuv420),
        (45, 70, PixelLayout::Rgb, ChromaSampling::Yuv444),
        (99, 17, PixelLayout::Gray, ChromaSampling::Yuv420),
        (1, 1, PixelLayout::Rgb, ChromaSampling::Yuv420),
    ];
    for (i, (w, h, layout, sampling)) in cases.into_iter().enumerate() {
        let picture = synthetic_picture(w, h, layout, 10 + i as u64);
        for quality in [10, 60, 100] {
            let cfg = ImageEncoderConfig {
                sampling,
                reconstruct: true,
                ..config(quality)
            };
            let mut bytes = Vec::new();
            let outcome = encode_picture(&picture, &cfg, &mut bytes).unwrap();
            assert_eq!(outcome.bytes as usize, bytes.len());
            let decoded = decode(&bytes);
            assert_eq!(
                outcome.reconstruction.as_ref(),
                Some(&decoded.picture),
                "{w}x{h} {layout:?} {sampling:?} q{quality}"
            );
            assert_eq!((decoded.picture.width, decoded.picture.height), (w, h));
            assert_eq!(decoded.picture.layout, layout);
        }
    }
}

#[test]
fn every_thread_count_gives_identical_bytes() {
    let picture = synthetic_picture(200, 150, PixelLayout::Rgb, 3);
    let reference = encode(
        &picture,
        &ImageEncoderConfig {
            threads: 1,
            ..config(70)
        },
    );
    for threads in [2, 3, 8] {
        let bytes = encode(
            &picture,
            &ImageEncoderConfig {
                threads,
                ..config(70)
            },
        );
        assert_eq!(bytes, reference, "{threads} threads");
        let decoded = decode_picture(
            bytes.as_slice(),
            &ImageDecodeOptions {
                threads,
                ..ImageDecodeOptions::default()
            },
        )
        .unwrap();
        assert_eq!(decoded.picture, decode(&reference).picture);
    }
}

/// Flips a byte in the middle of each tile's payload in turn and checks that exactly that
/// tile is lost and every pixel farther than `margin` pixels from it decodes as in the
/// clean decode.
fn a_flipped_byte_loses_one_tile(config: &ImageEncoderConfig, margin: usize) {
    let picture = synthetic_picture(192, 128, PixelLayout::Rgb, 4);
    let bytes = encode(&picture, config);
    let clean = decode(&bytes);
    let (_, events) = read_all(&bytes, Limits::default()).unwrap();
    let packets: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ReadEvent::Packet(p) => Some(p.clone()),
            ReadEvent::Damaged(_) => None,
        })
        .collect();
    assert_eq!(packets.len(), 6);
    // Tiles are 64x64 here, three across and two down.
    let mut farthest = 0;
    for (tile, victim) in packets.iter().enumerate() {
        let mut damaged = bytes.clone();
        damaged[victim.offset as usize + 17 + victim.payload.len() / 2] ^= 0x10;
        let decoded = decode(&damaged);
        assert_eq!(decoded.concealed_tiles, vec![tile]);
        assert_eq!(decoded.damage.len(), 1, "{:?}", decoded.damage);
        let (x0, y0) = (64 * (tile % 3), 64 * (tile / 3));
        // Distance of a pixel from the lost tile (0 inside it).
        let distance = |x: usize, y: usize| {
            let dx = x0.saturating_sub(x).max(x.saturating_sub(x0 + 63));
            let dy = y0.saturating_sub(y).max(y.saturating_sub(y0 + 63));
            dx.max(dy)
        };
        let mut differs_inside = false;
        for y in 0..128 {
            for x in 0..192 {
                let i = 3 * (y * 192 + x);
                if decoded.picture.data[i..i + 3] != clean.picture.data[i..i + 3] {
                    let d = distance(x, y);
                    assert!(
                        d <= margin,
                        "tile {tile} lost: pixel {x},{y} changed ({d} away)"
                    );
                    differs_inside |= d == 0;
                    farthest = farthest.max(d);
                }
            }
        }
        assert!(
            differs_inside,
            "tile {tile}: the lost tile was not concealed"
        );
    }
    eprintln!("farthest changed pixel: {farthest} from the lost tile (margin {margin})");
}

#[test]
fn a_flipped_byte_loses_one_tile_and_every_pixel_beyond_4_of_it_decodes_exactly() {
    // Chroma upsampling and the deblocking filter (one chroma sample, two luma pixels, on
    // each side of an edge) draw up to 4 pixels across a tile edge, and nothing more.
    let config = ImageEncoderConfig {
        restore: false,
        ..config(75)
    };
    a_flipped_byte_loses_one_tile(&config, 4);
}

#[test]
fn with_the_restoration_filter_a_lost_tile_reaches_at_most_20_pixels_beyond_it() {
    // The restoration filter finds one direction per 8x8 block from the deblocked samples,
    // so a block whose edge samples the deblocking drew from the lost tile may change as a
    // whole: 8 luma pixels, or 8 chroma samples (16 pixels at 4:2:0), then chroma
    // upsampling and the filter's taps add a few more.
    a_flipped_byte_loses_one_tile(&config(75), 20);
}

#[test]
fn every_truncation_is_an_error_or_a_reported_partial_decode() {
    let picture = synthetic_picture(64, 48, PixelLayout::Rgb, 5);
    let bytes = encode(
        &picture,
        &ImageEncoderConfig {
            tile_size: 32,
            ..config(50)
        },
    );
    for cut in 0..bytes.len() {
        match decode_picture(&bytes[..cut], &ImageDecodeOptions::default()) {
            Ok(d) => {
                assert!(!d.complete, "cut at {cut} looks complete");
                assert!(!d.damage.is_empty(), "cut at {cut} reported no damage");
            }
            Err(Error::NotQuanta(_) | Error::InvalidStream(_)) => {}
            Err(e) => panic!("cut at {cut}: unexpected error {e}"),
        }
    }
}

#[test]
fn garbage_is_not_a_quanta_stream() {
    let err = decode_picture(
        &b"\x89PNG\r\n\x1a\nnot a stream"[..],
        &ImageDecodeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotQuanta(_)), "{err}");
    let err = decode_picture(&[][..], &ImageDecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NotQuanta(_)), "{err}");
}

/// A valid container whose image parameters claim `width` × `height`.
fn stream_claiming(width: u32, height: u32) -> Vec<u8> {
    let picture = synthetic_picture(16, 16, PixelLayout::Rgb, 6);
    let cfg = config(50);
    let mut params = cfg.params_for(16, 16, picture.layout);
    params.width = width;
    params.height = height;
    let header = StreamHeader {
        version: FORMAT_VERSION,
        media: MediaKind::Image,
        transform: 0,
        params: params.to_bytes(),
    };
    let mut out = Vec::new();
    let mut writer = ContainerWriter::new(&mut out, &header).unwrap();
    writer.write_packet(true, &[0, 0, 0, 0, 1, 2, 3]).unwrap();
    writer.finish(&[]).unwrap();
    out
}

#[test]
fn absurd_dimensions_are_refused_before_allocating() {
    for (w, h) in [
        (65_535, 65_535),
        (0, 10),
        (10, 0),
        (u32::MAX, 1),
        (16_000, 16_000),
    ] {
        let err = decode_picture(
            stream_claiming(w, h).as_slice(),
            &ImageDecodeOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Limit { .. } | Error::InvalidStream(_)),
            "{w}x{h}: {err}"
        );
    }
}

#[test]
fn a_tile_payload_of_garbage_is_concealed_not_fatal() {
    let bytes = stream_claiming(16, 16);
    let decoded = decode(&bytes);
    assert_eq!(decoded.concealed_tiles, vec![0]);
    assert_eq!(decoded.damage.len(), 1);
}

#[test]
fn gray_pictures_decode_gray_and_444_keeps_more_colour() {
    let gray = synthetic_picture(80, 60, PixelLayout::Gray, 8);
    let decoded = decode(&encode(&gray, &config(80)));
    assert_eq!(decoded.picture.layout, PixelLayout::Gray);
    let rgb = synthetic_picture(80, 60, PixelLayout::Rgb, 9);
    let d420 = decode(&encode(&rgb, &config(90)));
    let d444 = decode(&encode(
        &rgb,
        &ImageEncoderConfig {
            sampling: ChromaSampling::Yuv444,
            ..config(90)
        },
    ));
    let c420 = compare_pictures(&rgb, &d420.picture).unwrap();
    let c444 = compare_pictures(&rgb, &d444.picture).unwrap();
    assert!(c444.psnr_cb.unwrap() > c420.psnr_cb.unwrap());
}

#[test]
fn bad_configurations_are_refused() {
    let picture = synthetic_picture(16, 16, PixelLayout::Rgb, 1);
    for cfg in [
        ImageEncoderConfig {
            quality: 101,
            ..config(50)
        },
        ImageEncoderConfig {
            tile_size: 20,
            ..config(50)
        },
        ImageEncoderConfig {
            lambda: f32::NAN,
            ..config(50)
        },
    ] {
        let mut out = Vec::new();
        assert!(matches!(
            encode_picture(&picture, &cfg, &mut out),
            Err(Error::InvalidArgument(_))
        ));
    }
}
