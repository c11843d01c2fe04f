//! Reference encoders run as anchors: the installed command-line tools of other formats,
//! driven over their own quality ranges on the same inputs as quanta.
//!
//! Input: an anchor's name. Output: the [`Anchor`] with what the bench needs to know of it:
//! its media kind, its encoder and decoder programs and their Debian packages, its setting's
//! name, range and default sweep, its files' extensions, and whether its programs are
//! installed ([`check_available`], whose error names the package to install). The programs
//! run through [`super::tool`]; each media's bench builds their arguments (pictures in
//! [`super::picture`]). Each anchor runs single-threaded, so that a bench over several files
//! compares like with like.
//!
//! | anchor | encoder | decoder | setting | Debian package |
//! |---|---|---|---|---|
//! | `jpeg` | `cjpeg -optimize -quality Q` (4:2:0) | `djpeg` | quality 0–100 | libjpeg-turbo-progs |
//! | `webp` | `cwebp -q Q` | `dwebp -ppm` | quality 0–100 | webp |
//! | `avif` | `avifenc --min Q --max Q -y 420 -s 6` | `avifdec` | quantizer 0–63 (0 lossless) | libavif-bin |
//! | `jxl` | `cjxl -d D -e 7` | `djxl` | distance 0.1–25 (Butteraugli) | libjxl-tools |
//!
//! Audio anchors share this enum; their arguments live in [`super::audio`] (opusenc/opusdec,
//! oggenc/oggdec, ffmpeg's AAC, lame), swept over bitrates in kbit/s. Video anchors too; their
//! arguments live in [`super::video`]: `x264` (`--preset medium --tune psnr --crf C`, decoded by
//! ffmpeg; Debian packages x264 and ffmpeg) `mpeg2` (ffmpeg's mpeg2video at `-q:v Q`) and `x265` (ffmpeg's libx265 at
//! `-crf C`).

use std::path::{Path, PathBuf};

use crate::container::MediaKind;
use crate::error::{Error, Result};

/// A reference codec that quanta is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anchor {
    /// JPEG through libjpeg-turbo's cjpeg/djpeg.
    Jpeg,
    /// WebP (lossy) through cwebp/dwebp.
    Webp,
    /// AVIF through libavif's avifenc/avifdec.
    Avif,
    /// JPEG XL through libjxl's cjxl/djxl.
    Jxl,
    /// Opus through opus-tools' opusenc/opusdec.
    Opus,
    /// Vorbis through vorbis-tools' oggenc/oggdec.
    Vorbis,
    /// AAC through ffmpeg's native encoder and decoder.
    Aac,
    /// MP3 through lame (which also decodes).
    Mp3,
    /// H.264 through x264, decoded by ffmpeg.
    X264,
    /// MPEG-2 video through ffmpeg's mpeg2video encoder and decoder.
    Mpeg2,
    /// HEVC through ffmpeg's libx265 (`-preset medium -crf C`), decoded by ffmpeg.
    X265,
}

/// Every anchor, in the order reports list them.
pub const ALL_ANCHORS: [Anchor; 11] = [
    Anchor::Jpeg,
    Anchor::Webp,
    Anchor::Avif,
    Anchor::Jxl,
    Anchor::Opus,
    Anchor::Vorbis,
    Anchor::Aac,
    Anchor::Mp3,
    Anchor::X264,
    Anchor::Mpeg2,
    Anchor::X265,
];

