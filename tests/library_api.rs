//! The library's front door: `quanta::open` and the packet-level encoders and decoders give
//! the same bytes and the same output as the stream functions the CLI uses, packets carry
//! their timestamps, and damage lands in one report type.

use quanta::codec::audio::{
    decode_audio, encode_audio, AudioDecodeOptions, AudioEncoderConfig, RateMode,
};
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig};
use quanta::media::audio::{AudioSource, MemorySource, PcmDepth};
use quanta::media::y4m::{ChromaFormat, Y4mHeader, YuvFrame};
use quanta::signal::PixelLayout;
use quanta::{
    open, read_unit, AudioFormat, AudioPacketDecoder, AudioPacketEncoder, FrameFormat, Limits,
    Opened, Unit, VideoPacketDecoder, VideoPacketEncoder,
};

mod common;

/// A memory source that does not announce its length (as a live input would not).
struct Unsized(MemorySource);

impl AudioSource for Unsized {
    fn pcm_depth(&self) -> PcmDepth {
        self.0.pcm_depth()
    }
    fn sample_rate(&self) -> u32 {
        self.0.sample_rate()
    }
    fn channels(&self) -> usize {
        self.0.channels()
    }
    fn total_samples(&self) -> Option<u64> {
        None
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> quanta::Result<usize> {
        self.0.read_frames(out, frames)
    }
}

/// Two tones and a click, quantized to 16 bits.
fn tones(rate: u32, channels: usize, frames: usize) -> Vec<f32> {
    let mut seed = 7u64;
    (0..frames * channels)
        .map(|i| {
            let t = (i / channels) as f64 / rate as f64;
            let ch = (i % channels) as f64;
            let noise = (common::xorshift(&mut seed) % 1000) as f64 / 1000.0 - 0.5;
            let click = if (i / channels) % 7000 < 20 { 0.4 } else { 0.0 };
            let v = 0.3 * (2.0 * std::f64::consts::PI * (440.0 + 110.0 * ch) * t).sin()
                + 0.1 * (2.0 * std::f64::consts::PI * 3100.0 * t).sin()
                + 0.02 * noise
                + click;
            ((v * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0) as f32
        })
        .collect()
}

/// Encodes with the packet encoder, pushing chunks of uneven sizes; returns the stream
/// assembled from the framed units, and the packets' (pts, duration).
fn packet_encode(
    samples: &[f32],
    format: AudioFormat,
    config: &AudioEncoderConfig,
) -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut enc = AudioPacketEncoder::new(format, config).unwrap();
    let mut stream = enc.header_bytes().unwrap();
    let mut times = Vec::new();
    let mut at = 0;
    let mut size = 1;
    let mut drain = |enc: &mut AudioPacketEncoder, stream: &mut Vec<u8>| {
        while let Some(p) = enc.receive_packet() {
            assert!(p.keyframe);
            times.push((p.pts, p.duration));
            stream.extend(p.framed().unwrap());
        }
    };
    while at < samples.len() / format.channels {
        let n = size.min(samples.len() / format.channels - at);
        enc.send_samples(&samples[at * format.channels..(at + n) * format.channels])
            .unwrap();
        drain(&mut enc, &mut stream);
        at += n;
        size = size * 3 + 17;
    }
    enc.flush().unwrap();
    drain(&mut enc, &mut stream);
    stream.extend(enc.end_packet().unwrap());
    (stream, times)
}

fn stream_encode(samples: &[f32], format: AudioFormat, config: &AudioEncoderConfig) -> Vec<u8> {
    let source = MemorySource::new(format.sample_rate, format.channels, samples.to_vec())
        .with_depth(format.depth);
    let mut out = Vec::new();
    encode_audio(Unsized(source), config, &mut out).unwrap();
    out
}

#[test]
fn the_audio_packet_encoder_writes_the_stream_encoders_bytes_with_gapless_timestamps() {
    let rate = 44_100;
    for (channels, rate_mode) in [
        (2, RateMode::Bitrate(96.0)),
        (1, RateMode::Quality(60)),
        (2, RateMode::Lossless),
        (1, RateMode::Lossless),
    ] {
        let frames = 30_001 + channels * 977;
        let samples = tones(rate, channels, frames);
        let format = AudioFormat {
            sample_rate: rate,
            channels,
            depth: PcmDepth::Integer(16),
        };
        let config = AudioEncoderConfig {
            rate: rate_mode,
            frames_per_packet: 4,
            threads: 2,
            ..AudioEncoderConfig::default()
        };
        let (stream, times) = packet_encode(&samples, format, &config);
        assert_eq!(
            stream,
            stream_encode(&samples, format, &config),
            "{channels} channels, {rate_mode:?}"
        );
        // The packets tile the output timeline from 0 to the input's length.
        let mut next = 0;
        for (pts, duration) in &times {
            assert_eq!(*pts, next, "{rate_mode:?}: {times:?}");
            next += duration;
        }
        assert_eq!(next, frames as u64, "{rate_mode:?}");

        // The packet decoder gives what the stream decoder gives; lossless is bit-exact.
        let mut expected = Vec::new();
        decode_audio(&stream[..], &AudioDecodeOptions::default(), |s| {
            expected.extend_from_slice(s);
            Ok(())
        })
        .unwrap();
        let decoded = packet_decode(&stream);
        assert_eq!(decoded, expected, "{rate_mode:?}");
        assert_eq!(decoded.len(), samples.len());
        if rate_mode == RateMode::Lossless {
            assert_eq!(decoded, samples);
        }
    }
}

/// Decodes a stream unit by unit with the audio packet decoder.
fn packet_decode(stream: &[u8]) -> Vec<f32> {
    let units = split_units(stream);
    let limits = Limits::default();
    let Unit::Header(header) = read_unit(&units[0], &limits).unwrap() else {
        panic!("the first unit is not a header");
    };
    let mut dec = AudioPacketDecoder::new(&header, &limits).unwrap();
    let mut out = Vec::new();
    for unit in &units[1..] {
        match read_unit(unit, &limits).unwrap() {
            Unit::Packet(p) => out.extend(dec.decode(&p).unwrap()),
            Unit::End(end) => out.extend(dec.finish(Some(&end)).unwrap()),
            Unit::Header(_) => panic!("a second header"),
        }
    }
    assert!(dec.report().complete && dec.report().is_clean());
    out
}

/// Cuts a stream file into its units (the header, then each packet) with the reader's
/// offsets.
fn split_units(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = quanta::container::ContainerReader::new(stream, Limits::default()).unwrap();
    let mut starts = Vec::new();
    while let Some(event) = reader.next_event().unwrap() {
        if let quanta::container::ReadEvent::Packet(p) = event {
            starts.push(p.offset as usize);
        }
    }
    let header_end = starts.first().copied().unwrap_or(stream.len());
    let mut units = vec![stream[..header_end].to_vec()];
    let end_packet_len = 21 + reader.end_payload().unwrap().len();
    starts.push(stream.len() - end_packet_len);
    starts.push(stream.len());
    for pair in starts.windows(2) {
        units.push(stream[pair[0]..pair[1]].to_vec());
    }
    units
}

#[test]
fn a_corrupt_audio_packet_is_concealed_and_reported_in_place() {
    let samples = tones(48_000, 2, 20_000);
    let format = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
        depth: PcmDepth::Float,
    };
    // Frames of 1024 samples, which the check of the lost stretch below counts in.
    let config = AudioEncoderConfig {
        frames_per_packet: 2,
        frame_size: 1024,
        ..AudioEncoderConfig::default()
    };
    let mut enc = AudioPacketEncoder::new(format, &config).unwrap();
    enc.send_samples(&samples).unwrap();
    enc.flush().unwrap();
    let packets: Vec<_> = std::iter::from_fn(|| enc.receive_packet()).collect();
    assert!(packets.len() > 4);
    let limits = Limits::default();
    let mut dec = AudioPacketDecoder::new(enc.header(), &limits).unwrap();
    let mut out = Vec::new();
    for p in &packets {
        let mut framed = p.framed().unwrap();
        if p.sequence == 2 {
            // A transport error in the third packet: its CRC refuses it, so it is lost.
            let middle = framed.len() / 2;
            framed[middle] ^= 0x5a;
            let err = read_unit(&framed, &limits).unwrap_err().to_string();
            assert!(err.contains("packet 2 payload CRC mismatch"), "{err}");
            continue;
        }
        let Unit::Packet(packet) = read_unit(&framed, &limits).unwrap() else {
            panic!("not a packet");
        };
        out.extend(dec.decode(&packet).unwrap());
    }
    let end = enc.end_packet().unwrap();
    let Unit::End(end) = read_unit(&end, &limits).unwrap() else {
        panic!("not the end packet");
    };
    out.extend(dec.finish(Some(&end)).unwrap());
    assert_eq!(out.len(), samples.len(), "the output keeps its length");
    let report = dec.report();
    assert!(report.complete);
    // The lost packet's two frames are silence in place.
    assert_eq!(report.concealed, 2, "{report:?}");
    // Frame j finishes output frames [(j-1)N, jN); the packet held frames 4 and 5, and
    // [4N, 5N) lies under both of them (the halves around it fade).
    let n = 1024 * 2;
    let energy = |from: usize| {
        out[from * n..(from + 1) * n]
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
    };
    assert_eq!(energy(4), 0.0, "the lost stretch is not silent");
    assert!(energy(2) > 1.0 && energy(6) > 1.0);
}

