//! YUV4MPEG2 (Y4M) video in and out, streaming: a header line, then frames read one at a
//! time, so a pipe of unknown length can be coded as it arrives.
//!
//! In: any byte source starting with `YUV4MPEG2 ` and its header parameters (`W` width, `H`
//! height, `F` frame rate, `A` pixel aspect, `I` interlacing, `C` colour space, `X`
//! comments), then `FRAME` lines each followed by the planes Y, Cb, Cr (Y alone for `mono`).
//! Out: [`YuvFrame`]s of 8-bit [`Plane`]s, and the same bytes back through [`Y4mWriter`].
//! Supported colour spaces: `420jpeg` (the default when `C` is absent), `420mpeg2`,
//! `420paldv`, `420`, `422`, `444` and `mono`, 8 bits per sample. Parsing is strict: every
//! header field is checked, unknown tags are refused except `X` comments, and the picture
//! size is checked against [`Limits`] before any frame buffer is allocated.

use std::io::{ErrorKind, Read, Write};

use crate::error::{Error, Limits, Result};
use crate::signal::Plane;

/// The signature every Y4M stream starts with.
pub const Y4M_MAGIC: &[u8] = b"YUV4MPEG2 ";

/// Longest header or frame line accepted, in bytes.
const MAX_LINE: usize = 4096;

/// Chroma layout of a Y4M stream, with the siting of 4:2:0 chroma kept so that it can be
/// written back as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChromaFormat {
    /// Luma only.
    Mono,
    /// 4:2:0, chroma centred between luma samples (`420jpeg`).
    Yuv420Jpeg,
    /// 4:2:0, chroma co-sited horizontally (`420mpeg2`).
    Yuv420Mpeg2,
    /// 4:2:0, PAL DV siting (`420paldv`).
    Yuv420Paldv,
    /// 4:2:0, siting unspecified (`420`).
    Yuv420,
    /// 4:2:2.
    Yuv422,
    /// 4:4:4.
    Yuv444,
}

impl ChromaFormat {
    /// Every format, indexed by [`ChromaFormat::code`].
    pub const ALL: [ChromaFormat; 7] = [
        ChromaFormat::Mono,
        ChromaFormat::Yuv420Jpeg,
        ChromaFormat::Yuv420Mpeg2,
        ChromaFormat::Yuv420Paldv,
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ];

    /// The Y4M `C` tag value.
    pub fn tag(self) -> &'static str {
        match self {
            ChromaFormat::Mono => "mono",
            ChromaFormat::Yuv420Jpeg => "420jpeg",
            ChromaFormat::Yuv420Mpeg2 => "420mpeg2",
            ChromaFormat::Yuv420Paldv => "420paldv",
            ChromaFormat::Yuv420 => "420",
            ChromaFormat::Yuv422 => "422",
            ChromaFormat::Yuv444 => "444",
        }
    }

    /// The number stored in the video stream header.
    pub fn code(self) -> u8 {
        ChromaFormat::ALL
            .iter()
            .position(|&c| c == self)
            .unwrap_or(0) as u8
    }

    /// The format stored as `code`, if any.
    pub fn from_code(code: u8) -> Option<ChromaFormat> {
        ChromaFormat::ALL.get(code as usize).copied()
    }

    /// Number of planes (1 or 3).
    pub fn plane_count(self) -> usize {
        if self == ChromaFormat::Mono {
            1
        } else {
            3
        }
    }

    /// Horizontal and vertical chroma subsampling shifts.
    pub fn shifts(self) -> (u32, u32) {
        match self {
            ChromaFormat::Mono | ChromaFormat::Yuv444 => (0, 0),
            ChromaFormat::Yuv422 => (1, 0),
            _ => (1, 1),
        }
    }

    /// The size of plane `plane` of a `width` × `height` picture.
    pub fn plane_size(self, plane: usize, width: usize, height: usize) -> (usize, usize) {
        if plane == 0 {
            return (width, height);
        }
        let (sx, sy) = self.shifts();
        (width.div_ceil(1 << sx), height.div_ceil(1 << sy))
    }

    /// Bytes of one frame's samples.
    pub fn frame_bytes(self, width: usize, height: usize) -> usize {
        (0..self.plane_count())
            .map(|p| {
                let (w, h) = self.plane_size(p, width, height);
                w * h
            })
            .sum()
    }
}

