//! Decodes a quanta audio stream to a WAV file through `quanta::open`:
//! `cargo run --release --example decode_audio -- IN.qnt OUT.wav`. Uses only the codec
//! library (`default-features = false`).

use quanta::media::audio::{WavBits, WavSink};
use quanta::{open, Limits, Opened};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: decode_audio IN.qnt OUT.wav".into());
    }
    let input = std::io::BufReader::new(std::fs::File::open(&args[1])?);
    let Opened::Audio(mut audio) = open(input, &Limits::default())? else {
        return Err(format!("{} is not an audio stream", args[1]).into());
    };
    let params = *audio.params();
    let bits = match params.bits {
        24 => WavBits::Int24,
        _ => WavBits::Int16,
    };
    let file = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    let mut wav = WavSink::new(file, params.sample_rate, params.channels as u16, bits)?;
    let mut samples = 0;
    while let Some(run) = audio.next_samples()? {
        wav.write(&run)?;
        samples += run.len() / params.channels as usize;
    }
    wav.finalize()?;
    let report = audio.report();
    println!(
        "{samples} samples per channel at {} Hz; {} damaged stretches, {} frames concealed",
        params.sample_rate,
        report.damage.len(),
        report.concealed
    );
    Ok(())
}
