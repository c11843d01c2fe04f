//! Reference encoders run as anchors: the installed command-line tools of other formats,
//! driven over their own quality ranges on the same inputs as quanta.
//!
//! Input: a [`Picture`], one setting of the anchor (a quality, a quantizer or a distance,
//! see [`Anchor::setting_name`]) and a scratch folder. Output: an [`AnchorRun`] with the coded
//! size, the decoded picture and the wall-clock time of the encoder and decoder processes
//! (process start-up and file I/O included). Each anchor runs single-threaded, so that a
//! bench over several files compares like with like.
//!
//! | anchor | encoder | decoder | setting | Debian package |
//! |---|---|---|---|---|
//! | `jpeg` | `cjpeg -optimize -quality Q` (4:2:0) | `djpeg` | quality 0–100 | libjpeg-turbo-progs |
//! | `webp` | `cwebp -q Q` | `dwebp -ppm` | quality 0–100 | webp |
//! | `avif` | `avifenc --min Q --max Q -y 420 -s 6` | `avifdec` | quantizer 0–63 (0 lossless) | libavif-bin |
//! | `jxl` | `cjxl -d D -e 7` | `djxl` | distance 0.1–25 (Butteraugli) | libjxl-tools |
//!
//! Audio anchors share this enum; their runs live in [`super::audio`] (opusenc/opusdec,
//! oggenc/oggdec, ffmpeg's AAC, lame), swept over bitrates in kbit/s. Video anchors too; their
//! runs live in [`super::video`]: `x264` (`--preset medium --tune psnr --crf C`, decoded by
//! ffmpeg; Debian packages x264 and ffmpeg) `mpeg2` (ffmpeg's mpeg2video at `-q:v Q`) and `x265` (ffmpeg's libx265 at
//! `-crf C`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::container::MediaKind;
use crate::error::{Error, Limits, Result};
use crate::media::image::{encode_picture_file, read_picture, PictureFormat};
use crate::signal::{Picture, PixelLayout};

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

    /// The picture format the encoder reads (cjpeg reads PNM, not PNG).
    fn input_format(self) -> PictureFormat {
        match self {
            Anchor::Jpeg => PictureFormat::Ppm,
            _ => PictureFormat::Png,
        }
    }

    /// File extension of the decoder's output.
    fn decoded_extension(self) -> &'static str {
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

    fn encode_args(self, setting: f64, input: &Path, output: &Path) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        let words: Vec<String> = match self {
            Anchor::Jpeg => vec![
                "-optimize".into(),
                "-quality".into(),
                format!("{}", setting.round()),
                "-sample".into(),
                "2x2".into(),
                "-outfile".into(),
                path(output),
                path(input),
            ],
            Anchor::Webp => vec![
                "-quiet".into(),
                "-q".into(),
                format!("{setting}"),
                path(input),
                "-o".into(),
                path(output),
            ],
            Anchor::Avif => vec![
                "-j".into(),
                "1".into(),
                "-s".into(),
                "6".into(),
                "-y".into(),
                "420".into(),
                "--min".into(),
                format!("{}", setting.round()),
                "--max".into(),
                format!("{}", setting.round()),
                path(input),
                path(output),
            ],
            Anchor::Jxl => vec![
                "--quiet".into(),
                "--num_threads=0".into(),
                "-e".into(),
                "7".into(),
                "-d".into(),
                format!("{setting}"),
                path(input),
                path(output),
            ],
            Anchor::Opus
            | Anchor::Vorbis
            | Anchor::Aac
            | Anchor::Mp3
            | Anchor::X264
            | Anchor::Mpeg2
            | Anchor::X265 => Vec::new(),
        };
        words
    }

    fn decode_args(self, input: &Path, output: &Path) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        match self {
            Anchor::Jpeg => vec!["-outfile".into(), path(output), path(input)],
            Anchor::Webp => vec![
                "-quiet".into(),
                path(input),
                "-ppm".into(),
                "-o".into(),
                path(output),
            ],
            Anchor::Avif => vec!["-j".into(), "1".into(), path(input), path(output)],
            // djxl's 0 means "the machine default", unlike cjxl's.
            Anchor::Jxl => vec!["--num_threads=1".into(), path(input), path(output)],
            Anchor::Opus
            | Anchor::Vorbis
            | Anchor::Aac
            | Anchor::Mp3
            | Anchor::X264
            | Anchor::Mpeg2
            | Anchor::X265 => Vec::new(),
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

/// One encode and decode by an anchor.
#[derive(Debug, Clone)]
pub struct AnchorRun {
    /// Size of the coded file in bytes.
    pub bytes: u64,
    /// The decoder's output.
    pub decoded: Picture,
    /// Wall-clock seconds of the encoder process.
    pub encode_seconds: f64,
    /// Wall-clock seconds of the decoder process.
    pub decode_seconds: f64,
}

/// The anchor's input files of one picture, written once into a scratch folder and
/// reused for every setting.
#[derive(Debug)]
pub struct AnchorInputs {
    dir: PathBuf,
    picture: Picture,
    written: Vec<(PictureFormat, PathBuf)>,
}

impl AnchorInputs {
    /// Prepares inputs of `picture` in `dir` (which must exist and stay for the runs).
    pub fn new(dir: &Path, picture: &Picture) -> AnchorInputs {
        AnchorInputs {
            dir: dir.to_path_buf(),
            picture: picture.clone(),
            written: Vec::new(),
        }
    }

    fn file_for(&mut self, format: PictureFormat) -> Result<PathBuf> {
        if let Some((_, path)) = self.written.iter().find(|(f, _)| *f == format) {
            return Ok(path.clone());
        }
        let (extension, bytes) = match format {
            PictureFormat::Ppm => ("pnm", binary_pnm(&self.picture)),
            _ => ("png", encode_picture_file(&self.picture, format)?),
        };
        let path = self.dir.join(format!("source.{extension}"));
        std::fs::write(&path, bytes).map_err(|e| Error::io_path("write", &path, e))?;
        self.written.push((format, path.clone()));
        Ok(path)
    }

    /// Encodes and decodes the picture with `anchor` at `setting`.
    pub fn run(&mut self, anchor: Anchor, setting: f64) -> Result<AnchorRun> {
        anchor.check_setting(setting)?;
        if anchor.media() != MediaKind::Image {
            return Err(Error::InvalidArgument(format!(
                "the {} anchor codes {:?}, not pictures",
                anchor.name(),
                anchor.media()
            )));
        }
        let input = self.file_for(anchor.input_format())?;
        let tag = format!("{}_{setting}", anchor.name());
        let coded = self.dir.join(format!("{tag}.{}", anchor.coded_extension()));
        let decoded_path = self
            .dir
            .join(format!("{tag}_decoded.{}", anchor.decoded_extension()));
        let start = Instant::now();
        run_program(
            anchor,
            anchor.encoder(),
            &anchor.encode_args(setting, &input, &coded),
        )?;
        let encode_seconds = start.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&coded)
            .map_err(|e| Error::io_path("read the size of", &coded, e))?
            .len();
        let start = Instant::now();
        run_program(
            anchor,
            anchor.decoder(),
            &anchor.decode_args(&coded, &decoded_path),
        )?;
        let decode_seconds = start.elapsed().as_secs_f64();
        let decoded = read_picture(&decoded_path, &Limits::default())?;
        if (decoded.width, decoded.height) != (self.picture.width, self.picture.height) {
            return Err(Error::Media(format!(
                "{} decoded a {}x{} picture from a {}x{} input",
                anchor.decoder(),
                decoded.width,
                decoded.height,
                self.picture.width,
                self.picture.height
            )));
        }
        // The scratch files of this setting are no longer needed.
        let _ = std::fs::remove_file(&coded);
        let _ = std::fs::remove_file(&decoded_path);
        Ok(AnchorRun {
            bytes,
            decoded,
            encode_seconds,
            decode_seconds,
        })
    }
}

