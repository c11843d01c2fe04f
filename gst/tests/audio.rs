//! quantaaudioenc and quantaaudiodec in a GStreamer harness: a bit-exact lossless round
//! trip, the output length of a lossy one, stream framing and timestamps, and a damaged
//! unit that is reported while decoding goes on.

mod common;

use gst::prelude::*;

const RATE: u32 = 48_000;

/// A two-tone stereo test signal of `frames` sample frames as interleaved 16-bit samples.
fn signal(frames: usize) -> Vec<i16> {
    let mut out = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        let t = n as f64 / f64::from(RATE);
        let left = 0.4 * (2.0 * std::f64::consts::PI * 440.0 * t).sin();
        let right = 0.3 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin()
            + 0.05 * ((n * 7919 % 1000) as f64 / 1000.0 - 0.5);
        out.push((left * 32767.0).round() as i16);
        out.push((right * 32767.0).round() as i16);
    }
    out
}

fn s16_caps(channels: i32) -> gst::Caps {
    gst_audio::AudioCapsBuilder::new_interleaved()
        .format(gst_audio::AudioFormat::S16le)
        .rate(RATE as i32)
        .channels(channels)
        .build()
}

/// The samples as timestamped buffers of `chunk` sample frames.
fn buffers(samples: &[i16], channels: usize, chunk: usize) -> Vec<gst::Buffer> {
    let mut out = Vec::new();
    let mut frame = 0u64;
    for part in samples.chunks(chunk * channels) {
        let bytes: Vec<u8> = part.iter().flat_map(|s| s.to_le_bytes()).collect();
        let frames = (part.len() / channels) as u64;
        let mut buffer = gst::Buffer::from_mut_slice(bytes);
        {
            let b = buffer.get_mut().unwrap();
            b.set_pts(gst::ClockTime::SECOND.mul_div_floor(frame, u64::from(RATE)));
            b.set_duration(gst::ClockTime::SECOND.mul_div_floor(frames, u64::from(RATE)));
        }
        frame += frames;
        out.push(buffer);
    }
    out
}

