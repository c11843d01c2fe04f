//! The bench's inputs as the command line gives them: comma-separated lists of qualities,
//! bitrates, anchors and metrics, a rate window, and paths that may be files or folders.
//!
//! Input: strings such as `"10,20,30"`, `"jpeg,webp"` or `"psnr-ycbcr,ssim-y"`, and paths.
//! Output: checked, de-duplicated values in the order given ([`parse_qualities`],
//! [`parse_bitrates`], [`parse_anchors`], [`parse_metrics`]), a [`RateWindow`], the kind of
//! bench the paths ask for ([`bench_media`]) and the sorted list of files of one media kind
//! under the paths ([`collect_files`]; what a file holds is told by [`crate::media::probe`]).
//! Every error names the item that is wrong and what was expected.

use std::path::{Path, PathBuf};

use super::anchors::Anchor;
use super::metric::Metric;
use crate::container::MediaKind;
use crate::error::{Error, Result};
use crate::media::probe::{source_media, AUDIO_EXTENSIONS, PICTURE_EXTENSIONS, VIDEO_EXTENSIONS};

/// Splits a comma-separated list, trimming items; empty items are an error.
fn items<'a>(list: &'a str, what: &str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = list.split(',').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Error::InvalidArgument(format!(
            "{what} list {list:?} has an empty item (expected items separated by single commas)"
        )));
    }
    Ok(parts)
}

fn push_unique<T: PartialEq>(out: &mut Vec<T>, value: T) {
    if !out.contains(&value) {
        out.push(value);
    }
}

/// Parses quanta qualities: integers from 0 to 100.
pub fn parse_qualities(list: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for item in items(list, "quality")? {
        match item.parse::<u8>() {
            Ok(q) if q <= 100 => push_unique(&mut out, q),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "quality {item:?} (expected an integer from 0 to 100)"
                )))
            }
        }
    }
    Ok(out)
}

/// Parses bitrates in kbit/s (audio and video benches): finite positive numbers.
pub fn parse_bitrates(list: &str) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for item in items(list, "bitrate")? {
        match item.parse::<f64>() {
            Ok(b) if b.is_finite() && b > 0.0 => push_unique(&mut out, b),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "bitrate {item:?} (expected a positive number of kbit/s)"
                )))
            }
        }
    }
    Ok(out)
}

/// Parses anchor names; `none` alone gives no anchors.
pub fn parse_anchors(list: &str) -> Result<Vec<Anchor>> {
    if list.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in items(list, "anchor")? {
        let anchor = Anchor::from_name(item).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown anchor {item:?} (expected jpeg, webp, avif or jxl)"
            ))
        })?;
        push_unique(&mut out, anchor);
    }
    Ok(out)
}

/// Parses metric names.
pub fn parse_metrics(list: &str) -> Result<Vec<Metric>> {
    let mut out = Vec::new();
    for item in items(list, "metric")? {
        let metric = Metric::from_name(item).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown metric {item:?} (expected psnr-ycbcr, ssim-y, psnr-y, psnr-rgb or \
                 ssimulacra2)"
            ))
        })?;
        push_unique(&mut out, metric);
    }
    Ok(out)
}

/// The range of bits per pixel whose points enter the BD-rates (ends included).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateWindow {
    pub min_bpp: Option<f64>,
    pub max_bpp: Option<f64>,
}

