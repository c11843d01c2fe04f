//! The lossless audio mode at 24 bits: bit-identical round trips of 24-bit PCM (mono,
//! stereo, odd lengths, full scale, near-mono) through the library and the `quanta`
//! binary (WAV and raw `s24le`), wasted low bits coded for free, damage concealment that
//! stays in range, and the depth in the header and in `quanta info`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use quanta::codec::audio::{
    audio_params, decode_audio, encode_audio, AudioDecodeOptions, AudioDecodeReport,
    AudioEncoderConfig, RateMode,
};
use quanta::container::ContainerReader;
use quanta::media::audio::{MemorySource, PcmDepth};
use quanta::Limits;

const LO: i32 = -(1 << 23);
const HI: i32 = (1 << 23) - 1;

/// Seeded 24-bit noise in `[LO, HI]`, scaled down by `2^quiet`.
fn noise(len: usize, seed: u64, quiet: u32) -> Vec<i32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| ((common::xorshift(&mut s) >> 40) as u32 as i32 >> 8) >> quiet)
        .collect()
}

/// Two tones with a little noise, at 24-bit resolution (`channels` interleaved).
fn tones(len: usize, channels: usize) -> Vec<i32> {
    let n = noise(len * channels, 3, 12);
    (0..len * channels)
        .map(|i| {
            let t = (i / channels) as f64 / 44_100.0;
            let v = 1_500_000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 500_000.0
                    * (2.0 * std::f64::consts::PI * (1000.0 + 300.0 * (i % channels) as f64) * t)
                        .sin()
                + n[i] as f64;
            v.round() as i32
        })
        .collect()
}

fn square(len: usize, channels: usize, period: usize) -> Vec<i32> {
    (0..len * channels)
        .map(|i| {
            if (i / channels / period) % 2 == 0 {
                HI
            } else {
                LO
            }
        })
        .collect()
}

fn to_f32(pcm: &[i32]) -> Vec<f32> {
    pcm.iter().map(|&v| v as f32 / 8_388_608.0).collect()
}

fn lossless(threads: usize, frames_per_packet: u8) -> AudioEncoderConfig {
    AudioEncoderConfig {
        rate: RateMode::Lossless,
        threads,
        frames_per_packet,
        ..AudioEncoderConfig::default()
    }
}

fn encode(pcm: &[i32], channels: usize, bits: u32, config: &AudioEncoderConfig) -> Vec<u8> {
    let mut stream = Vec::new();
    let source =
        MemorySource::new(44_100, channels, to_f32(pcm)).with_depth(PcmDepth::Integer(bits));
    encode_audio(source, config, &mut stream).unwrap();
    stream
}

/// Decodes to 24-bit integers; returns them and the decoder's report.
fn decode(stream: &[u8], threads: usize) -> (Vec<i32>, AudioDecodeReport) {
    let mut out = Vec::new();
    let options = AudioDecodeOptions {
        threads,
        ..AudioDecodeOptions::default()
    };
    let report = decode_audio(stream, &options, |s| {
        for &v in s {
            let x = v * 8_388_608.0;
            assert_eq!(x, x.round(), "the decoder gave a non-integer sample");
            assert!((LO as f32..=HI as f32).contains(&x), "{x} out of range");
            out.push(x as i32);
        }
        Ok(())
    })
    .unwrap();
    (out, report)
}

#[test]
fn library_round_trips_are_bit_identical() {
    let n = 1024;
    let mut near_mono = tones(9 * n + 11, 2);
    for i in (0..near_mono.len()).step_by(2 * 377) {
        near_mono[i] += 205;
    }
    let padded: Vec<i32> = tones(6 * n + 5, 2).iter().map(|&v| v >> 8 << 8).collect();
    let cases: Vec<(&str, usize, Vec<i32>)> = vec![
        ("mono noise", 1, noise(5 * n + 333, 1, 0)),
        ("stereo noise", 2, noise(2 * (7 * n + 1), 2, 0)),
        ("mono tones", 1, tones(12 * n + 17, 1)),
        ("stereo tones", 2, tones(12 * n + 17, 2)),
        ("near mono", 2, near_mono),
        ("exactly mono", 2, tones(3 * n + 1, 1).repeat(2)),
        ("padded 16-bit", 2, padded),
        ("stereo silence", 2, vec![0; 2 * (3 * n + 5)]),
        ("mono square", 1, square(4 * n + 9, 1, 50)),
        ("stereo square", 2, square(4 * n + 9, 2, 7)),
        ("stereo extremes", 2, [LO, HI].repeat(2 * n + 1)),
        ("opposed extremes", 2, [LO, HI, HI, LO].repeat(n + 3)),
        ("one sample", 1, vec![LO]),
        ("empty", 2, vec![]),
    ];
    for (name, channels, pcm) in &cases {
        for frames_per_packet in [16u8, 2] {
            let stream = encode(pcm, *channels, 24, &lossless(1, frames_per_packet));
            let header = ContainerReader::new(&stream[..], Limits::default()).unwrap();
            let params = audio_params(header.header(), &Limits::default()).unwrap();
            assert_eq!(params.bits, 24, "{name}");
            assert_eq!(header.header().params[0], 2, "{name}: params version");
            let (out, report) = decode(&stream, 2);
            assert!(report.damage.is_empty() && report.complete, "{name}");
            assert_eq!(report.concealed_frames, 0, "{name}");
            assert!(&out == pcm, "{name}: decoded samples differ");
        }
    }
    // Noise at full 24 bits cannot be compressed; tones can.
    let tones_stream = encode(&cases[3].2, 2, 24, &lossless(1, 16));
    assert!(
        tones_stream.len() * 2 < cases[3].2.len() * 3,
        "tones do not compress"
    );
}

