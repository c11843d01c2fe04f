//! The lossless audio mode (integer MDCT): bit-identical round trips of 16-bit PCM through
//! the library and the `quanta` binary, exact lengths, damage concealment that leaves the
//! rest identical, identical bytes for any thread count, and refusal of other input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use quanta::codec::audio::{
    audio_params, decode_audio, encode_audio, AudioDecodeOptions, AudioEncoderConfig,
    AudioTransform, RateMode,
};
use quanta::container::ContainerReader;
use quanta::media::audio::MemorySource;
use quanta::Limits;

/// Seeded xorshift 16-bit samples.
fn noise(len: usize, seed: u64) -> Vec<i16> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| (common::xorshift(&mut s) >> 48) as u16 as i16)
        .collect()
}

/// A quiet two-tone signal with a little noise: the kind of input the mode is for.
fn tones(len: usize, channels: usize) -> Vec<i16> {
    let n = noise(len * channels, 3);
    (0..len * channels)
        .map(|i| {
            let t = (i / channels) as f64 / 44_100.0;
            let v = 6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 2000.0
                    * (2.0 * std::f64::consts::PI * (1000.0 + 300.0 * (i % channels) as f64) * t)
                        .sin()
                + (n[i] / 1024) as f64;
            v.round() as i16
        })
        .collect()
}

fn square(len: usize, channels: usize, period: usize) -> Vec<i16> {
    (0..len * channels)
        .map(|i| {
            if (i / channels / period) % 2 == 0 {
                i16::MAX
            } else {
                i16::MIN
            }
        })
        .collect()
}

fn to_f32(pcm: &[i16]) -> Vec<f32> {
    pcm.iter().map(|&v| v as f32 / 32768.0).collect()
}

fn lossless(threads: usize, frames_per_packet: u8) -> AudioEncoderConfig {
    AudioEncoderConfig {
        rate: RateMode::Lossless,
        threads,
        frames_per_packet,
        ..AudioEncoderConfig::default()
    }
}

fn encode(pcm: &[i16], channels: usize, config: &AudioEncoderConfig) -> Vec<u8> {
    let mut stream = Vec::new();
    encode_audio(
        MemorySource::new(44_100, channels, to_f32(pcm)),
        config,
        &mut stream,
    )
    .unwrap();
    stream
}

/// Decodes to 16-bit samples; returns them and the decoder's report.
fn decode(stream: &[u8], threads: usize) -> (Vec<i16>, quanta::codec::audio::AudioDecodeReport) {
    let mut out = Vec::new();
    let options = AudioDecodeOptions {
        threads,
        ..AudioDecodeOptions::default()
    };
    let report = decode_audio(stream, &options, |s| {
        for &v in s {
            let x = v * 32768.0;
            assert_eq!(x, x.round(), "the decoder gave a non-integer sample");
            out.push(x as i16);
        }
        Ok(())
    })
    .unwrap();
    (out, report)
}

#[test]
fn library_round_trips_are_bit_identical() {
    let n = 1024;
    let cases: Vec<(&str, usize, Vec<i16>)> = vec![
        ("mono noise", 1, noise(5 * n + 333, 1)),
        ("stereo noise", 2, noise(2 * (7 * n + 1), 2)),
        ("mono tones", 1, tones(20 * n + 17, 1)),
        ("stereo tones", 2, tones(20 * n + 17, 2)),
        ("stereo silence", 2, vec![0; 2 * (3 * n + 5)]),
        ("mono square", 1, square(4 * n + 9, 1, 50)),
        ("stereo square", 2, square(4 * n + 9, 2, 7)),
        ("stereo extremes", 2, [i16::MIN, i16::MAX].repeat(2 * n + 1)),
        ("one sample", 1, vec![-32768]),
        ("empty", 2, vec![]),
    ];
    for (name, channels, pcm) in &cases {
        for frames_per_packet in [16u8, 2] {
            let stream = encode(pcm, *channels, &lossless(1, frames_per_packet));
            let header = ContainerReader::new(&stream[..], Limits::default()).unwrap();
            let params = audio_params(header.header(), &Limits::default()).unwrap();
            assert_eq!(params.transform, AudioTransform::IntMdct);
            let (out, report) = decode(&stream, 1);
            assert!(report.damage.is_empty() && report.complete, "{name}");
            assert_eq!(report.concealed_frames, 0, "{name}");
            assert_eq!(report.samples as usize, pcm.len() / channels, "{name}");
            assert!(&out == pcm, "{name}: decoded samples differ");
        }
    }
    // Silence costs next to nothing; noise cannot be compressed.
    let silence = encode(&cases[4].2, 2, &lossless(1, 16));
    assert!(silence.len() < 200, "{}", silence.len());
    let tones_stream = encode(&cases[3].2, 2, &lossless(1, 16));
    assert!(
        tones_stream.len() * 2 < cases[3].2.len() * 2,
        "tones do not compress"
    );
}