impl RateWindow {
    /// A checked window: each end finite and positive, the lower below the upper.
    pub fn new(min_bpp: Option<f64>, max_bpp: Option<f64>) -> Result<RateWindow> {
        for (name, v) in [("min", min_bpp), ("max", max_bpp)] {
            if let Some(v) = v {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::InvalidArgument(format!(
                        "{name} bits per pixel {v} (expected a finite number >= 0)"
                    )));
                }
            }
        }
        if let (Some(lo), Some(hi)) = (min_bpp, max_bpp) {
            if lo >= hi {
                return Err(Error::InvalidArgument(format!(
                    "rate window {lo} to {hi} bpp is empty (the minimum must be below the maximum)"
                )));
            }
        }
        Ok(RateWindow { min_bpp, max_bpp })
    }

    /// Why `bpp` is outside the window, or `None` when it is inside.
    pub fn exclusion(&self, bpp: f64) -> Option<String> {
        match (self.min_bpp, self.max_bpp) {
            (Some(lo), _) if bpp < lo => Some(format!("below {lo} bpp")),
            (_, Some(hi)) if bpp > hi => Some(format!("above {hi} bpp")),
            _ => None,
        }
    }

    /// True when no end is set.
    pub fn is_open(&self) -> bool {
        self.min_bpp.is_none() && self.max_bpp.is_none()
    }

    /// "0.3–3 bpp", "≥ 0.3 bpp", "all rates".
    pub fn describe(&self) -> String {
        match (self.min_bpp, self.max_bpp) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi} bpp"),
            (Some(lo), None) => format!("≥ {lo} bpp"),
            (None, Some(hi)) => format!("≤ {hi} bpp"),
            (None, None) => "all rates".to_string(),
        }
    }
}

/// The files of `media` named by `paths`: files as given, folders scanned (not recursively)
/// for files of that kind ([`source_media`]: by extension, else by their first bytes), each
/// folder's files sorted by name. A path that does not exist, or a folder without such files,
/// is an error.
pub fn collect_files(paths: &[PathBuf], media: MediaKind) -> Result<Vec<PathBuf>> {
    let (noun, extensions): (&str, &[&str]) = match media {
        MediaKind::Image => ("picture", &PICTURE_EXTENSIONS),
        MediaKind::Audio => ("audio", &AUDIO_EXTENSIONS),
        MediaKind::Video => ("Y4M video", &VIDEO_EXTENSIONS),
    };
    if paths.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no input given (expected {noun} files or folders)"
        )));
    }
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io_path("read", path, e))?;
        if meta.is_dir() {
            let mut found = folder_files(path, media)?;
            if found.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "{} holds no {noun} files (expected {})",
                    path.display(),
                    extensions.join(", ")
                )));
            }
            found.sort();
            for f in found {
                push_unique(&mut out, f);
            }
        } else {
            push_unique(&mut out, path.clone());
        }
    }
    Ok(out)
}

/// The picture files named by `paths` ([`collect_files`] of pictures).
pub fn collect_picture_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    collect_files(paths, MediaKind::Image)
}

/// The files of `media` directly inside `folder`, unsorted.
fn folder_files(folder: &Path, media: MediaKind) -> Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(folder)
        .map_err(|e| Error::io_path("list", folder, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && source_media(p) == Some(media))
        .collect())
}

