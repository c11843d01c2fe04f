//! Entry points of the fuzz targets (fuzz/) and of the regression test that replays every
//! input that ever crashed one (tests/fuzz_regressions.rs). Each takes arbitrary bytes and
//! must return without panicking, hanging or allocating beyond small limits; results are
//! thrown away. Kept in the library so that the fuzzers and `cargo test` run the same code.

use crate::codec::audio::{decode_audio, decode_packet_for_fuzzing, AudioDecodeOptions};
use crate::codec::audio::{AudioParams, AudioTransform, AudioTune};
use crate::codec::image::decode_any_tile;
use crate::codec::image::lossless::{decode_strip_payload, LosslessParams, MAX_ERROR_LIMIT};
use crate::codec::image::params::{ChromaSampling, ImageParams};
use crate::codec::image::{decode_picture, ImageDecodeOptions};
use crate::codec::video::params::VideoParams;
use crate::codec::video::{VideoDecoder, VideoStreamDecoder};
use crate::container::{read_unit, ContainerReader, MediaKind, ReadEvent, Unit};
use crate::error::Limits;
use crate::media::audio::{AudioSource, PcmFormat, RawPcmSource};
use crate::media::y4m::{ChromaFormat, Y4mReader};
use crate::stream::{AudioPacketDecoder, VideoPacketDecoder};
use crate::transform::window::WindowShape;
use crate::transform::TransformId;

/// Limits small enough that a fuzzer never runs out of memory.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_dimension: 1024,
        max_pixels: 1 << 18,
        max_packet_bytes: 1 << 20,
        max_concealed_seconds: 2,
        ..Limits::default()
    }
}

/// Reads a container to its end.
pub fn container_reader(data: &[u8]) {
    if let Ok(mut reader) = ContainerReader::new(data, fuzz_limits()) {
        let mut events = 0usize;
        while let Ok(Some(event)) = reader.next_event() {
            events += 1;
            if let ReadEvent::Packet(p) = event {
                std::hint::black_box(p.payload.len());
            }
            // A stream can hold at most one event per byte, plus a final one.
            assert!(
                events <= data.len() + 2,
                "the reader produced more events than bytes"
            );
        }
    }
}

/// Feeds units one at a time to the packet-level decoders, as a transport that carries one
/// unit per buffer would: each unit is a u16 length and that many bytes; the first that
/// parses as a stream header picks the decoder, every later one is parsed with
/// [`read_unit`] and decoded (or refused), and an end unit finishes the stream.
pub fn container_units(data: &[u8]) {
    let limits = fuzz_limits();
    let mut rest = data;
    let mut units = Vec::new();
    while rest.len() >= 2 {
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let end = (2 + len).min(rest.len());
        units.push(&rest[2..end]);
        rest = &rest[end..];
    }
    enum Decoder {
        None,
        Audio(Box<AudioPacketDecoder>),
        Video(Box<VideoPacketDecoder>),
    }
    let mut decoder = Decoder::None;
    let mut frames = 0usize;
    for unit in units {
        match (read_unit(unit, &limits), &mut decoder) {
            (Ok(Unit::Header(h)), Decoder::None) => {
                decoder = match h.media {
                    MediaKind::Audio => AudioPacketDecoder::new(&h, &limits)
                        .map_or(Decoder::None, |d| Decoder::Audio(Box::new(d))),
                    MediaKind::Video => VideoPacketDecoder::new(&h, &limits, 1)
                        .map_or(Decoder::None, |d| Decoder::Video(Box::new(d))),
                    MediaKind::Image => Decoder::None,
                };
            }
            (Ok(Unit::Packet(p)), Decoder::Audio(d)) => {
                let _ = d.decode(&p);
            }
            (Ok(Unit::Packet(p)), Decoder::Video(d)) => {
                d.send_packet(&p);
                while d.receive_frame().is_some() {
                    frames += 1;
                    // Stand-ins for one gap at most, plus the packet's own frame.
                    assert!(
                        frames <= (d.max_concealed_run() as usize + 1) * data.len(),
                        "an endless run of stand-ins"
                    );
                }
            }
            (Ok(Unit::End(end)), Decoder::Audio(d)) => {
                let _ = d.finish(Some(&end));
            }
            (Ok(Unit::End(end)), Decoder::Video(d)) => d.finish(Some(&end)),
            _ => {}
        }
    }
}