fn moving_frames(w: usize, h: usize, chroma: ChromaFormat, count: usize) -> Vec<YuvFrame> {
    (0..count)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, chroma, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let v = 128.0
                            + 50.0 * (((x + 2 * f) as f64) * 0.3).sin() * ((y as f64) * 0.2).cos()
                            + 10.0 * p as f64;
                        plane.data[y * plane.width + x] = v as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

#[test]
fn the_video_packet_encoder_and_decoder_match_the_stream_encoder_and_decoder() {
    for chroma in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
        ChromaFormat::Mono,
    ] {
        let (w, h) = (72, 40);
        let frames = moving_frames(w, h, chroma, 5);
        // The packet encoder codes each frame on arrival, as `encode_frame` does: the
        // low-delay stream, without B-frames.
        let config = VideoEncoderConfig {
            keyint: 3,
            threads: 1,
            bframes: 0,
            ..VideoEncoderConfig::default()
        };
        let y4m = Y4mHeader::new(w as u32, h as u32, chroma, (25, 1));
        let mut stream_enc = VideoEncoder::new(Vec::new(), &y4m, &config).unwrap();
        for f in &frames {
            stream_enc.encode_frame(f).unwrap();
        }
        let expected = stream_enc.finish().unwrap().0;

        let format = FrameFormat::new(w as u32, h as u32, chroma, (25, 1));
        let mut enc = VideoPacketEncoder::new(format, &config).unwrap();
        let mut stream = enc.header_bytes().unwrap();
        let mut packets = Vec::new();
        let mut reconstructions = Vec::new();
        for f in &frames {
            enc.send_frame(f).unwrap();
            reconstructions.push(enc.reconstruction().unwrap().clone());
            let p = enc.receive_packet().unwrap();
            assert_eq!((p.pts, p.duration), (packets.len() as u64, 1));
            assert_eq!(p.keyframe, packets.len() % 3 == 0, "{chroma:?}");
            stream.extend(p.framed().unwrap());
            packets.push(p);
        }
        enc.flush().unwrap();
        assert!(enc.receive_packet().is_none());
        stream.extend(enc.end_packet().unwrap());
        assert_eq!(stream, expected, "{chroma:?}");

        let limits = Limits::default();
        let mut dec = VideoPacketDecoder::new(enc.header(), &limits, 2).unwrap();
        for (p, recon) in packets.iter().zip(&reconstructions) {
            let Unit::Packet(packet) = read_unit(&p.framed().unwrap(), &limits).unwrap() else {
                panic!("not a packet");
            };
            let out = dec.decode(&packet).unwrap();
            assert_eq!(out.len(), 1);
            assert!(!out[0].concealed);
            assert_eq!(&out[0].frame, recon, "{chroma:?}");
        }
        dec.finish(Some(&5u64.to_le_bytes()));
        assert!(dec.report().complete && dec.report().is_clean());
    }
}

