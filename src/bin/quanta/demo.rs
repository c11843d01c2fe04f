//! `quanta demo`: encodes the bundled sample pictures at several qualities, decodes them,
//! and prints rate against quality.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::media::image::{encode_picture_file, read_picture, PictureFormat};
use quanta::metrics::compare_pictures;
use quanta::{Error, Limits, Result};

use crate::output::{write_all, Destination};
use crate::{db, Finish};

#[derive(Args)]
pub struct DemoArgs {
    /// Folder of sample media (default: ./samples, or the one beside the quanta sources).
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Where to write the encoded streams and decoded pictures.
    #[arg(long, default_value = "quanta-demo-out")]
    out: PathBuf,
    /// Qualities to encode at.
    #[arg(long, value_delimiter = ',', default_value = "30,50,75,90")]
    qualities: Vec<u8>,
}

fn samples_dir(arg: &Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = arg {
        return Ok(dir.clone());
    }
    let here = PathBuf::from("samples");
    if here.is_dir() {
        return Ok(here);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    if beside.is_dir() {
        return Ok(beside);
    }
    Err(Error::InvalidArgument(
        "no samples folder found (run from the quanta source tree or pass --samples DIR)".into(),
    ))
}

pub fn run(args: DemoArgs) -> Result<Finish> {
    let dir = samples_dir(&args.samples)?;
    let mut pictures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io_path("list", &dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pictures.sort();
    if pictures.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no .png samples in {}",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io_path("create", &args.out, e))?;
    println!(
        "| {:<24} | {:>3} | {:>9} | {:>6} | {:>10} | {:>7} | {:>7} | {:>7} |",
        "picture", "q", "bytes", "bpp", "PSNR YCbCr", "PSNR Y", "SSIM Y", "enc MP/s"
    );
    println!(
        "|{:-<26}|{:-<5}|{:-<11}|{:-<8}|{:-<12}|{:-<9}|{:-<9}|{:-<10}|",
        "", "", "", "", "", "", "", ""
    );
    for path in &pictures {
        let picture = read_picture(path, &Limits::default())?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        for &quality in &args.qualities {
            let config = ImageEncoderConfig {
                quality: quality.min(100),
                ..ImageEncoderConfig::default()
            };
            let mut stream = Vec::new();
            let start = Instant::now();
            let outcome = encode_picture(&picture, &config, &mut stream)?;
            let encode_seconds = start.elapsed().as_secs_f64();
            let decoded = decode_picture(stream.as_slice(), &ImageDecodeOptions::default())?;
            let c = compare_pictures(&picture, &decoded.picture)?;
            let base = args.out.join(format!("{stem}_q{quality}"));
            write_all(&Destination::File(base.with_extension("qnt")), &stream)?;
            let png = encode_picture_file(&decoded.picture, PictureFormat::Png)?;
            write_all(&Destination::File(base.with_extension("png")), &png)?;
            println!(
                "| {:<24} | {:>3} | {:>9} | {:>6.3} | {:>10} | {:>7} | {:>7.4} | {:>8.1} |",
                stem,
                quality,
                outcome.bytes,
                outcome.bytes as f64 * 8.0 / picture.pixels() as f64,
                db(c.psnr_ycbcr),
                db(c.psnr_y),
                c.ssim_y,
                picture.pixels() as f64 / encode_seconds / 1e6
            );
        }
    }
    println!(
        "\nEncoded streams (.qnt) and decoded pictures (.png) are in {}",
        args.out.display()
    );
    Ok(Finish::Ok)
}
