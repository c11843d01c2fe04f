//! `quanta info`: a stream's header and a summary of its packets.

use std::path::Path;

use quanta::codec::image::lossless::{LosslessParams, PREDICTIVE_TRANSFORM_ID};
use quanta::codec::image::ImageParams;
use quanta::container::{summarize, MediaKind};
use quanta::{Error, Limits, Result};

use crate::Finish;

pub fn run(input: &Path, json: bool) -> Result<Finish> {
    let limits = Limits::default();
    let summary = if input == Path::new("-") {
        summarize(std::io::stdin().lock(), limits)?
    } else {
        let file = std::fs::File::open(input).map_err(|e| Error::io_path("open", input, e))?;
        summarize(std::io::BufReader::new(file), limits)?
    };
    let is_image = summary.header.media == MediaKind::Image;
    let predictive = is_image && summary.header.transform == PREDICTIVE_TRANSFORM_ID;
    let image = if is_image && !predictive {
        Some(ImageParams::from_bytes(&summary.header.params, &limits))
    } else {
        None
    };
    // Lossless and near-lossless pictures carry their own parameter block.
    let lossless = if predictive {
        Some(LosslessParams::from_bytes(&summary.header.params, &limits))
    } else {
        None
    };
    let bits_per_pixel = |w: u32, h: u32| summary.total_bytes as f64 * 8.0 / (w as f64 * h as f64);
    let damage: Vec<String> = summary.damaged.iter().map(|d| d.to_string()).collect();
    if json {
        let mut value = serde_json::json!({
            "format_version": summary.header.version,
            "media": summary.header.media.name(),
            "transform": summary.header.transform,
            "packets": summary.packets,
            "keyframes": summary.keyframes,
            "payload_bytes": summary.payload_bytes,
            "total_bytes": summary.total_bytes,
            "min_packet_bytes": summary.min_packet_bytes,
            "max_packet_bytes": summary.max_packet_bytes,
            "complete": summary.complete,
            "damage_count": summary.damage_count,
            "damage": damage,
        });
        if summary.header.media == MediaKind::Audio {
            if let Ok(p) = quanta::codec::audio::audio_params(&summary.header, &limits) {
                value["audio"] = serde_json::json!({
                    "sample_rate": p.sample_rate,
                    "channels": p.channels,
                    "total_samples": p.total_samples,
                    "frame_size": p.frame_size,
                    "frames_per_packet": p.frames_per_packet,
                    "delay": p.delay,
                    "mode": p.transform.name(),
                    "lossless": p.transform == quanta::codec::audio::AudioTransform::IntMdct,
                    "bits_per_sample": (p.transform
                        == quanta::codec::audio::AudioTransform::IntMdct)
                        .then_some(p.bits),
                    "tune": p.tune.name(),
                    "target_kbps": p.target_kbps,
                });
            }
        }
        if let Some(Ok(p)) = &image {
            value["image"] = serde_json::json!({
                "width": p.width,
                "height": p.height,
                "sampling": p.sampling.name(),
                "tile_size": p.tile_size,
                "tiles": p.tile_count(),
                "quality": p.quality,
                "deblock": p.deblock,
                "restore": p.restore,
                "activity_levels": p.activity_scales.len(),
                "bits_per_pixel": summary.total_bytes as f64 * 8.0 / (p.width as f64 * p.height as f64),
            });
        }
        if let Some(Ok(p)) = &lossless {
            value["image"] = serde_json::json!({
                "width": p.width,
                "height": p.height,
                "channels": p.channels,
                "mode": if p.max_error == 0 { "lossless" } else { "near-lossless" },
                "max_error": p.max_error,
                "bits_per_sample": p.bits,
                "strip_rows": p.strip_rows,
                "strips": p.strip_count(),
                "bits_per_pixel": bits_per_pixel(p.width, p.height),
            });
        }
        if let Some(v) = crate::video::info_json(&summary) {
            value["video"] = v;
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Error::InvalidArgument(format!("cannot format JSON: {e}")))?;
        println!("{text}");
    } else {
        println!("format      quanta v{}", summary.header.version);
        println!("media       {}", summary.header.media.name());
        println!("transform   {}", summary.header.transform);
        match &image {
            Some(Ok(p)) => {
                println!("picture     {}x{} {}", p.width, p.height, p.sampling.name());
                println!(
                    "tiles       {} of {}x{}",
                    p.tile_count(),
                    p.tile_size,
                    p.tile_size
                );
                println!("quality     {}", p.quality);
                println!(
                    "rate        {:.4} bits/pixel",
                    summary.total_bytes as f64 * 8.0 / (p.width as f64 * p.height as f64)
                );
            }
            Some(Err(e)) => println!("picture     bad parameters: {e}"),
            None => {}
        }
        match &lossless {
            Some(Ok(p)) => {
                let kind = if p.channels == 1 { "gray" } else { "RGB" };
                println!(
                    "picture     {}x{} {kind}, {}-bit",
                    p.width, p.height, p.bits
                );
                match p.max_error {
                    0 => println!("mode        lossless"),
                    n => println!("mode        near-lossless, every sample within ±{n}"),
                }
                println!("strips      {} of {} rows", p.strip_count(), p.strip_rows);
                println!(
                    "rate        {:.4} bits/pixel",
                    bits_per_pixel(p.width, p.height)
                );
            }
            Some(Err(e)) => println!("picture     bad parameters: {e}"),
            None => {}
        }
        crate::video::print_info(&summary);
        if summary.header.media == MediaKind::Audio {
            match quanta::codec::audio::audio_params(&summary.header, &limits) {
                Ok(p) => {
                    let end = summary
                        .end_payload
                        .as_deref()
                        .and_then(quanta::codec::audio::params::read_end_payload)
                        .map(|(t, _)| t);
                    for line in crate::audio::info_lines(&p, summary.total_bytes, end) {
                        println!("{line}");
                    }
                }
                Err(e) => println!("audio       bad parameters: {e}"),
            }
        }
        println!(
            "packets     {} ({} keyframes), payload {} bytes, packet sizes {}..{}",
            summary.packets,
            summary.keyframes,
            summary.payload_bytes,
            summary.min_packet_bytes,
            summary.max_packet_bytes
        );
        println!("total       {} bytes", summary.total_bytes);
        println!(
            "complete    {}",
            if summary.complete {
                "yes"
            } else {
                "no (truncated)"
            }
        );
        for d in &damage {
            println!("damage      {d}");
        }
    }
    if summary.complete && summary.damage_count == 0 {
        Ok(Finish::Ok)
    } else {
        Ok(Finish::Damaged)
    }
}