/// The parameters of a Y4M stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Y4mHeader {
    pub width: u32,
    pub height: u32,
    pub chroma: ChromaFormat,
    /// Frame rate as numerator and denominator (25:1 when absent).
    pub frame_rate: (u32, u32),
    /// Pixel aspect ratio (0:0 = unknown, the default).
    pub aspect: (u32, u32),
    /// Interlacing: `p`, `t`, `b`, `m`, or `?` (unknown, the default).
    pub interlace: char,
}

impl Y4mHeader {
    /// A progressive header with unknown aspect.
    pub fn new(width: u32, height: u32, chroma: ChromaFormat, frame_rate: (u32, u32)) -> Self {
        Y4mHeader {
            width,
            height,
            chroma,
            frame_rate,
            aspect: (0, 0),
            interlace: 'p',
        }
    }

    /// Bytes of one frame's samples.
    pub fn frame_bytes(&self) -> usize {
        self.chroma
            .frame_bytes(self.width as usize, self.height as usize)
    }

    /// The header line, newline included.
    pub fn to_line(&self) -> String {
        let mut line = format!(
            "YUV4MPEG2 W{} H{} F{}:{} I{}",
            self.width, self.height, self.frame_rate.0, self.frame_rate.1, self.interlace
        );
        line.push_str(&format!(" A{}:{}", self.aspect.0, self.aspect.1));
        line.push_str(&format!(" C{}\n", self.chroma.tag()));
        line
    }

    /// Parses a header line (without its newline). `limits` bounds the picture size.
    pub fn parse(line: &[u8], limits: &Limits) -> Result<Y4mHeader> {
        let rest = line
            .strip_prefix(Y4M_MAGIC)
            .ok_or_else(|| Error::Media("not a Y4M stream (no 'YUV4MPEG2 ' signature)".into()))?;
        // ASCII only: tags are split after their first byte below.
        let text = std::str::from_utf8(rest)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or_else(|| Error::Media("Y4M header is not ASCII text".into()))?;
        let (mut width, mut height) = (None, None);
        let mut chroma = ChromaFormat::Yuv420Jpeg;
        let mut frame_rate = (25, 1);
        let mut aspect = (0, 0);
        let mut interlace = '?';
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            let (tag, value) = token.split_at(1);
            match tag {
                "W" => width = Some(parse_number("W (width)", value)?),
                "H" => height = Some(parse_number("H (height)", value)?),
                "F" => {
                    frame_rate = parse_ratio("F (frame rate)", value)?;
                    if frame_rate.0 == 0 || frame_rate.1 == 0 {
                        return Err(Error::Media(format!(
                            "Y4M header field F (frame rate) is {value}: expected N:D with both non-zero"
                        )));
                    }
                }
                "A" => aspect = parse_ratio("A (pixel aspect)", value)?,
                "I" => {
                    interlace = match value {
                        "p" | "t" | "b" | "m" | "?" => value.chars().next().unwrap_or('?'),
                        _ => {
                            return Err(Error::Media(format!(
                                "Y4M header field I (interlacing) is '{value}': expected p, t, b, m or ?"
                            )))
                        }
                    }
                }
                "C" => {
                    chroma = match value {
                        "420jpeg" => ChromaFormat::Yuv420Jpeg,
                        "420mpeg2" => ChromaFormat::Yuv420Mpeg2,
                        "420paldv" => ChromaFormat::Yuv420Paldv,
                        "420" => ChromaFormat::Yuv420,
                        "422" => ChromaFormat::Yuv422,
                        "444" => ChromaFormat::Yuv444,
                        "mono" => ChromaFormat::Mono,
                        v if v.contains("p10") || v.contains("p12") || v.contains("p16") || v == "mono16" => {
                            return Err(Error::Unsupported(format!(
                                "Y4M colour space C{v}: only 8-bit samples are supported (convert with -pix_fmt yuv420p)"
                            )))
                        }
                        _ => {
                            return Err(Error::Media(format!(
                                "Y4M header field C (colour space) is '{value}': expected 420jpeg, 420mpeg2, 420paldv, 420, 422, 444 or mono"
                            )))
                        }
                    }
                }
                "X" => {}
                _ => {
                    return Err(Error::Media(format!(
                        "Y4M header has an unknown field '{token}' (expected W, H, F, I, A, C or X)"
                    )))
                }
            }
        }
        let width = width.ok_or_else(|| Error::Media("Y4M header has no W (width)".into()))?;
        let height = height.ok_or_else(|| Error::Media("Y4M header has no H (height)".into()))?;
        limits.check_dimensions(width, height)?;
        Ok(Y4mHeader {
            width,
            height,
            chroma,
            frame_rate,
            aspect,
            interlace,
        })
    }
}