#[test]
fn thread_counts_give_identical_bytes() {
    let pcm = tones(30 * 1024 + 5, 2);
    let one = encode(&pcm, 2, &lossless(1, 4));
    let three = encode(&pcm, 2, &lossless(3, 4));
    assert_eq!(one, three);
    assert_eq!(decode(&one, 3).0, pcm);
    let mono = tones(30 * 1024 + 5, 1);
    assert_eq!(
        encode(&mono, 1, &lossless(1, 4)),
        encode(&mono, 1, &lossless(2, 4))
    );
}

/// Packet `index`'s start in a stream (after the header), found by its sync word.
fn packet_offsets(stream: &[u8]) -> Vec<usize> {
    stream
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == [0x9E, 0x51, 0x50, 0x4B])
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_damaged_packet_is_concealed_and_the_rest_is_exact() {
    let n = 1024;
    for channels in [1usize, 2] {
        let pcm = tones(24 * n + 100, channels);
        let stream = encode(&pcm, channels, &lossless(2, 4));
        let offsets = packet_offsets(&stream);
        // Damage the payload of the third packet (frames 8 to 11).
        let mut damaged = stream.clone();
        damaged[offsets[2] + 17 + 40] ^= 0x10;
        let (out, report) = decode(&damaged, 2);
        assert_eq!(report.damage.len(), 1, "{:?}", report.damage);
        assert_eq!(report.concealed_frames, 4);
        assert_eq!(out.len(), pcm.len());
        // Frames 8..12 are lost: blocks 7..=11 (samples [7N, 12N)) need them.
        let (from, to) = (7 * n * channels, 12 * n * channels);
        assert!(
            out[..from] == pcm[..from],
            "{channels} ch: before the damage"
        );
        assert!(out[to..] == pcm[to..], "{channels} ch: after the damage");
        assert!(out[from..to] != pcm[from..to]);
        // Losing the end keeps the length.
        let cut = &stream[..offsets[offsets.len() - 2]];
        let (out, report) = decode(cut, 1);
        assert!(!report.complete);
        assert_eq!(out.len(), pcm.len());
    }
}

#[test]
fn input_that_is_not_16_bit_is_refused() {
    let mut samples = to_f32(&tones(3000, 1));
    samples[2500] = 0.123_456_79;
    let err = encode_audio(
        MemorySource::new(44_100, 1, samples),
        &lossless(1, 16),
        &mut Vec::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("16-bit") && err.contains("sample 2500"),
        "{err}"
    );
    let kbd = AudioEncoderConfig {
        window: quanta::transform::window::WindowShape::Kbd,
        ..lossless(1, 16)
    };
    assert!(kbd.validate().is_err());
    let odd = lossless(1, 3);
    let err = encode_audio(
        MemorySource::new(44_100, 1, vec![0.0; 10]),
        &odd,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("even"), "{err}");
}

// ---- through the binary ----

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .output()
        .expect("run quanta")
}

