//! Encodes an audio file with the packet-level encoder, as a program that receives samples
//! in pieces would: `cargo run --release --example encode_audio -- IN.wav OUT.qnt [KBPS]`
//! (KBPS 0 codes losslessly). Uses only the codec library (`default-features = false`).

use std::io::Write;

use quanta::codec::audio::{AudioEncoderConfig, RateMode};
use quanta::media::audio::{AudioSource, SymphoniaSource};
use quanta::{AudioFormat, AudioPacketEncoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: encode_audio IN OUT.qnt [KBPS]".into());
    }
    let kbps: f64 = args.get(3).map_or(Ok(96.0), |k| k.parse())?;
    let mut source = SymphoniaSource::open(std::path::Path::new(&args[1]))?;
    let format = AudioFormat {
        sample_rate: source.sample_rate(),
        channels: source.channels(),
        depth: source.pcm_depth(),
    };
    let config = AudioEncoderConfig {
        rate: if kbps == 0.0 {
            RateMode::Lossless
        } else {
            RateMode::Bitrate(kbps)
        },
        ..AudioEncoderConfig::default()
    };
    let mut encoder = AudioPacketEncoder::new(format, &config)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    out.write_all(&encoder.header_bytes()?)?;
    let mut chunk = Vec::new();
    let mut packets = 0;
    loop {
        chunk.clear();
        if source.read_frames(&mut chunk, 4096)? == 0 {
            break;
        }
        encoder.send_samples(&chunk)?;
        while let Some(packet) = encoder.receive_packet() {
            out.write_all(&packet.framed()?)?;
            packets += 1;
        }
    }
    encoder.flush()?;
    while let Some(packet) = encoder.receive_packet() {
        out.write_all(&packet.framed()?)?;
        packets += 1;
    }
    out.write_all(&encoder.end_packet()?)?;
    out.flush()?;
    println!(
        "{} samples per channel in {packets} packets",
        encoder.samples_in()
    );
    Ok(())
}