fn parse_number(field: &str, value: &str) -> Result<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 9 {
        return Err(Error::Media(format!(
            "Y4M header field {field} is '{value}': expected a decimal number below 10^9"
        )));
    }
    value
        .parse()
        .map_err(|_| Error::Media(format!("Y4M header field {field} is '{value}'")))
}

fn parse_ratio(field: &str, value: &str) -> Result<(u32, u32)> {
    let (n, d) = value.split_once(':').ok_or_else(|| {
        Error::Media(format!(
            "Y4M header field {field} is '{value}': expected N:D"
        ))
    })?;
    Ok((parse_number(field, n)?, parse_number(field, d)?))
}

/// One picture of a video: Y, Cb, Cr planes (Y alone for mono), 8 bits per sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YuvFrame {
    pub planes: Vec<Plane>,
}

impl YuvFrame {
    /// A frame of the given layout filled with `value` in every plane.
    pub fn filled(width: usize, height: usize, chroma: ChromaFormat, value: u8) -> YuvFrame {
        let planes = (0..chroma.plane_count())
            .map(|p| {
                let (w, h) = chroma.plane_size(p, width, height);
                Plane::filled(w, h, value)
            })
            .collect();
        YuvFrame { planes }
    }
}

/// Reads one line (up to `\n`, not included). `Ok(None)` at a clean end of input.
fn read_line<R: Read>(r: &mut R, what: &str) -> Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match r.read(&mut byte) {
            Ok(0) => {
                if line.is_empty() {
                    return Ok(None);
                }
                return Err(Error::Media(format!(
                    "{what} is truncated: input ended before its newline"
                )));
            }
            Ok(_) => {
                if byte[0] == b'\n' {
                    return Ok(Some(line));
                }
                if line.len() >= MAX_LINE {
                    return Err(Error::Media(format!(
                        "{what} is longer than {MAX_LINE} bytes (no newline found)"
                    )));
                }
                line.push(byte[0]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(format!("cannot read {what}"), e)),
        }
    }
}

/// Fills `buf` completely; returns the number of bytes read before the input ended.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Streaming Y4M reader. Wrap slow sources in a `BufReader`: lines are read byte by byte.
pub struct Y4mReader<R: Read> {
    inner: R,
    header: Y4mHeader,
    frames_read: u64,
    name: String,
}

