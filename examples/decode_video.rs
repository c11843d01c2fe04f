//! Decodes a quanta video stream to Y4M through `quanta::open`:
//! `cargo run --release --example decode_video -- IN.qnt OUT.y4m`. Uses only the codec
//! library (`default-features = false`).

use quanta::media::y4m::Y4mWriter;
use quanta::{open, Limits, Opened};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: decode_video IN.qnt OUT.y4m".into());
    }
    let input = std::io::BufReader::new(std::fs::File::open(&args[1])?);
    let Opened::Video(mut video) = open(input, &Limits::default())? else {
        return Err(format!("{} is not a video stream", args[1]).into());
    };
    let p = video.params().clone();
    let header = p.y4m_header();
    let file = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    let mut writer = Y4mWriter::new(file, header)?;
    let mut frames = 0;
    while let Some(decoded) = video.next_frame()? {
        writer.write_frame(&decoded.frame)?;
        frames += 1;
    }
    let report = video.report();
    println!(
        "{frames} frames of {}x{}; {} frames concealed",
        p.width, p.height, report.concealed
    );
    Ok(())
}
