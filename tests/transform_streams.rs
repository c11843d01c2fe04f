//! Every transform member through the image codec: streams decode to the encoder's
//! reconstruction, and the integer and multiplierless members' decoded pixels match golden
//! hashes, so they decode bit-exactly on any machine and thread count; the same for the
//! video codec, and for the lossy audio codec on a slice of a bundled sample.

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
            block_coder: false,
            weighting: quanta::codec::image::WEIGHTING_8X8,
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
    (TransformId::Dct, 0x4a27e734),
    (TransformId::DctFast, 0x788d4c1d),
    (TransformId::H264, 0x2b20ff68),
    (TransformId::Hevc, 0x08507cc9),
    (TransformId::Rdct, 0x2573eb96),
    (TransformId::Bas2008, 0xa6a74c3a),
    (TransformId::Sdct, 0xc8bb19b0),
    (TransformId::Mrdct, 0xa24cb318),
    (TransformId::Wht, 0x1ef633e7),
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

/// The drifting clip coded with `id` on `threads` (keyframes and inter residuals with the
/// block coder where the stream allows it, if `block_coder`; with today's defaults of the
/// rate control's quantizer pattern, four references and halves, if `current`, else every inter
/// frame at one index from one reference), decoded: checks that the decoder gives the
/// encoder's reconstruction and returns the CRC32 of the decoded frames.
fn video_hash(id: TransformId, threads: usize, block_coder: bool, current: bool) -> u32 {
    let (w, h) = (48, 32);
    let frames = drifting_clip(w, h);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    {
        let config = VideoEncoderConfig {
            quality: 60,
            transform: id,
            threads,
            slice_rows: 1,
            block_keyframes: block_coder,
            block_residuals: block_coder,
            qp_pattern: current,
            refs: if current { 4 } else { 1 },
            halves: current,
            finest_ref: current,
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
    }
}

#[test]
fn every_member_codes_video_exactly_and_matches_its_golden_hash() {
    check_golden(&VIDEO_GOLDEN, [1, 2], "decoded video", |id, threads| {
        video_hash(id, threads, true, true)
    });
}

/// The DCT clip with keyframes in the macroblock syntax: the decoding of streams without
/// block-coded keyframes stays as it was (every inter frame at one index from one
/// reference, as such streams were made).
#[test]
fn video_with_macroblock_keyframes_keeps_its_golden_hash() {
    let golden = [(TransformId::Dct, 0x160022b4)];
    check_golden(
        &golden,
        [1, 2],
        "decoded video (macroblock keyframes)",
        |id, threads| video_hash(id, threads, false, false),
    );
}

/// The lossy audio golden stream: the first second of samples/music_goin_march_3s.flac coded
/// at the audio encoder's defaults (96 kbit/s, perceptual tune, frames of 512, block
/// switching; it holds short frames), committed so that the decoder is checked on fixed bytes: the encoder's
/// forward MDCT uses rustfft, whose run-time choice of AVX, SSE or scalar code may round
/// differently on another CPU (docs/FORMAT.md, "Determinism"), while the decoder's output
/// does not depend on the CPU.
const AUDIO_GOLDEN_FILE: &str = "tests/fixtures/streams/audio_goin_march_1s.qnt";
/// CRC32 of that stream's decoded samples (`f32` bits, little-endian). Regenerate only for a
/// deliberate change of the decoder or of the committed stream (a new encoder output), and
/// say so in the commit.
const AUDIO_GOLDEN_SAMPLES: u32 = 0xdd6c3721;

#[test]
fn lossy_audio_decodes_to_its_golden_hash() {
    use quanta::codec::audio::{decode_audio, AudioDecodeOptions};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let stream = std::fs::read(root.join(AUDIO_GOLDEN_FILE)).unwrap();
    for threads in [1, 2] {
        let mut crc = crc32fast::Hasher::new();
        let mut count = 0;
        let options = AudioDecodeOptions {
            threads,
            ..AudioDecodeOptions::default()
        };
        let report = decode_audio(&stream[..], &options, |s| {
            count += s.len();
            for v in s {
                crc.update(&v.to_bits().to_le_bytes());
            }
            Ok(())
        })
        .unwrap();
        assert!(report.damage.is_empty(), "{:?}", report.damage);
        // One second of 48 kHz stereo.
        assert_eq!(count, 2 * 48_000);
        let hash = crc.finalize();
        assert_eq!(
            hash, AUDIO_GOLDEN_SAMPLES,
            "threads {threads}: decoded samples hash now {hash:#010x}"
        );
    }
}

/// The encoder, on this machine, still makes the golden stream's bytes with 1 and 2 threads.
/// Skipped where rustfft takes another code path than AVX (the golden was made with it).
#[test]
fn lossy_audio_encoder_makes_the_golden_stream() {
    use quanta::codec::audio::{encode_audio, AudioEncoderConfig};
    use quanta::media::audio::{read_audio_file, MemorySource};
    if !std::arch::is_x86_feature_detected!("avx") {
        eprintln!("skipped: the golden stream was made on rustfft's AVX path");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = std::fs::read(root.join(AUDIO_GOLDEN_FILE)).unwrap();
    let (rate, channels, samples) =
        read_audio_file(&root.join("samples/music_goin_march_3s.flac")).unwrap();
    let slice = samples[..rate as usize * channels].to_vec();
    for threads in [1, 2] {
        let config = AudioEncoderConfig {
            threads,
            ..AudioEncoderConfig::default()
        };
        let mut stream = Vec::new();
        let outcome = encode_audio(
            MemorySource::new(rate, channels, slice.clone()),
            &config,
            &mut stream,
        )
        .unwrap();
        assert!(outcome.short_frames > 0, "{}", outcome.short_frames);
        assert!(
            stream == golden,
            "threads {threads}: the stream differs from the golden"
        );
    }
}