impl<R: Read> Y4mReader<R> {
    /// Reads and checks the header. `name` (a file name or "standard input") is used in errors.
    pub fn new(mut inner: R, name: &str, limits: &Limits) -> Result<Y4mReader<R>> {
        let line = read_line(&mut inner, &format!("{name}: Y4M header"))?
            .ok_or_else(|| Error::Media(format!("{name}: empty input, expected a Y4M header")))?;
        let header =
            Y4mHeader::parse(&line, limits).map_err(|e| Error::Media(format!("{name}: {e}")))?;
        Ok(Y4mReader {
            inner,
            header,
            frames_read: 0,
            name: name.to_string(),
        })
    }

    /// The stream's parameters.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// The next frame, or `Ok(None)` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<YuvFrame>> {
        let index = self.frames_read;
        let what = format!("{}: frame {index} header", self.name);
        let Some(line) = read_line(&mut self.inner, &what)? else {
            return Ok(None);
        };
        if !(line == b"FRAME" || line.starts_with(b"FRAME ")) {
            let shown = String::from_utf8_lossy(&line[..line.len().min(20)]).into_owned();
            return Err(Error::Media(format!(
                "{what}: expected 'FRAME', found '{shown}'"
            )));
        }
        let (w, h) = (self.header.width as usize, self.header.height as usize);
        let chroma = self.header.chroma;
        let mut planes = Vec::with_capacity(chroma.plane_count());
        for p in 0..chroma.plane_count() {
            let (pw, ph) = chroma.plane_size(p, w, h);
            let mut data = vec![0u8; pw * ph];
            let got = read_full(&mut self.inner, &mut data)
                .map_err(|e| Error::io(format!("cannot read {}: frame {index}", self.name), e))?;
            if got < data.len() {
                return Err(Error::Media(format!(
                    "{}: frame {index} is truncated: plane {p} has {got} of {} bytes",
                    self.name,
                    data.len()
                )));
            }
            planes.push(Plane {
                width: pw,
                height: ph,
                data,
            });
        }
        self.frames_read += 1;
        Ok(Some(YuvFrame { planes }))
    }
}

/// Streaming Y4M writer: the header at creation, then one frame per call.
pub struct Y4mWriter<W: Write> {
    inner: W,
    header: Y4mHeader,
}

impl<W: Write> Y4mWriter<W> {
    /// Writes the header line.
    pub fn new(mut inner: W, header: Y4mHeader) -> Result<Y4mWriter<W>> {
        inner
            .write_all(header.to_line().as_bytes())
            .map_err(|e| Error::io("cannot write the Y4M header", e))?;
        Ok(Y4mWriter { inner, header })
    }