#[test]
fn the_video_packet_encoder_codes_b_frames_in_groups_and_the_decoder_restores_display_order() {
    let (w, h) = (48, 32);
    let count = 11;
    let frames = moving_frames(w, h, ChromaFormat::Yuv420, count);
    let config = VideoEncoderConfig {
        keyint: 0,
        threads: 1,
        bframes: 3,
        lookahead: 0,
        ..VideoEncoderConfig::default()
    };
    // The stream encoder's bytes and reconstructions for the same frames.
    let y4m = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420, (25, 1));
    let mut stream_enc = VideoEncoder::new(Vec::new(), &y4m, &config).unwrap();
    stream_enc.keep_reconstructions();
    let mut source = frames.clone().into_iter();
    stream_enc.encode_stream(|| Ok(source.next())).unwrap();
    let mut expected_frames = stream_enc.take_reconstructions();
    expected_frames.sort_by_key(|(n, _)| *n);
    let expected = stream_enc.finish().unwrap().0;

    let format = FrameFormat::new(w as u32, h as u32, ChromaFormat::Yuv420, (25, 1));
    let mut enc = VideoPacketEncoder::new(format, &config).unwrap();
    assert_eq!(enc.delay(), 3);
    let mut stream = enc.header_bytes().unwrap();
    let mut packets = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        enc.send_frame(f).unwrap();
        let out: Vec<_> = std::iter::from_fn(|| enc.receive_packet()).collect();
        // The keyframe comes out at once; then each group of three B-frames waits for its
        // anchor, and the anchor comes out first.
        let pts: Vec<u64> = out.iter().map(|p| p.pts).collect();
        match i {
            0 => assert_eq!(pts, [0]),
            4 | 8 => assert_eq!(pts, [i as u64, i as u64 - 3, i as u64 - 2, i as u64 - 1]),
            _ => assert!(pts.is_empty(), "frame {i}: {pts:?}"),
        }
        packets.extend(out);
    }
    enc.flush().unwrap();
    // The last two frames: a shortened group, its last frame as the anchor.
    let tail: Vec<_> = std::iter::from_fn(|| enc.receive_packet()).collect();
    assert_eq!(tail.iter().map(|p| p.pts).collect::<Vec<_>>(), [10, 9]);
    packets.extend(tail);
    let sequences: Vec<u32> = packets.iter().map(|p| p.sequence).collect();
    assert_eq!(sequences, (0..count as u32).collect::<Vec<_>>());
    for p in &packets {
        stream.extend(p.framed().unwrap());
    }
    stream.extend(enc.end_packet().unwrap());
    // In constant quality, coding B-frames right after their anchor gives the bytes the
    // stream encoder writes.
    assert_eq!(stream, expected);

    let limits = Limits::default();
    let mut dec = VideoPacketDecoder::new(enc.header(), &limits, 1).unwrap();
    let mut decoded = Vec::new();
    for p in &packets {
        let Unit::Packet(packet) = read_unit(&p.framed().unwrap(), &limits).unwrap() else {
            panic!("not a packet");
        };
        decoded.extend(dec.decode(&packet).unwrap());
    }
    dec.finish(Some(&(count as u64).to_le_bytes()));
    decoded.extend(std::iter::from_fn(|| dec.receive_frame()));
    assert!(dec.report().complete && dec.report().is_clean());
    assert_eq!(decoded.len(), count);
    for (d, (_, recon)) in decoded.iter().zip(&expected_frames) {
        assert!(!d.concealed);
        assert_eq!(&d.frame, recon);
    }
}