/// A 16-bit signal padded to 24 bits (8 zero low bits) costs what the 16-bit stream does,
/// give or take the shift signalling; the same content at 24-bit resolution costs more.
#[test]
fn wasted_low_bits_are_free() {
    let pcm16 = tones(20 * 1024 + 3, 2)
        .iter()
        .map(|&v| v >> 8)
        .collect::<Vec<i32>>();
    let padded: Vec<i32> = pcm16.iter().map(|&v| v << 8).collect();
    let s16 = encode(
        &pcm16.iter().map(|&v| v << 8).collect::<Vec<_>>(),
        2,
        16,
        &lossless(1, 16),
    );
    let s24 = encode(&padded, 2, 24, &lossless(1, 16));
    assert_eq!(decode(&s24, 1).0, padded);
    let header = ContainerReader::new(&s16[..], Limits::default()).unwrap();
    assert_eq!(
        header.header().params[0],
        1,
        "a 16-bit source stays at version 1"
    );
    assert!(
        s24.len() as f64 <= s16.len() as f64 * 1.01 + 64.0,
        "padded 24-bit {} bytes against 16-bit {}",
        s24.len(),
        s16.len()
    );
    let deep = encode(&tones(20 * 1024 + 3, 2), 2, 24, &lossless(1, 16));
    assert!(
        deep.len() > s24.len() * 3 / 2,
        "{} {}",
        deep.len(),
        s24.len()
    );
}

/// Near-mono stereo (a few samples differ between the channels) codes the difference in
/// the time domain and costs little more than the mono signal.
#[test]
fn near_mono_costs_little_more_than_mono() {
    let mono = tones(20 * 1024, 1);
    let mut stereo: Vec<i32> = mono.iter().flat_map(|&v| [v, v]).collect();
    for i in (0..stereo.len()).step_by(2 * 301) {
        stereo[i] = stereo[i].saturating_add(205);
    }
    let m = encode(&mono, 1, 24, &lossless(1, 16));
    let s = encode(&stereo, 2, 24, &lossless(1, 16));
    assert_eq!(decode(&s, 1).0, stereo);
    assert!(
        (s.len() as f64) < m.len() as f64 * 1.15,
        "stereo {} against mono {}",
        s.len(),
        m.len()
    );
}

#[test]
fn thread_counts_give_identical_bytes() {
    let pcm = tones(30 * 1024 + 5, 2);
    let one = encode(&pcm, 2, 24, &lossless(1, 4));
    assert_eq!(one, encode(&pcm, 2, 24, &lossless(3, 4)));
    assert_eq!(decode(&one, 3).0, pcm);
}

/// Packet starts (after the header), found by their sync word.
fn packet_offsets(stream: &[u8]) -> Vec<usize> {
    stream
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == [0x9E, 0x51, 0x50, 0x4B])
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_damaged_packet_is_concealed_in_range_and_the_rest_is_exact() {
    let n = 1024;
    for (channels, pcm) in [
        (1usize, square(24 * n + 100, 1, 300)),
        (2, tones(24 * n + 100, 2)),
    ] {
        let stream = encode(&pcm, channels, 24, &lossless(2, 4));
        let offsets = packet_offsets(&stream);
        let mut damaged = stream.clone();
        damaged[offsets[2] + 17 + 40] ^= 0x10;
        // `decode` checks every sample is a 24-bit integer in range.
        let (out, report) = decode(&damaged, 2);
        assert_eq!(report.damage.len(), 1, "{:?}", report.damage);
        assert_eq!(report.concealed_frames, 4);
        assert_eq!(out.len(), pcm.len());
        let (from, to) = (7 * n * channels, 12 * n * channels);
        assert!(
            out[..from] == pcm[..from],
            "{channels} ch: before the damage"
        );
        assert!(out[to..] == pcm[to..], "{channels} ch: after the damage");
        assert!(out[from..to] != pcm[from..to]);
    }
}

