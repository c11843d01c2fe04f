//! Media detection, in one place: what a file or the first bytes of an input hold.
//!
//! Input: the first bytes of an input ([`probe`], at least [`PROBE_BYTES`] of them when the
//! input is that long), a path ([`probe_file`] reads its first bytes), or a path whose name
//! may tell ([`source_media`], extension first, then the bytes). Output: a [`Probed`] kind:
//! a quanta stream with the media kind its stream header names, a Y4M video, an audio file
//! quanta reads, a picture file the image crate reads, or [`Probed::Unknown`] (empty input
//! included). Nothing here decodes more than the signature: a file that starts well may still
//! fail later, where the reader names the problem.

use std::io::Read;
use std::path::Path;

use crate::container::{MediaKind, MAGIC};
use crate::error::{Error, Result};
use crate::media::y4m::Y4M_MAGIC;

/// How many leading bytes [`probe`] looks at: enough for every signature it knows.
pub const PROBE_BYTES: usize = 16;

/// File extensions taken as pictures (when a folder is listed).
pub const PICTURE_EXTENSIONS: [&str; 12] = [
    "png", "jpg", "jpeg", "bmp", "tga", "ppm", "pgm", "pnm", "tif", "tiff", "webp", "qoi",
];

/// File extensions taken as audio (when a folder is listed).
pub const AUDIO_EXTENSIONS: [&str; 8] = ["wav", "flac", "ogg", "mp3", "aiff", "aif", "m4a", "caf"];

/// File extensions taken as Y4M video (when a folder is listed).
pub const VIDEO_EXTENSIONS: [&str; 1] = ["y4m"];

/// What an input holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probed {
    /// A quanta stream ("QNTA"); the media kind of its header, `None` when the header is cut
    /// before that byte or names a kind this build does not know (the container reader then
    /// says which).
    Stream(Option<MediaKind>),
    /// A Y4M video ("YUV4MPEG2 ").
    Y4m,
    /// An audio file quanta reads: RIFF/WAVE, FLAC, MP3 (ID3 tag or frame sync), Ogg, AIFF,
    /// CAF or MP4/M4A.
    Audio,
    /// A picture file the image crate recognizes (PNG, JPEG, BMP, TGA, PNM, TIFF, WebP, QOI).
    Picture,
    /// None of these, or an empty input.
    Unknown,
}

impl Probed {
    /// The media kind of a source file of this kind (`None` for streams and unknown input).
    pub fn source_media(self) -> Option<MediaKind> {
        match self {
            Probed::Y4m => Some(MediaKind::Video),
            Probed::Audio => Some(MediaKind::Audio),
            Probed::Picture => Some(MediaKind::Image),
            Probed::Stream(_) | Probed::Unknown => None,
        }
    }
}

/// The kind of input whose first bytes are `head`.
pub fn probe(head: &[u8]) -> Probed {
    if head.is_empty() {
        return Probed::Unknown;
    }
    if head.starts_with(&MAGIC) {
        let media = head.get(5).and_then(|&code| MediaKind::from_u8(code).ok());
        return Probed::Stream(media);
    }
    if head.starts_with(Y4M_MAGIC) {
        return Probed::Y4m;
    }
    if looks_like_audio(head) {
        return Probed::Audio;
    }
    if image::guess_format(head).is_ok() {
        return Probed::Picture;
    }
    Probed::Unknown
}

/// The kind of the file at `path`, by its first bytes.
pub fn probe_file(path: &Path) -> Result<Probed> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
    let head = read_head(&mut file, PROBE_BYTES).map_err(|e| Error::io_path("read", path, e))?;
    Ok(probe(&head))
}

/// Reads up to `n` bytes (fewer only at the end of the input).
pub fn read_head(input: &mut dyn Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// The media kind a path's extension names ([`PICTURE_EXTENSIONS`], [`AUDIO_EXTENSIONS`],
/// [`VIDEO_EXTENSIONS`], any case).
pub fn media_by_extension(path: &Path) -> Option<MediaKind> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let is = |list: &[&str]| list.contains(&extension.as_str());
    if is(&PICTURE_EXTENSIONS) {
        Some(MediaKind::Image)
    } else if is(&AUDIO_EXTENSIONS) {
        Some(MediaKind::Audio)
    } else if is(&VIDEO_EXTENSIONS) {
        Some(MediaKind::Video)
    } else {
        None
    }
}

/// The media kind of a source file: by its extension, or failing that by its first bytes;
/// `None` for a file that cannot be read or holds none of them.
pub fn source_media(path: &Path) -> Option<MediaKind> {
    media_by_extension(path).or_else(|| probe_file(path).ok()?.source_media())
}