#[test]
fn a_lost_video_packet_gives_a_stand_in_and_inter_frames_wait_for_a_keyframe() {
    let (w, h) = (48, 32);
    let frames = moving_frames(w, h, ChromaFormat::Yuv420, 7);
    // The low-delay stream: one packet per frame sent.
    let config = VideoEncoderConfig {
        keyint: 4,
        bframes: 0,
        ..VideoEncoderConfig::default()
    };
    let format = FrameFormat::new(w as u32, h as u32, ChromaFormat::Yuv420, (30, 1));
    let mut enc = VideoPacketEncoder::new(format, &config).unwrap();
    let mut packets = Vec::new();
    for f in &frames {
        enc.send_frame(f).unwrap();
        packets.push(enc.receive_packet().unwrap());
    }
    let limits = Limits::default();
    let mut dec = VideoPacketDecoder::new(enc.header(), &limits, 1).unwrap();
    let mut concealed = Vec::new();
    for p in packets.iter().filter(|p| p.sequence != 1) {
        let packet = quanta::Packet {
            sequence: p.sequence,
            keyframe: p.keyframe,
            payload: p.payload.clone(),
            offset: 0,
        };
        concealed.extend(dec.decode(&packet).unwrap().iter().map(|f| f.concealed));
    }
    // Frame 1 is lost, frames 2 and 3 are inter frames after it, frame 4 is a keyframe.
    assert_eq!(concealed, [false, true, true, true, false, false, false]);
    assert_eq!(dec.report().concealed, 3);
    assert!(
        dec.report().damage[0].contains("packets 1 to 1"),
        "{:?}",
        dec.report()
    );
}