/// Decodes raw bytes as an image stream, on one thread.
pub fn image_stream(data: &[u8]) {
    let options = ImageDecodeOptions {
        threads: 1,
        limits: fuzz_limits(),
    };
    let _ = decode_picture(data, &options);
}

/// Parses raw bytes as image parameters and uses them.
pub fn image_params(data: &[u8]) {
    if let Ok(params) = ImageParams::from_bytes(data, &fuzz_limits()) {
        let tiles = params.tile_count();
        let _ = params.tile_rect(tiles.saturating_sub(1), 0);
        let _ = params.steps_at(1, params.activity_scales.len());
    }
}

/// Decodes a lossless strip payload (index, coded bytes) under parameters chosen by the
/// first 4 bytes: width, rows, channels and depth, maximum error (0 for 16-bit strips).
pub fn image_lossless_strip(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let params = LosslessParams {
        width: 1 + (data[0] % 96) as u32,
        height: 1 + (data[1] % 48) as u32,
        channels: if data[2] % 2 == 0 { 1 } else { 3 },
        max_error: if data[2] & 2 != 0 {
            0
        } else {
            data[3] % (MAX_ERROR_LIMIT + 1)
        },
        strip_rows: 1 + (data[1] % 48) as u32,
        bits: if data[2] & 2 != 0 { 16 } else { 8 },
    };
    if let Ok((index, samples)) = decode_strip_payload(&params, &data[4..]) {
        assert_eq!(index, 0, "a strip index beyond the picture was accepted");
        let expected = (params.width * params.height) as usize * params.channels as usize;
        assert_eq!(samples.len(), expected, "a strip of the wrong size");
    }
}

/// Decodes a tile payload under parameters chosen by the first 6 bytes.
pub fn image_tile(data: &[u8]) {
    if data.len() < 6 {
        return;
    }
    let sampling = match data[0] % 3 {
        0 => ChromaSampling::Mono,
        1 => ChromaSampling::Yuv420,
        _ => ChromaSampling::Yuv444,
    };
    // The top bit picks the block coder (which uses the DCT), else the 8×8 tile syntax.
    let block_coder = data[1] >= 128;
    let transform = if block_coder {
        TransformId::Dct
    } else {
        TransformId::from_u8(data[1] % 9).unwrap_or(TransformId::Dct)
    };
    let width = 1 + (data[2] % 64) as u32;
    let height = 1 + (data[3] % 64) as u32;
    let levels = 1 + (data[4] % 5) as usize;
    let step = 1 + data[5] as u16 * 4;
    let params = ImageParams {
        width,
        height,
        sampling,
        tile_size: 32,
        quality: 50,
        deblock: true,
        block_coder,
        restore: block_coder && data[0] & 0x40 != 0,
        activity_scales: [161u16, 203, 256, 323, 406][..levels].to_vec(),
        luma_steps: [step; 64],
        chroma_steps: [step.saturating_add(7); 64],
        transform,
    };
    let mut payload = vec![0u8; 4];
    payload.extend_from_slice(&data[6..]);
    let _ = decode_any_tile(&params, &payload);
}

/// Reads raw bytes as a Y4M stream, frame by frame.
pub fn y4m_reader(data: &[u8]) {
    if let Ok(mut reader) = Y4mReader::new(data, "fuzz", &fuzz_limits()) {
        let mut frames = 0usize;
        while let Ok(Some(_)) = reader.next_frame() {
            frames += 1;
            assert!(frames <= data.len(), "more frames than bytes");
        }
    }
}

/// Reads raw bytes as raw PCM; the first byte picks the format (bit 2: s24le, else bit 0:
/// s16le or f32le) and the channel count (bit 1).
pub fn raw_pcm(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = match (choice & 1, choice & 4) {
        (_, 4) => PcmFormat::S24le,
        (0, _) => PcmFormat::S16le,
        _ => PcmFormat::F32le,
    };
    let channels = 1 + ((choice >> 1) & 1) as usize;
    if let Ok(mut source) = RawPcmSource::new(rest, format, 48_000, channels) {
        let mut out = Vec::new();
        while let Ok(n) = source.read_frames(&mut out, 256) {
            if n == 0 {
                break;
            }
            assert!(
                out.iter().all(|s| s.is_finite()),
                "raw PCM gave a non-finite sample"
            );
            out.clear();
        }
    }
}