/// The kind of bench `inputs` ask for: video when every input is a Y4M file or a folder with
/// Y4M files and no pictures, audio when every input is an audio file or a folder with audio
/// files and neither pictures nor Y4M files, pictures otherwise (whose errors then name
/// what is wrong).
pub fn bench_media(inputs: &[PathBuf]) -> MediaKind {
    let input_media = |path: &PathBuf| -> Option<MediaKind> {
        if !path.is_dir() {
            return source_media(path);
        }
        [MediaKind::Image, MediaKind::Video, MediaKind::Audio]
            .into_iter()
            .find(|&m| folder_files(path, m).is_ok_and(|files| !files.is_empty()))
    };
    let kinds: Vec<Option<MediaKind>> = inputs.iter().map(input_media).collect();
    for media in [MediaKind::Video, MediaKind::Audio] {
        if !kinds.is_empty() && kinds.iter().all(|&k| k == Some(media)) {
            return media;
        }
    }
    MediaKind::Image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualities() {
        assert_eq!(parse_qualities("10, 20,30").unwrap(), vec![10, 20, 30]);
        assert_eq!(parse_qualities("50,50,0,100").unwrap(), vec![50, 0, 100]);
        for bad in ["", "10,,20", "101", "-1", "7.5", "ten"] {
            let err = parse_qualities(bad).unwrap_err().to_string();
            assert!(err.contains("quality"), "{bad}: {err}");
        }
    }

    #[test]
    fn bitrates() {
        assert_eq!(parse_bitrates("64,96.5").unwrap(), vec![64.0, 96.5]);
        assert!(parse_bitrates("0").is_err());
        assert!(parse_bitrates("inf").is_err());
        assert!(parse_bitrates("64,").is_err());
    }

    #[test]
    fn anchors_and_metrics() {
        assert_eq!(
            parse_anchors("jpeg, WebP,jpg").unwrap(),
            vec![Anchor::Jpeg, Anchor::Webp]
        );
        assert!(parse_anchors("none").unwrap().is_empty());
        let err = parse_anchors("jpeg,heic").unwrap_err().to_string();
        assert!(err.contains("\"heic\""), "{err}");
        assert_eq!(
            parse_metrics("ssim-y,psnr_ycbcr").unwrap(),
            vec![Metric::SsimY, Metric::PsnrYcbcr]
        );
        let err = parse_metrics("vmaf").unwrap_err().to_string();
        assert!(
            err.contains("\"vmaf\"") && err.contains("ssimulacra2"),
            "{err}"
        );
    }

    #[test]
    fn rate_window() {
        let w = RateWindow::new(Some(0.3), Some(3.0)).unwrap();
        assert_eq!(w.exclusion(0.29), Some("below 0.3 bpp".to_string()));
        assert_eq!(w.exclusion(0.3), None);
        assert_eq!(w.exclusion(3.0), None);
        assert_eq!(w.exclusion(3.01), Some("above 3 bpp".to_string()));
        assert_eq!(w.describe(), "0.3–3 bpp");
        assert!(!w.is_open());
        let open = RateWindow::default();
        assert!(open.is_open() && open.exclusion(1e9).is_none());
        assert_eq!(open.describe(), "all rates");
        assert!(RateWindow::new(Some(2.0), Some(1.0)).is_err());
        assert!(RateWindow::new(Some(f64::NAN), None).is_err());
        assert!(RateWindow::new(None, Some(-1.0)).is_err());
    }

    #[test]
    fn picture_files_from_folders_and_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.png", "a.PNG", "c.txt", "d.jpg"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.png")).unwrap();
        let files = collect_picture_files(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["a.PNG", "b.png", "d.jpg"]);
        let again =
            collect_picture_files(&[dir.path().join("d.jpg"), dir.path().to_path_buf()]).unwrap();
        assert_eq!(again.len(), 3);
        assert_eq!(again[0], dir.path().join("d.jpg"));
        assert!(collect_picture_files(&[dir.path().join("missing.png")]).is_err());
        assert!(collect_picture_files(&[]).is_err());
        let empty = tempfile::tempdir().unwrap();
        assert!(collect_picture_files(&[empty.path().to_path_buf()]).is_err());
    }

    #[test]
    fn the_inputs_choose_the_bench() {
        let dir = tempfile::tempdir().unwrap();
        let (audio, video) = (dir.path().join("audio"), dir.path().join("video"));
        std::fs::create_dir(&audio).unwrap();
        std::fs::create_dir(&video).unwrap();
        std::fs::write(audio.join("a.wav"), b"x").unwrap();
        std::fs::write(audio.join("notes.txt"), b"x").unwrap();
        std::fs::write(video.join("clip.raw"), b"YUV4MPEG2 W2 H2\n").unwrap();
        std::fs::write(video.join("b.flac"), b"x").unwrap();
        assert_eq!(bench_media(std::slice::from_ref(&audio)), MediaKind::Audio);
        assert_eq!(bench_media(std::slice::from_ref(&video)), MediaKind::Video);
        assert_eq!(bench_media(&[video.join("clip.raw")]), MediaKind::Video);
        assert_eq!(
            bench_media(&[audio.clone(), video.clone()]),
            MediaKind::Image
        );
        assert_eq!(bench_media(&[]), MediaKind::Image);
        std::fs::write(video.join("still.png"), b"x").unwrap();
        assert_eq!(bench_media(std::slice::from_ref(&video)), MediaKind::Image);
        let clips = collect_files(std::slice::from_ref(&video), MediaKind::Video).unwrap();
        assert_eq!(clips, [video.join("clip.raw")]);
        let err = collect_files(std::slice::from_ref(&audio), MediaKind::Video)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no Y4M video files"), "{err}");
        let sounds = collect_files(std::slice::from_ref(&audio), MediaKind::Audio).unwrap();
        assert_eq!(sounds, [audio.join("a.wav")]);
    }
}