fn s16_samples(buffers: &[gst::Buffer]) -> Vec<i16> {
    common::concatenate(buffers)
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn lossless_s16_round_trip_is_bit_exact() {
    common::init();
    let input = signal(48_000 + 777);
    let (mut h, bus) = common::harness("quantaaudioenc lossless=true ! quantaaudiodec");
    let out = common::run(&mut h, s16_caps(2), buffers(&input, 2, 1024));
    let caps = common::output_caps(&h);
    let info = gst_audio::AudioInfo::from_caps(&caps).expect("raw audio caps");
    assert_eq!(info.format(), gst_audio::AudioFormat::S16le);
    assert_eq!((info.rate(), info.channels()), (RATE, 2));
    let output = s16_samples(&out);
    assert_eq!(output.len(), input.len(), "output length");
    assert!(output == input, "decoded samples differ from the input");
    assert!(common::warnings(&bus).is_empty());

    // The buffers carry the output timeline: each starts where the previous ended, and the
    // last ends at the input's duration.
    let mut next = gst::ClockTime::ZERO;
    for b in out.iter().filter(|b| b.size() > 0) {
        let pts = b.pts().expect("timestamped");
        assert!(
            pts.nseconds().abs_diff(next.nseconds()) <= 1,
            "buffer at {pts} after one ending at {next}"
        );
        next = pts + b.duration().expect("has a duration");
    }
    let total = gst::ClockTime::SECOND
        .mul_div_floor(48_777, u64::from(RATE))
        .unwrap();
    assert!(
        next.nseconds().abs_diff(total.nseconds()) <= 1,
        "ends at {next}"
    );
}

#[test]
fn encoder_output_is_a_stream_file_with_header_and_end_units() {
    common::init();
    let input = signal(20_000);
    let (mut h, _bus) = common::harness("quantaaudioenc bitrate=64");
    let out = common::run(&mut h, s16_caps(2), buffers(&input, 2, 960));
    assert!(out.len() >= 3, "{} buffers", out.len());
    assert!(out[0].flags().contains(gst::BufferFlags::HEADER));
    assert!(out[1..]
        .iter()
        .all(|b| !b.flags().contains(gst::BufferFlags::HEADER)));

    // The caps carry the same header.
    let caps = common::output_caps(&h);
    let s = caps.structure(0).unwrap();
    assert_eq!(s.name(), "audio/x-quanta");
    let header = s
        .get::<gst::ArrayRef>("streamheader")
        .expect("streamheader");
    let header = header.as_slice()[0].get::<gst::Buffer>().unwrap();
    assert_eq!(common::bytes_of(&header), common::bytes_of(&out[0]));

    // Unit by unit: header, packets, end packet.
    let limits = quanta::Limits::default();
    assert!(matches!(
        quanta::read_unit(&common::bytes_of(&out[0]), &limits),
        Ok(quanta::Unit::Header(_))
    ));
    for b in &out[1..out.len() - 1] {
        assert!(matches!(
            quanta::read_unit(&common::bytes_of(b), &limits),
            Ok(quanta::Unit::Packet(_))
        ));
    }
    assert!(matches!(
        quanta::read_unit(&common::bytes_of(out.last().unwrap()), &limits),
        Ok(quanta::Unit::End(_))
    ));

    // Concatenated, the buffers decode with the library to the input's length.
    let file = common::concatenate(&out);
    let mut decoded = 0usize;
    let options = quanta::codec::audio::AudioDecodeOptions::default();
    quanta::codec::audio::decode_audio(file.as_slice(), &options, |samples| {
        decoded += samples.len();
        Ok(())
    })
    .expect("the library decodes the stream");
    assert_eq!(decoded, input.len());
}

#[test]
fn encoder_reports_its_delay_as_latency() {
    common::init();
    let (mut h, _bus) = common::harness("quantaaudioenc");
    let out = common::run(&mut h, s16_caps(2), buffers(&signal(4000), 2, 1000));
    assert!(!out.is_empty());
    let header = quanta::read_unit(&common::bytes_of(&out[0]), &quanta::Limits::default());
    let Ok(quanta::Unit::Header(header)) = header else {
        panic!("the first buffer is not a stream header");
    };
    let params = quanta::codec::audio::audio_params(&header, &quanta::Limits::default()).unwrap();
    // One packet of frames and a frame of overlap are held before the first packet.
    let delay = (u64::from(params.frames_per_packet) + 1) * params.frame_size as u64;
    let expected = gst::ClockTime::SECOND.mul_div_floor(delay, u64::from(RATE));
    assert_eq!(h.query_latency(), expected);
}

#[test]
fn lossless_encoder_offers_16_bit_input_only() {
    common::init();
    let formats = |lossless: bool| -> Vec<String> {
        let enc = gst::ElementFactory::make("quantaaudioenc")
            .property("lossless", lossless)
            .build()
            .unwrap();
        let caps = enc.static_pad("sink").unwrap().query_caps(None);
        let mut formats: Vec<String> = caps
            .iter()
            .flat_map(|s| match s.get::<gst::List>("format") {
                Ok(list) => list.iter().map(|v| v.get::<String>().unwrap()).collect(),
                Err(_) => vec![s.get::<String>("format").unwrap()],
            })
            .collect();
        formats.sort();
        formats.dedup();
        formats
    };
    assert_eq!(formats(true), ["S16LE"]);
    assert_eq!(formats(false), ["F32LE", "S16LE"]);
}

#[test]
fn lossy_output_length_equals_input_length() {
    common::init();
    for (frames, channels) in [(30_001usize, 2usize), (1_500, 1), (4096, 2)] {
        let mut input = signal(frames);
        if channels == 1 {
            input = input.iter().step_by(2).copied().collect();
        }
        let (mut h, _bus) = common::harness("quantaaudioenc bitrate=0 quality=40 ! quantaaudiodec");
        let out = common::run(
            &mut h,
            s16_caps(channels as i32),
            buffers(&input, channels, 441),
        );
        let caps = common::output_caps(&h);
        let info = gst_audio::AudioInfo::from_caps(&caps).unwrap();
        assert_eq!(info.format(), gst_audio::AudioFormat::F32le);
        let bytes = common::concatenate(&out).len();
        assert_eq!(
            bytes / 4,
            input.len(),
            "{frames} frames of {channels} channels: output length"
        );
    }
}

#[test]
fn damaged_unit_gives_a_warning_and_decoding_goes_on() {
    common::init();
    let input = signal(40_000);
    let (mut enc, _) = common::harness("quantaaudioenc lossless=true");
    let mut units = common::run(&mut enc, s16_caps(2), buffers(&input, 2, 1024));
    let caps = common::output_caps(&enc);
    assert!(units.len() > 4, "{} units", units.len());

    // Flip a byte in the middle of the second packet's payload.
    let victim = 2;
    let mut bytes = common::bytes_of(&units[victim]);
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    let mut damaged = gst::Buffer::from_mut_slice(bytes);
    {
        let d = damaged.get_mut().unwrap();
        d.set_pts(units[victim].pts());
        d.set_duration(units[victim].duration());
    }
    units[victim] = damaged;

    let (mut dec, bus) = common::harness("quantaaudiodec");
    let out = common::run(&mut dec, caps, units);
    let warnings = common::warnings(&bus);
    assert!(!warnings.is_empty(), "no warning for the damaged unit");
    let output = s16_samples(&out);
    // The packets after the damaged one decode exactly.
    assert!(
        output.len() >= input.len() / 2,
        "{} samples out",
        output.len()
    );
    let tail = 5000.min(output.len());
    assert_eq!(
        output[output.len() - tail..],
        input[input.len() - tail..],
        "the end of the stream decodes bit for bit"
    );
}

#[test]
fn stream_cut_before_its_end_packet_still_decodes() {
    common::init();
    let input = signal(20_000);
    let (mut enc, _) = common::harness("quantaaudioenc lossless=true");
    let mut units = common::run(&mut enc, s16_caps(2), buffers(&input, 2, 1024));
    let caps = common::output_caps(&enc);
    units.pop(); // the end-of-stream packet
    let (mut dec, bus) = common::harness("quantaaudiodec");
    let out = common::run(&mut dec, caps, units);
    let output = s16_samples(&out);
    // Every packet's samples come out, exact; the end packet only trims the last one.
    assert!(
        output.len() >= input.len(),
        "{} of {} samples",
        output.len(),
        input.len()
    );
    assert_eq!(output[..input.len()], input[..]);
    let errors: Vec<_> =
        std::iter::from_fn(|| bus.pop_filtered(&[gst::MessageType::Error])).collect();
    assert!(errors.is_empty(), "{errors:?}");
}
