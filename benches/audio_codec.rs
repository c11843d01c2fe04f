//! Speed of the audio codec on 48 kHz stereo: encode at 96 kbit/s (perceptual and PSNR
//! tunes) on one thread, and decode. Uses the corpus clip beside the project when present
//! (../shared/corpus/audio/music_pingus_goin_march.wav, 20 s), else 10 s of a synthetic
//! signal. Throughput is in sample frames (criterion's "elements"): divide by 48 000 to get
//! seconds of audio per second, the realtime factor.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quanta::codec::audio::{
    decode_audio, encode_audio, AudioDecodeOptions, AudioEncoderConfig, AudioTune, RateMode,
};
use quanta::media::audio::{read_audio_file, MemorySource};

fn clip() -> (u32, Vec<f32>) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/audio/music_pingus_goin_march.wav");
    if let Ok((rate, 2, samples)) = read_audio_file(&corpus) {
        return (rate, samples);
    }
    let rate = 48_000;
    let samples = (0..rate as usize * 10)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            let v = 0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3000.0 * t * (1.0 + t)).sin();
            [v, 0.8 * v]
        })
        .collect();
    (rate, samples)
}

fn audio_codec(c: &mut Criterion) {
    let (rate, samples) = clip();
    let mut group = c.benchmark_group("audio_48k_stereo");
    group.sample_size(10);
    group.throughput(Throughput::Elements((samples.len() / 2) as u64));
    for tune in [AudioTune::Perceptual, AudioTune::Psnr] {
        let config = AudioEncoderConfig {
            rate: RateMode::Bitrate(96.0),
            tune,
            threads: 1,
            ..AudioEncoderConfig::default()
        };
        group.bench_function(format!("encode_96k_{}_threads1", tune.name()), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(1 << 20);
                let source = MemorySource::new(rate, 2, black_box(samples.clone()));
                encode_audio(source, &config, &mut out).expect("encode");
                out
            })
        });
    }
    let mut stream = Vec::new();
    encode_audio(
        MemorySource::new(rate, 2, samples.clone()),
        &AudioEncoderConfig::default(),
        &mut stream,
    )
    .expect("encode");
    group.bench_function("decode_96k_threads1", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let options = AudioDecodeOptions {
                threads: 1,
                ..AudioDecodeOptions::default()
            };
            decode_audio(black_box(stream.as_slice()), &options, |s| {
                n += s.len();
                Ok(())
            })
            .expect("decode");
            n
        })
    });
    group.finish();
}

criterion_group!(benches, audio_codec);
criterion_main!(benches);