/// Decodes raw bytes as an audio stream, on one thread.
pub fn audio_stream(data: &[u8]) {
    let options = AudioDecodeOptions {
        threads: 1,
        limits: fuzz_limits(),
    };
    let _ = decode_audio(data, &options, |_| Ok(()));
}

/// Decodes an audio packet payload past the CRCs, under parameters chosen by the first
/// 3 bytes.
pub fn audio_packet(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    // Bit 6 of the third byte picks the lossless transform (mono packets then need an
    // even frame count, so the count is doubled there), bit 4 of the second byte its
    // 24-bit depth.
    let lossless = data[2] & 0x40 != 0;
    let bits = if lossless && data[1] & 0x10 != 0 {
        24
    } else {
        16
    };
    let params = AudioParams {
        transform: if lossless {
            AudioTransform::IntMdct
        } else {
            AudioTransform::Mdct
        },
        sample_rate: [8_000, 16_000, 44_100, 48_000, 96_000][data[0] as usize % 5],
        channels: 1 + (data[1] & 1),
        frame_size: [256, 512, 1024, 2048][(data[1] >> 1) as usize % 4],
        frames_per_packet: (1 + data[2] % 8) * (1 + lossless as u8),
        window: if data[2] & 0x80 == 0 || lossless {
            WindowShape::Sine
        } else {
            WindowShape::Kbd
        },
        tune: AudioTune::Perceptual,
        total_samples: 0,
        delay: 1024,
        target_kbps: 0,
        bits,
    };
    let _ = decode_packet_for_fuzzing(&data[3..], &params);
}

/// Decodes raw bytes as a video stream, on one thread.
pub fn video_stream(data: &[u8]) {
    if let Ok(mut decoder) = VideoStreamDecoder::new(data, fuzz_limits(), 1) {
        let longest_run = decoder.max_concealed_run() as usize;
        let (mut decoded, mut run) = (0usize, 0usize);
        while let Ok(Some(frame)) = decoder.next_frame() {
            if frame.concealed {
                run += 1;
                // One run per gap, plus the frames of a damaged stretch before a keyframe.
                assert!(
                    run <= longest_run + data.len(),
                    "an endless run of stand-ins"
                );
            } else {
                run = 0;
                decoded += 1;
                assert!(decoded <= 2 * data.len() + 2, "more frames than bytes");
            }
        }
    }
}

/// Decodes a sequence of video frame payloads past the CRCs: the first 4 bytes choose the
/// picture size, chroma format, transform, header flags, slice height and reference count
/// (parameters the header's checks refuse end the run), then each frame is a u16 length and
/// that many bytes.
pub fn video_frames(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let chroma = [
        ChromaFormat::Mono,
        ChromaFormat::Yuv420Jpeg,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ][data[2] as usize % 4];
    let params = VideoParams {
        // B-frames from the second byte's top bit.
        bframes: (data[1] >> 7) * 2,
        width: 1 + (data[0] % 64) as u32,
        height: 1 + (data[1] % 48) as u32,
        chroma,
        frame_rate: (25, 1),
        aspect: (1, 1),
        interlace: b'p',
        keyint: 10,
        quality: 50,
        // Bits 0 to 4 from the fourth byte, bit 5 (macroblock quantizer changes) from the
        // first byte's top bit, which the width does not use.
        flags: (data[3] & 0x1f) | ((data[0] & 0x80) >> 2),
        slice_rows: 1 + (data[3] >> 1) as u16 % 3,
        bitrate_kbps: 0,
        refs: 1 + (data[3] >> 5) % crate::codec::video::params::MAX_REFS,
        transform: TransformId::ALL[(data[2] / 4) as usize % TransformId::ALL.len()],
    };
    // Through the header's own checks, as a stream's parameters go.
    let transform = params.transform;
    let Ok(mut params) = VideoParams::from_bytes(&params.to_bytes(), &Limits::default()) else {
        return;
    };
    params.transform = transform;
    let mut decoder = VideoDecoder::new(params, 1);
    let mut rest = &data[4..];
    while rest.len() >= 2 {
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let end = (2 + len).min(rest.len());
        let _ = decoder.decode(&rest[2..end]);
        rest = &rest[end..];
    }
}