/// A binary PPM (P6) or PGM (P5) file of a picture, the input every cjpeg reads.
fn binary_pnm(picture: &Picture) -> Vec<u8> {
    let magic = match picture.layout {
        PixelLayout::Rgb => "P6",
        PixelLayout::Gray => "P5",
    };
    let mut out = format!("{magic}\n{} {}\n255\n", picture.width, picture.height).into_bytes();
    out.extend_from_slice(&picture.data);
    out
}

/// Runs one program to its end, its output captured; a failure quotes its last words.
pub(crate) fn run_program(anchor: Anchor, program: &str, args: &[String]) -> Result<()> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anchor.missing(program)
            } else {
                Error::io(format!("cannot run {program}"), e)
            }
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    let said: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::Media(format!(
        "{program} {} failed ({}): {}",
        args.join(" "),
        output.status,
        if said.is_empty() {
            "no message".to_string()
        } else {
            said.join(" / ")
        }
    )))
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

    #[test]
    fn pnm_header() {
        let gray = Picture::new(2, 1, PixelLayout::Gray, vec![7, 9]).unwrap();
        assert_eq!(binary_pnm(&gray), b"P5\n2 1\n255\n\x07\x09");
        let rgb = Picture::new(1, 1, PixelLayout::Rgb, vec![1, 2, 3]).unwrap();
        assert_eq!(binary_pnm(&rgb), b"P6\n1 1\n255\n\x01\x02\x03");
    }

    #[test]
    fn jpeg_arguments_ask_for_optimized_420() {
        let args = Anchor::Jpeg.encode_args(75.0, Path::new("in.pnm"), Path::new("out.jpg"));
        assert_eq!(
            args.join(" "),
            "-optimize -quality 75 -sample 2x2 -outfile out.jpg in.pnm"
        );
    }
}