#[test]
fn deeper_or_float_input_is_refused() {
    for depth in [PcmDepth::Integer(32), PcmDepth::Float] {
        let source = MemorySource::new(44_100, 1, vec![0.0; 10]).with_depth(depth);
        let err = encode_audio(source, &lossless(1, 16), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("24-bit"), "{err}");
    }
    // A 24-bit source whose samples are finer than 24 bits names the sample.
    let mut samples = to_f32(&tones(3000, 1));
    samples[2500] = 0.123_456_79;
    let source = MemorySource::new(44_100, 1, samples).with_depth(PcmDepth::Integer(24));
    let err = encode_audio(source, &lossless(1, 16), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("24-bit") && err.contains("sample 2500"),
        "{err}"
    );
}

// ---- through the binary ----

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .output()
        .expect("run quanta")
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_wav24(path: &Path, channels: u16, pcm: &[i32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: 44_100,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in pcm {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

fn s24le(pcm: &[i32]) -> Vec<u8> {
    pcm.iter()
        .flat_map(|v| v.to_le_bytes()[..3].to_vec())
        .collect()
}

#[test]
fn cli_round_trips_24_bit_wav_and_raw() {
    let dir = tempfile::tempdir().unwrap();
    for (channels, pcm) in [
        (1u16, tones(5 * 1024 + 77, 1)),
        (2u16, tones(5 * 1024 + 77, 2)),
        (2u16, square(3001, 2, 13)),
    ] {
        let wav = dir.path().join("in.wav");
        let qnt = dir.path().join("x.qnt");
        let out = dir.path().join("out.wav");
        write_wav24(&wav, channels, &pcm);
        let o = quanta(&["encode", path_str(&wav), "-o", path_str(&qnt), "--lossless"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("of 24-bit PCM"));
        // The decoder writes 24-bit WAV for a 24-bit stream by default.
        let o = quanta(&["decode", path_str(&qnt), "-o", path_str(&out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut r = hound::WavReader::open(&out).unwrap();
        assert_eq!(
            (r.spec().channels, r.spec().bits_per_sample),
            (channels, 24)
        );
        let back: Vec<i32> = r.samples::<i32>().map(|s| s.unwrap()).collect();
        assert!(back == pcm, "{channels} ch: the decoded WAV differs");
        // Raw s24le out, and 16-bit output on request (with a warning).
        let o = quanta(&["decode", path_str(&qnt), "-o", "-", "--format", "s24le"]);
        assert!(o.status.success());
        assert!(o.stdout == s24le(&pcm));
        let narrow = dir.path().join("narrow.wav");
        let o = quanta(&[
            "decode",
            path_str(&qnt),
            "-o",
            path_str(&narrow),
            "--bits",
            "16",
        ]);
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("16-bit output rounds"));
        assert_eq!(
            hound::WavReader::open(&narrow)
                .unwrap()
                .spec()
                .bits_per_sample,
            16
        );
        // quanta info shows the depth, in text and JSON.
        let info = quanta(&["info", path_str(&qnt)]);
        assert!(String::from_utf8_lossy(&info.stdout).contains("24-bit PCM"));
        let info = quanta(&["info", path_str(&qnt), "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(json["audio"]["bits_per_sample"], 24);
        // Raw s24le input gives the same stream as the WAV (both 24-bit, same samples).
        let raw = dir.path().join("in.raw");
        std::fs::write(&raw, s24le(&pcm)).unwrap();
        let from_raw = dir.path().join("raw.qnt");
        let ch = channels.to_string();
        let o = quanta(&[
            "encode",
            path_str(&raw),
            "-o",
            path_str(&from_raw),
            "--lossless",
            "--input-format",
            "s24le",
            "--rate",
            "44100",
            "--channels",
            &ch,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = quanta(&[
            "decode",
            path_str(&from_raw),
            "-o",
            "-",
            "--format",
            "s24le",
        ]);
        assert!(
            o.stdout == s24le(&pcm),
            "{channels} ch: raw round trip differs"
        );
    }
}