#[test]
fn open_returns_the_decoder_for_each_media_kind() {
    let limits = Limits::default();
    // Audio.
    let samples = tones(32_000, 1, 9_000);
    let format = AudioFormat {
        sample_rate: 32_000,
        channels: 1,
        depth: PcmDepth::Integer(16),
    };
    let stream = stream_encode(&samples, format, &AudioEncoderConfig::default());
    let Opened::Audio(mut audio) = open(&stream[..], &limits).unwrap() else {
        panic!("not opened as audio");
    };
    let mut pulled = Vec::new();
    while let Some(s) = audio.next_samples().unwrap() {
        pulled.extend(s);
    }
    assert_eq!(pulled, packet_decode(&stream));
    assert!(audio.report().complete);

    // Video.
    let frames = moving_frames(32, 32, ChromaFormat::Yuv420, 3);
    let y4m = Y4mHeader::new(32, 32, ChromaFormat::Yuv420, (30, 1));
    let mut enc = VideoEncoder::new(Vec::new(), &y4m, &VideoEncoderConfig::default()).unwrap();
    let mut recon = Vec::new();
    for f in &frames {
        enc.encode_frame(f).unwrap();
        recon.push(enc.reconstruction().unwrap().clone());
    }
    let stream = enc.finish().unwrap().0;
    let opened = open(&stream[..], &limits).unwrap();
    assert_eq!(opened.media(), quanta::container::MediaKind::Video);
    let Opened::Video(mut video) = opened else {
        panic!("not opened as video");
    };
    let mut got = Vec::new();
    while let Some(f) = video.next_frame().unwrap() {
        got.push(f.frame);
    }
    assert_eq!(got, recon);
    assert!(video.report().complete);

    // Picture.
    let picture = common::synthetic_picture(40, 24, PixelLayout::Rgb, 3);
    let mut stream = Vec::new();
    encode_picture(&picture, &ImageEncoderConfig::default(), &mut stream).unwrap();
    let Opened::Picture(opened) = open(&stream[..], &limits).unwrap() else {
        panic!("not opened as a picture");
    };
    let decoded = opened.decode().unwrap();
    let direct = decode_picture(&stream[..], &ImageDecodeOptions::default()).unwrap();
    assert_eq!(decoded.picture.data, direct.picture.data);
    assert!(decoded.report().complete && decoded.report().is_clean());

    // Not a stream.
    let err = open(&b"RIFF....WAVE"[..], &limits)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("QNTA"), "{err}");
}
