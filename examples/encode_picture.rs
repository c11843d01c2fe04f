//! Encodes a picture (PNG, JPEG, ...): `cargo run --release --example encode_picture --
//! IN.png OUT.qnt [QUALITY]`. Uses only the codec library (`default-features = false`).

use quanta::codec::image::{encode_picture, ImageEncoderConfig};
use quanta::media::image::read_picture;
use quanta::Limits;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: encode_picture IN OUT.qnt [QUALITY]".into());
    }
    let quality: u8 = args.get(3).map_or(Ok(75), |q| q.parse())?;
    let picture = read_picture(std::path::Path::new(&args[1]), &Limits::default())?;
    let config = ImageEncoderConfig {
        quality,
        ..ImageEncoderConfig::default()
    };
    let out = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    let outcome = encode_picture(&picture, &config, out)?;
    println!(
        "{}x{}: {} bytes",
        picture.width, picture.height, outcome.bytes
    );
    Ok(())
}