    /// Writes one frame; its planes must have the header's sizes.
    pub fn write_frame(&mut self, frame: &YuvFrame) -> Result<()> {
        let (w, h) = (self.header.width as usize, self.header.height as usize);
        let chroma = self.header.chroma;
        if frame.planes.len() != chroma.plane_count() {
            return Err(Error::InvalidArgument(format!(
                "a {} frame has {} planes, got {}",
                chroma.tag(),
                chroma.plane_count(),
                frame.planes.len()
            )));
        }
        for (p, plane) in frame.planes.iter().enumerate() {
            if (plane.width, plane.height) != chroma.plane_size(p, w, h) {
                return Err(Error::InvalidArgument(format!(
                    "plane {p} is {}x{}, the Y4M header needs {:?}",
                    plane.width,
                    plane.height,
                    chroma.plane_size(p, w, h)
                )));
            }
        }
        let io = |e| Error::io("cannot write a Y4M frame", e);
        self.inner.write_all(b"FRAME\n").map_err(io)?;
        for plane in &frame.planes {
            self.inner.write_all(&plane.data).map_err(io)?;
        }
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.inner
            .flush()
            .map_err(|e| Error::io("cannot flush the Y4M output", e))?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(chroma: ChromaFormat, w: u32, h: u32, frames: usize) -> Vec<u8> {
        let header = Y4mHeader {
            aspect: (16, 15),
            ..Y4mHeader::new(w, h, chroma, (30000, 1001))
        };
        let mut writer = Y4mWriter::new(Vec::new(), header).unwrap();
        for f in 0..frames {
            let mut frame = YuvFrame::filled(w as usize, h as usize, chroma, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                for (i, v) in plane.data.iter_mut().enumerate() {
                    *v = (i * 7 + p * 31 + f * 13) as u8;
                }
            }
            writer.write_frame(&frame).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn round_trip_every_chroma_format() {
        for chroma in ChromaFormat::ALL {
            let bytes = sample(chroma, 5, 3, 2);
            let mut reader = Y4mReader::new(&bytes[..], "test", &Limits::default()).unwrap();
            let header = reader.header().clone();
            assert_eq!(header.chroma, chroma);
            assert_eq!(header.frame_rate, (30000, 1001));
            assert_eq!(header.aspect, (16, 15));
            let mut writer = Y4mWriter::new(Vec::new(), header).unwrap();
            while let Some(frame) = reader.next_frame().unwrap() {
                writer.write_frame(&frame).unwrap();
            }
            assert_eq!(reader.frames_read(), 2);
            assert_eq!(writer.finish().unwrap(), bytes);
        }
    }

    #[test]
    fn default_chroma_frame_params_and_comments() {
        let mut bytes = b"YUV4MPEG2 W4 H2 XYSCSS=420JPEG\nFRAME Ixyz\n".to_vec();
        bytes.extend_from_slice(&[1u8; 8 + 2 + 2]);
        let mut reader = Y4mReader::new(&bytes[..], "t", &Limits::default()).unwrap();
        assert_eq!(reader.header().chroma, ChromaFormat::Yuv420Jpeg);
        assert_eq!(reader.header().frame_rate, (25, 1));
        assert!(reader.next_frame().unwrap().is_some());
        assert!(reader.next_frame().unwrap().is_none());
    }

    #[test]
    fn absurd_headers_are_refused_before_allocating() {
        let limits = Limits::default();
        let cases: [&[u8]; 11] = [
            b"YUV4MPEG2 W1000000 H1000000 C420jpeg\n",
            b"YUV4MPEG2 W99999999999 H2\n",
            b"YUV4MPEG2 W0 H2\n",
            b"YUV4MPEG2 W4\n",
            b"YUV4MPEG2 W4 H4 C411\n",
            b"YUV4MPEG2 W4 H4 F30:0\n",
            b"YUV4MPEG2 W4 H4 Q7\n",
            b"YUV4MPEG2 W4 H4 C420p10\n",
            b"YUV4MPEG2 W-4 H4\n",
            b"YUV4MPEG1 W4 H4\n",
            b"YUV4MPEG2 W4 H4",
        ];
        for case in cases {
            let err = Y4mReader::new(case, "bad.y4m", &limits).err();
            assert!(err.is_some(), "{:?}", String::from_utf8_lossy(case));
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.contains("bad.y4m") || text.contains("limit"), "{text}");
        }
        let long = [b"YUV4MPEG2 ".to_vec(), vec![b'X'; 10_000]].concat();
        assert!(Y4mReader::new(&long[..], "long", &limits).is_err());
    }

    #[test]
    fn truncated_and_garbled_frames_are_errors() {
        let bytes = sample(ChromaFormat::Yuv420Jpeg, 6, 4, 2);
        let cut = &bytes[..bytes.len() - 3];
        let mut reader = Y4mReader::new(cut, "cut", &Limits::default()).unwrap();
        assert!(reader.next_frame().unwrap().is_some());
        let err = reader.next_frame().unwrap_err().to_string();
        assert!(err.contains("frame 1 is truncated"), "{err}");
        let mut garbled = sample(ChromaFormat::Mono, 2, 2, 1);
        let header_end = garbled.iter().position(|&b| b == b'\n').unwrap() + 1;
        garbled[header_end] = b'G';
        let mut reader = Y4mReader::new(&garbled[..], "g", &Limits::default()).unwrap();
        assert!(reader.next_frame().is_err());
    }
}
