//! Decodes a quanta picture to PNG through `quanta::open`:
//! `cargo run --release --example decode_picture -- IN.qnt OUT.png`. Uses only the codec
//! library (`default-features = false`).

use quanta::media::image::{encode_picture_file, PictureFormat};
use quanta::{open, Limits, Opened};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: decode_picture IN.qnt OUT.png".into());
    }
    let input = std::io::BufReader::new(std::fs::File::open(&args[1])?);
    let Opened::Picture(stream) = open(input, &Limits::default())? else {
        return Err(format!("{} is not a picture", args[1]).into());
    };
    let decoded = stream.decode()?;
    std::fs::write(
        &args[2],
        encode_picture_file(&decoded.picture, PictureFormat::Png)?,
    )?;
    let report = decoded.report();
    println!(
        "{}x{}; {} tiles concealed",
        decoded.picture.width, decoded.picture.height, report.concealed
    );
    Ok(())
}