fn write_wav(path: &Path, channels: u16, bits: u16, float: bool, pcm: &[i16]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: 44_100,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in pcm {
        match (float, bits) {
            (true, _) => w.write_sample(v as f32 / 32768.0).unwrap(),
            (false, 16) => w.write_sample(v).unwrap(),
            (false, _) => w.write_sample((v as i32) << (bits - 16)).unwrap(),
        }
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let samples = r.samples::<i16>().map(|s| s.unwrap()).collect();
    (spec, samples)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_round_trips_are_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    for (channels, pcm) in [
        (1u16, tones(9 * 1024 + 77, 1)),
        (2u16, tones(9 * 1024 + 77, 2)),
        (2u16, square(3000, 2, 13)),
        (1u16, noise(5001, 9)),
    ] {
        let wav = dir.path().join("in.wav");
        let qnt = dir.path().join("x.qnt");
        let out = dir.path().join("out.wav");
        write_wav(&wav, channels, 16, false, &pcm);
        let o = quanta(&["encode", path_str(&wav), "-o", path_str(&qnt), "--lossless"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = quanta(&["decode", path_str(&qnt), "-o", path_str(&out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (spec, back) = read_wav(&out);
        assert_eq!((spec.channels, spec.bits_per_sample), (channels, 16));
        assert!(back == pcm, "{channels} ch: the decoded WAV differs");
        let info = quanta(&["info", path_str(&qnt)]);
        assert!(String::from_utf8_lossy(&info.stdout).contains("lossless"));
        // Other thread counts give the same bytes.
        let again = dir.path().join("y.qnt");
        let o = quanta(&[
            "encode",
            path_str(&wav),
            "-o",
            path_str(&again),
            "--lossless",
            "--threads",
            "1",
        ]);
        assert!(o.status.success());
        assert_eq!(std::fs::read(&qnt).unwrap(), std::fs::read(&again).unwrap());
    }
}

#[test]
fn cli_refuses_bad_options_and_input() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let qnt = dir.path().join("x.qnt");
    write_wav(&wav, 2, 16, false, &tones(2000, 2));
    for extra in [
        &["--bitrate", "96"][..],
        &["--quality", "50"],
        &["--tune", "psnr"],
    ] {
        let mut args = vec!["encode", path_str(&wav), "-o", path_str(&qnt), "--lossless"];
        args.extend_from_slice(extra);
        let o = quanta(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--lossless"));
    }
    // Float samples are refused (24-bit integer PCM is coded: tests/audio_lossless24.rs).
    write_wav(&wav, 1, 32, true, &tones(2000, 1));
    let o = quanta(&["encode", path_str(&wav), "-o", path_str(&qnt), "--lossless"]);
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(
        message.contains("16-bit or 24-bit") && message.contains("float"),
        "{message}"
    );
    assert!(!qnt.exists());
}

/// Block switching is a lossy tool: with it on (the default) a lossless encode of sharp
/// attacks still codes long frames only, keeps its params version 1 header and round trips
/// bit for bit; the same signal coded lossy goes short and is at params version 5.
#[test]
fn lossless_streams_never_switch_blocks_and_keep_params_version_1() {
    let n = 44_100;
    let mut pcm = vec![0i16; 2 * n];
    let clicks = noise(2 * n, 9);
    for start in [5_000usize, 17_321, 30_000] {
        for i in start..start + 2_000 {
            let decay = (-((i - start) as f64) / 300.0).exp();
            for ch in 0..2 {
                pcm[2 * i + ch] = (clicks[2 * i + ch] as f64 * decay).round() as i16;
            }
        }
    }
    let config = lossless(1, 16);
    assert!(config.block_switching);
    let mut stream = Vec::new();
    let outcome = encode_audio(
        MemorySource::new(44_100, 2, to_f32(&pcm)),
        &config,
        &mut stream,
    )
    .unwrap();
    assert_eq!(outcome.short_frames, 0);
    let header = ContainerReader::new(&stream[..], Limits::default()).unwrap();
    assert_eq!(header.header().params[0], 1);
    let (out, report) = decode(&stream, 1);
    assert!(report.damage.is_empty() && report.complete);
    assert!(out == pcm, "decoded samples differ");

    let lossy = AudioEncoderConfig {
        rate: RateMode::Quality(80),
        threads: 1,
        ..AudioEncoderConfig::default()
    };
    let mut stream = Vec::new();
    let outcome = encode_audio(
        MemorySource::new(44_100, 2, to_f32(&pcm)),
        &lossy,
        &mut stream,
    )
    .unwrap();
    assert!(outcome.short_frames > 0);
    let header = ContainerReader::new(&stream[..], Limits::default()).unwrap();
    let params = audio_params(header.header(), &Limits::default()).unwrap();
    assert_eq!(params.transform, AudioTransform::Mdct);
    assert_eq!(header.header().params[0], 5);
}