impl Anchor {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Anchor::Jpeg => "jpeg",
            Anchor::Webp => "webp",
            Anchor::Avif => "avif",
            Anchor::Jxl => "jxl",
            Anchor::Opus => "opus",
            Anchor::Vorbis => "vorbis",
            Anchor::Aac => "aac",
            Anchor::Mp3 => "mp3",
            Anchor::X264 => "x264",
            Anchor::Mpeg2 => "mpeg2",
            Anchor::X265 => "x265",
        }
    }

    /// Parses an anchor name (case-insensitive; `jpg` and `jpegxl` are accepted too).
    pub fn from_name(name: &str) -> Option<Anchor> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(Anchor::Jpeg),
            "webp" => Some(Anchor::Webp),
            "avif" => Some(Anchor::Avif),
            "jxl" | "jpegxl" => Some(Anchor::Jxl),
            "opus" => Some(Anchor::Opus),
            "vorbis" | "ogg" => Some(Anchor::Vorbis),
            "aac" => Some(Anchor::Aac),
            "mp3" => Some(Anchor::Mp3),
            "x264" | "h264" => Some(Anchor::X264),
            "mpeg2" | "m2v" => Some(Anchor::Mpeg2),
            "x265" | "hevc" | "h265" => Some(Anchor::X265),
            _ => None,
        }
    }

    /// The kind of media this anchor codes.
    pub fn media(self) -> MediaKind {
        match self {
            Anchor::Jpeg | Anchor::Webp | Anchor::Avif | Anchor::Jxl => MediaKind::Image,
            Anchor::Opus | Anchor::Vorbis | Anchor::Aac | Anchor::Mp3 => MediaKind::Audio,
            Anchor::X264 | Anchor::Mpeg2 | Anchor::X265 => MediaKind::Video,
        }
    }

    /// The encoder program.
    pub fn encoder(self) -> &'static str {
        match self {
            Anchor::Jpeg => "cjpeg",
            Anchor::Webp => "cwebp",
            Anchor::Avif => "avifenc",
            Anchor::Jxl => "cjxl",
            Anchor::Opus => "opusenc",
            Anchor::Vorbis => "oggenc",
            Anchor::Aac => "ffmpeg",
            Anchor::Mp3 => "lame",
            Anchor::X264 => "x264",
            Anchor::Mpeg2 | Anchor::X265 => "ffmpeg",
        }
    }

    /// The decoder program.
    pub fn decoder(self) -> &'static str {
        match self {
            Anchor::Jpeg => "djpeg",
            Anchor::Webp => "dwebp",
            Anchor::Avif => "avifdec",
            Anchor::Jxl => "djxl",
            Anchor::Opus => "opusdec",
            Anchor::Vorbis => "oggdec",
            Anchor::Aac => "ffmpeg",
            Anchor::Mp3 => "lame",
            Anchor::X264 | Anchor::Mpeg2 | Anchor::X265 => "ffmpeg",
        }
    }

    /// The Debian package that installs the encoder (ffmpeg, which decodes x264's output,
    /// is named by [`Anchor::decoder_package`]).
    pub fn debian_package(self) -> &'static str {
        match self {
            Anchor::Jpeg => "libjpeg-turbo-progs",
            Anchor::Webp => "webp",
            Anchor::Avif => "libavif-bin",
            Anchor::Jxl => "libjxl-tools",
            Anchor::Opus => "opus-tools",
            Anchor::Vorbis => "vorbis-tools",
            Anchor::Aac => "ffmpeg",
            Anchor::Mp3 => "lame",
            Anchor::X264 => "x264",
            Anchor::Mpeg2 | Anchor::X265 => "ffmpeg",
        }
    }

    /// What the anchor's setting means: "quality" (higher is better), "quantizer" or
    /// "distance" (lower is better), "bitrate" (kbit/s, audio), "crf" and "qscale" (video,
    /// lower is better).
    pub fn setting_name(self) -> &'static str {
        match self {
            Anchor::Jpeg | Anchor::Webp => "quality",
            Anchor::Avif => "quantizer",
            Anchor::Jxl => "distance",
            Anchor::Opus | Anchor::Vorbis | Anchor::Aac | Anchor::Mp3 => "bitrate",
            Anchor::X264 => "crf",
            Anchor::Mpeg2 => "qscale",
            Anchor::X265 => "crf",
        }
    }

    /// The settings swept by default, from the smallest files to the largest.
    pub fn default_settings(self) -> Vec<f64> {
        match self {
            Anchor::Jpeg | Anchor::Webp => {
                vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0]
            }
            Anchor::Avif => vec![60.0, 54.0, 48.0, 42.0, 36.0, 30.0, 24.0, 18.0, 12.0, 6.0],
            Anchor::Jxl => vec![12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.4],
            Anchor::Opus | Anchor::Vorbis | Anchor::Aac | Anchor::Mp3 => {
                super::DEFAULT_BITRATES.to_vec()
            }
            Anchor::X264 => vec![38.0, 33.0, 28.0, 23.0, 18.0],
            Anchor::Mpeg2 => vec![20.0, 12.0, 7.0, 4.0, 2.0],
            Anchor::X265 => vec![38.0, 33.0, 28.0, 23.0, 18.0],
        }
    }

    /// File extension of the coded file.
    pub(crate) fn coded_extension(self) -> &'static str {
        match self {
            Anchor::Jpeg => "jpg",
            Anchor::Webp => "webp",
            Anchor::Avif => "avif",
            Anchor::Jxl => "jxl",
            Anchor::Opus => "opus",
            Anchor::Vorbis => "ogg",
            Anchor::Aac => "m4a",
            Anchor::Mp3 => "mp3",
            Anchor::X264 => "264",
            Anchor::Mpeg2 => "m2v",
            Anchor::X265 => "mkv",
        }
    }

    /// File extension of the decoder's output.
    pub(crate) fn decoded_extension(self) -> &'static str {
        match self {
            Anchor::Jpeg | Anchor::Webp | Anchor::Jxl => "ppm",
            Anchor::Avif => "png",
            Anchor::Opus | Anchor::Vorbis | Anchor::Aac | Anchor::Mp3 => "wav",
            Anchor::X264 | Anchor::Mpeg2 | Anchor::X265 => "y4m",
        }
    }

    /// Checks a setting against the anchor's range.
    pub fn check_setting(self, setting: f64) -> Result<()> {
        let (lo, hi) = match self {
            Anchor::Jpeg | Anchor::Webp => (0.0, 100.0),
            Anchor::Avif => (0.0, 63.0),
            Anchor::Jxl => (0.1, 25.0),
            Anchor::Opus => (6.0, 256.0),
            Anchor::Vorbis | Anchor::Aac | Anchor::Mp3 => (8.0, 320.0),
            Anchor::X264 => (0.0, 51.0),
            Anchor::Mpeg2 => (1.0, 31.0),
            Anchor::X265 => (0.0, 51.0),
        };
        if setting.is_finite() && (lo..=hi).contains(&setting) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "{} {} {setting} (expected {lo} to {hi})",
                self.name(),
                self.setting_name()
            )))
        }
    }

    /// The Debian package of the decoder program.
    pub fn decoder_package(self) -> &'static str {
        match self {
            Anchor::X264 => "ffmpeg",
            other => other.debian_package(),
        }
    }

    /// The Debian package that installs `program` for this anchor.
    fn package_of(self, program: &str) -> &'static str {
        if program == self.encoder() {
            self.debian_package()
        } else {
            self.decoder_package()
        }
    }

    /// The error for a missing program of this anchor.
    pub(crate) fn missing(self, program: &str) -> Error {
        let package = self.package_of(program);
        Error::Unsupported(format!(
            "the {} anchor needs {program}, which is not installed (install the Debian package \
             {package}: apt-get install {package})",
            self.name(),
        ))
    }
}

