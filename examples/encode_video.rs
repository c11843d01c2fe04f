//! Encodes a Y4M clip with the packet-level encoder, frame by frame:
//! `cargo run --release --example encode_video -- IN.y4m OUT.qnt [QUALITY]`. Uses only the
//! codec library (`default-features = false`).

use std::io::Write;

use quanta::codec::video::VideoEncoderConfig;
use quanta::media::y4m::Y4mReader;
use quanta::{FrameFormat, Limits, VideoPacketEncoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: encode_video IN.y4m OUT.qnt [QUALITY]".into());
    }
    let quality: u8 = args.get(3).map_or(Ok(60), |q| q.parse())?;
    let input = std::io::BufReader::new(std::fs::File::open(&args[1])?);
    let mut reader = Y4mReader::new(input, &args[1], &Limits::default())?;
    let header = reader.header().clone();
    let format = FrameFormat {
        width: header.width,
        height: header.height,
        chroma: header.chroma,
        frame_rate: header.frame_rate,
        pixel_aspect: header.aspect,
        interlace: header.interlace,
    };
    let config = VideoEncoderConfig {
        quality,
        ..VideoEncoderConfig::default()
    };
    let mut encoder = VideoPacketEncoder::new(format, &config)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    out.write_all(&encoder.header_bytes()?)?;
    let (mut frames, mut keyframes) = (0, 0);
    while let Some(frame) = reader.next_frame()? {
        encoder.send_frame(&frame)?;
        while let Some(packet) = encoder.receive_packet() {
            keyframes += packet.keyframe as u32;
            frames += 1;
            out.write_all(&packet.framed()?)?;
        }
    }
    // The frames still held for B-frames come out at the flush.
    encoder.flush()?;
    while let Some(packet) = encoder.receive_packet() {
        keyframes += packet.keyframe as u32;
        frames += 1;
        out.write_all(&packet.framed()?)?;
    }
    out.write_all(&encoder.end_packet()?)?;
    out.flush()?;
    println!("{frames} frames, {keyframes} keyframes");
    Ok(())
}
