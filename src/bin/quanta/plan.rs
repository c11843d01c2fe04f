//! `quanta plan`: cuts a Y4M clip or an audio file into segments for `quanta encode
//! --segment` and writes the list as JSON.
//!
//! Video: boundaries every N frames (`--segment-frames`, or `--segment-seconds` times the
//! frame rate), each moved to the nearest scene cut within a quarter of a segment, found by
//! the encoder's lookahead detector (`codec::video::lookahead`) on the source frames, so
//! that a segment's first keyframe falls where the encoder would put one anyway. Audio:
//! ranges of N sample frames (one sample per channel). The last segment holds what is left.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use quanta::codec::video::lookahead::Analyser;
use quanta::codec::video::VideoParams;
use quanta::media::y4m::Y4mReader;
use quanta::{Error, Limits, Result};
use serde_json::json;

use crate::output::{write_all, Destination};
use crate::Finish;

#[derive(Args)]
pub struct PlanArgs {
    /// A Y4M clip or an audio file.
    input: PathBuf,
    /// Segment length: video frames, or audio sample frames (one sample per channel).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "segment_seconds",
        required_unless_present = "segment_seconds"
    )]
    segment_frames: Option<u64>,
    /// Segment length in seconds.
    #[arg(long, value_name = "S")]
    segment_seconds: Option<f64>,
    /// Write the JSON here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// One segment of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: u64,
    pub length: u64,
    /// The segment starts at a scene cut (video).
    pub at_cut: bool,
}

pub fn run(args: PlanArgs) -> Result<Finish> {
    let value = if crate::video::is_y4m_file(&args.input) {
        plan_video(&args)?
    } else {
        plan_audio(&args)?
    };
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| Error::InvalidArgument(format!("cannot format the plan: {e}")))?;
    text.push('\n');
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    write_all(&Destination::from_arg(&output), text.as_bytes())?;
    Ok(Finish::Ok)
}

/// The segment length in units of `rate` per second.
fn length(args: &PlanArgs, rate: f64) -> Result<u64> {
    let n = match (args.segment_frames, args.segment_seconds) {
        (Some(n), _) => n,
        (None, Some(s)) if s.is_finite() && s > 0.0 => (s * rate).round() as u64,
        (None, Some(s)) => {
            return Err(Error::InvalidArgument(format!(
                "--segment-seconds {s}: expected a positive number"
            )))
        }
        (None, None) => {
            return Err(Error::InvalidArgument(
                "give --segment-frames or --segment-seconds".into(),
            ))
        }
    };
    if n == 0 {
        return Err(Error::InvalidArgument(
            "a segment holds at least one frame".into(),
        ));
    }
    Ok(n)
}

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, file))
}

/// The scene cuts of a clip (frame numbers) and its frame count.
fn scene_cuts<R: Read>(reader: &mut Y4mReader<R>) -> Result<(Vec<u64>, u64)> {
    let params = VideoParams::from_y4m(reader.header());
    let mut analyser = Analyser::new(&params);
    let mut cuts = Vec::new();
    let mut number = 0u64;
    while let Some(frame) = reader.next_frame()? {
        let planes = frame
            .planes
            .iter()
            .enumerate()
            .map(|(p, plane)| {
                let (w, h) = params.padded_plane(p);
                plane.padded(w, h)
            })
            .collect();
        if analyser.analyse(planes).analysis.is_scene_cut() {
            cuts.push(number);
        }
        number += 1;
    }
    Ok((cuts, number))
}

/// Segments of `total` units every `n`, each inner boundary moved to the nearest cut within
/// `n / 4` of it (never so far that a segment would be empty).
pub fn segments(total: u64, n: u64, cuts: &[u64]) -> Vec<Segment> {
    let reach = n / 4;
    let mut starts = vec![(0u64, false)];
    let mut nominal = n;
    while nominal < total {
        let previous = starts.last().map_or(0, |s| s.0);
        let near = cuts
            .iter()
            .copied()
            .filter(|&c| c > previous && c < total && c.abs_diff(nominal) <= reach)
            .min_by_key(|&c| (c.abs_diff(nominal), c));
        let start = near.unwrap_or(nominal);
        if start > previous {
            starts.push((start, near.is_some()));
        }
        nominal += n;
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &(start, at_cut))| {
            let end = starts.get(i + 1).map_or(total, |s| s.0);
            Segment {
                start,
                length: end - start,
                at_cut,
            }
        })
        .collect()
}

fn plan_video(args: &PlanArgs) -> Result<serde_json::Value> {
    let name = args.input.display().to_string();
    let mut reader = Y4mReader::new(open(&args.input)?, &name, &Limits::default())?;
    let header = reader.header().clone();
    let (num, den) = header.frame_rate;
    if num == 0 || den == 0 {
        return Err(Error::Media(format!("{name} has no usable frame rate")));
    }
    let n = length(args, f64::from(num) / f64::from(den))?;
    let (cuts, total) = scene_cuts(&mut reader)?;
    if total == 0 {
        return Err(Error::Media(format!("{name} holds no frames")));
    }
    let list: Vec<serde_json::Value> = segments(total, n, &cuts)
        .iter()
        .map(|s| json!({"start": s.start, "frames": s.length, "scene_cut": s.at_cut}))
        .collect();
    Ok(json!({
        "schema": "quanta-plan/1",
        "media": "video",
        "input": name,
        "width": header.width,
        "height": header.height,
        "frame_rate": [num, den],
        "frames": total,
        "segment_frames": n,
        "scene_cuts": cuts,
        "segments": list,
    }))
}

fn plan_audio(args: &PlanArgs) -> Result<serde_json::Value> {
    let name = args.input.display().to_string();
    let (rate, channels, samples) = quanta::media::audio::read_audio_file(&args.input)?;
    if rate == 0 || channels == 0 || samples.is_empty() {
        return Err(Error::Media(format!("{name} holds no audio samples")));
    }
    let total = (samples.len() / channels) as u64;
    let n = length(args, f64::from(rate))?;
    let list: Vec<serde_json::Value> = segments(total, n, &[])
        .iter()
        .map(|s| json!({"start": s.start, "samples": s.length}))
        .collect();
    Ok(json!({
        "schema": "quanta-plan/1",
        "media": "audio",
        "input": name,
        "sample_rate": rate,
        "channels": channels,
        "samples": total,
        "segment_samples": n,
        "segments": list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(list: &[Segment]) -> Vec<u64> {
        list.iter().map(|s| s.start).collect()
    }

    #[test]
    fn boundaries_move_to_near_cuts_only() {
        let plain = segments(100, 30, &[]);
        assert_eq!(starts(&plain), [0, 30, 60, 90]);
        assert_eq!(plain.last().unwrap().length, 10);
        // 33 is within 30/4 = 7 of 30, 50 is not near 60, 61 is.
        let cut = segments(100, 30, &[33, 50, 61]);
        assert_eq!(starts(&cut), [0, 33, 61, 90]);
        assert!(cut[1].at_cut && cut[2].at_cut && !cut[3].at_cut);
        let total: u64 = cut.iter().map(|s| s.length).sum();
        assert_eq!(total, 100);
        assert_eq!(starts(&segments(10, 30, &[5])), [0]);
        assert_eq!(segments(10, 30, &[5])[0].length, 10);
    }
}