/// Finds an executable program on the `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// True when both programs of the anchor are installed.
pub fn is_available(anchor: Anchor) -> bool {
    check_available(anchor).is_ok()
}

/// Checks that both programs of the anchor are installed; the error names the Debian
/// package to install.
pub fn check_available(anchor: Anchor) -> Result<()> {
    for program in [anchor.encoder(), anchor.decoder()] {
        if find_program(program).is_none() {
            return Err(anchor.missing(program));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for anchor in ALL_ANCHORS {
            assert_eq!(Anchor::from_name(anchor.name()), Some(anchor));
            for s in anchor.default_settings() {
                anchor.check_setting(s).unwrap();
            }
        }
        assert_eq!(Anchor::from_name(" JPG "), Some(Anchor::Jpeg));
        assert_eq!(Anchor::from_name("png"), None);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        assert!(Anchor::Jpeg.check_setting(101.0).is_err());
        assert!(Anchor::Avif.check_setting(64.0).is_err());
        assert!(Anchor::Jxl.check_setting(0.0).is_err());
        assert!(Anchor::Webp.check_setting(f64::NAN).is_err());
    }

    #[test]
    fn missing_program_names_the_package() {
        let message = Anchor::Avif.missing("avifenc").to_string();
        assert!(message.contains("avifenc"), "{message}");
        assert!(message.contains("libavif-bin"), "{message}");
        assert!(find_program("quanta-no-such-program-here").is_none());
        let message = Anchor::X264.missing("x264").to_string();
        assert!(message.contains("apt-get install x264"), "{message}");
        let message = Anchor::X264.missing("ffmpeg").to_string();
        assert!(message.contains("apt-get install ffmpeg"), "{message}");
    }
}
