//! `quanta compare`: quality of a decoded picture against its reference.

use std::path::Path;

use quanta::media::image::read_picture;
use quanta::metrics::compare_pictures;
use quanta::{Error, Limits, Result};

use crate::{db, Finish};

pub fn run(reference: &Path, distorted: &Path, json: bool, ssimulacra2: bool) -> Result<Finish> {
    let limits = Limits::default();
    let a = read_picture(reference, &limits)?;
    let b = read_picture(distorted, &limits)?;
    let c = compare_pictures(&a, &b)?;
    let score = if ssimulacra2 {
        Some(quanta::bench::metric::ssimulacra2_score(&a, &b)?)
    } else {
        None
    };
    if json {
        let mut view = JsonComparison::from(&c);
        view.ssimulacra2 = score;
        let text = serde_json::to_string_pretty(&view)
            .map_err(|e| Error::InvalidArgument(format!("cannot format JSON: {e}")))?;
        println!("{text}");
    } else {
        println!("size        {}x{}", c.width, c.height);
        println!("PSNR Y      {} dB", db(c.psnr_y));
        if let (Some(cb), Some(cr)) = (c.psnr_cb, c.psnr_cr) {
            println!("PSNR Cb     {} dB", db(cb));
            println!("PSNR Cr     {} dB", db(cr));
            println!("PSNR YCbCr  {} dB  (6:1:1)", db(c.psnr_ycbcr));
        }
        if let Some(rgb) = c.psnr_rgb {
            println!("PSNR RGB    {} dB", db(rgb));
        }
        println!("SSIM Y      {:.5}", c.ssim_y);
        if let Some(s) = score {
            println!("SSIMULACRA2 {s:.3}");
        }
    }
    Ok(Finish::Ok)
}

/// JSON view: infinite PSNRs become the string "inf" (JSON has no infinity).
#[derive(serde::Serialize)]
struct JsonComparison {
    width: usize,
    height: usize,
    psnr_y: serde_json::Value,
    psnr_cb: serde_json::Value,
    psnr_cr: serde_json::Value,
    psnr_ycbcr: serde_json::Value,
    psnr_rgb: serde_json::Value,
    ssim_y: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssimulacra2: Option<f64>,
}

fn json_db(v: Option<f64>) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        Some(x) if x.is_finite() => serde_json::json!(x),
        Some(_) => serde_json::json!("inf"),
    }
}

impl From<&quanta::metrics::PictureComparison> for JsonComparison {
    fn from(c: &quanta::metrics::PictureComparison) -> Self {
        JsonComparison {
            width: c.width,
            height: c.height,
            psnr_y: json_db(Some(c.psnr_y)),
            psnr_cb: json_db(c.psnr_cb),
            psnr_cr: json_db(c.psnr_cr),
            psnr_ycbcr: json_db(Some(c.psnr_ycbcr)),
            psnr_rgb: json_db(c.psnr_rgb),
            ssim_y: c.ssim_y,
            ssimulacra2: None,
        }
    }
}