/// True when `head` starts like an audio file quanta reads.
fn looks_like_audio(head: &[u8]) -> bool {
    let at = |i: usize, m: &[u8]| head.get(i..i + m.len()) == Some(m);
    (at(0, b"RIFF") && at(8, b"WAVE"))
        || at(0, b"fLaC")
        || at(0, b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
        || at(0, b"OggS")
        || (at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")))
        || at(0, b"caff")
        || (at(4, b"ftyp") && (at(8, b"M4A ") || at(8, b"mp4") || at(8, b"isom") || at(8, b"M4B ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::{encode_picture_file, PictureFormat};
    use crate::signal::{Picture, PixelLayout};

    #[test]
    fn each_kind_is_told_by_its_first_bytes() {
        assert_eq!(
            probe(b"QNTA\x01\x01\x00\x00"),
            Probed::Stream(Some(MediaKind::Image))
        );
        assert_eq!(
            probe(b"QNTA\x01\x02"),
            Probed::Stream(Some(MediaKind::Audio))
        );
        assert_eq!(
            probe(b"QNTA\x01\x03\x01"),
            Probed::Stream(Some(MediaKind::Video))
        );
        assert_eq!(probe(b"YUV4MPEG2 W48 H32"), Probed::Y4m);
        assert_eq!(probe(b"RIFF\x24\x00\x00\x00WAVEfmt "), Probed::Audio);
        assert_eq!(probe(b"fLaC\x00\x00\x00\x22"), Probed::Audio);
        assert_eq!(probe(b"OggS\x00\x02"), Probed::Audio);
        assert_eq!(probe(b"ID3\x04\x00"), Probed::Audio);
        assert_eq!(probe(&[0xFF, 0xFB, 0x90, 0x64]), Probed::Audio);
        assert_eq!(probe(b"\x00\x00\x00\x20ftypM4A \x00"), Probed::Audio);
        let picture = Picture::new(2, 2, PixelLayout::Rgb, vec![9; 12]).unwrap();
        for format in [PictureFormat::Png, PictureFormat::Bmp, PictureFormat::Ppm] {
            let bytes = encode_picture_file(&picture, format).unwrap();
            assert_eq!(probe(&bytes[..PROBE_BYTES]), Probed::Picture, "{format:?}");
        }
        // JPEG's marker is not an MP3 frame sync.
        assert_eq!(probe(&[0xFF, 0xD8, 0xFF, 0xE0]), Probed::Picture);
    }

    #[test]
    fn empty_truncated_and_foreign_input() {
        assert_eq!(probe(b""), Probed::Unknown);
        assert_eq!(probe(b"hello, world"), Probed::Unknown);
        assert_eq!(probe(b"YUV4MPEG"), Probed::Unknown);
        assert_eq!(probe(b"RIFF\x24\x00\x00\x00AVI "), Probed::Unknown);
        // A stream cut before its media byte, or naming an unknown kind.
        assert_eq!(probe(b"QNTA\x01"), Probed::Stream(None));
        assert_eq!(probe(b"QNTA\x01\x09"), Probed::Stream(None));
        assert_eq!(Probed::Stream(Some(MediaKind::Audio)).source_media(), None);
        assert_eq!(Probed::Y4m.source_media(), Some(MediaKind::Video));
    }

    #[test]
    fn files_by_bytes_and_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.raw");
        std::fs::write(&clip, b"YUV4MPEG2 W2 H2 F25:1\n").unwrap();
        assert_eq!(probe_file(&clip).unwrap(), Probed::Y4m);
        assert_eq!(source_media(&clip), Some(MediaKind::Video));
        let empty = dir.path().join("empty.bin");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(probe_file(&empty).unwrap(), Probed::Unknown);
        assert_eq!(source_media(&empty), None);
        let missing = dir.path().join("missing.bin");
        let err = probe_file(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.bin"), "{err}");
        assert_eq!(source_media(&missing), None);
        // The name decides before the bytes (a listed folder need not open every file).
        assert_eq!(
            source_media(&dir.path().join("a.WAV")),
            Some(MediaKind::Audio)
        );
        assert_eq!(
            media_by_extension(Path::new("x.Y4M")),
            Some(MediaKind::Video)
        );
        assert_eq!(
            media_by_extension(Path::new("x.qoi")),
            Some(MediaKind::Image)
        );
        assert_eq!(media_by_extension(Path::new("x.txt")), None);
        assert_eq!(media_by_extension(Path::new("noext")), None);
    }
}
