//! `quanta concat`: joins closed segment streams (from `quanta encode --segment`) into one
//! stream that `quanta decode` plays in one pass.
//!
//! Every input must be an intact, complete video or audio stream whose header (media kind,
//! transform, parameter block; for audio all but the total length) is byte for byte that
//! of the first. A video segment must start with a keyframe; an audio segment after the
//! first must start with a segment-start packet. The packets are written again through the
//! container writer, so sequence numbers run on across the joins and every CRC is computed
//! anew. Video: the frame number inside each frame payload (its place in display order in
//! its segment) moves by the frames of the segments before it, so it is the frame's place in
//! the joined stream (B-frame streams keep their coding order), and the end-of-stream packet
//! carries the total frame count. Audio:
//! each packet's first-frame index moves by the frames of the segments before it, and the
//! header's total length and the end-of-stream payload (samples, frames) are the sums.
//! Any refusal leaves no output file.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use quanta::container::{ContainerReader, ContainerWriter, MediaKind, ReadEvent, StreamHeader};
use quanta::{Error, Limits, Result};

use crate::output::{Destination, PendingFile};
use crate::Finish;

#[derive(Args)]
pub struct ConcatArgs {
    /// Segment streams in playing order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The joined stream ('-' for standard output).
    #[arg(short, long)]
    output: PathBuf,
}

/// Bytes of a video frame payload before its frame number (type, quantizer index).
const FRAME_NUMBER_AT: usize = 2;

/// Where the total length (u64, samples per channel) sits in the audio parameter block.
const AUDIO_LENGTH_AT: usize = 11;

/// Bit 7 of an audio packet's frame-count byte (byte 8): the packet starts a segment.
const AUDIO_SEGMENT_START: u8 = 0x80;

/// An audio header's total length (0: unknown); `None` for other media.
fn audio_length(header: &StreamHeader) -> Option<u64> {
    if header.media != MediaKind::Audio {
        return None;
    }
    let b = header.params.get(AUDIO_LENGTH_AT..AUDIO_LENGTH_AT + 8)?;
    Some(u64::from_le_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

fn set_audio_length(header: &mut StreamHeader, length: u64) {
    if let Some(field) = header.params.get_mut(AUDIO_LENGTH_AT..AUDIO_LENGTH_AT + 8) {
        field.copy_from_slice(&length.to_le_bytes());
    }
}

/// The parameter block as compared: an audio segment's own length left out.
fn compared_params(header: &StreamHeader) -> Vec<u8> {
    let mut h = header.clone();
    set_audio_length(&mut h, 0);
    h.params
}

pub fn run(args: ConcatArgs) -> Result<Finish> {
    for input in &args.inputs {
        crate::output::check_not_input(input, &args.output)?;
    }
    let first = open(&args.inputs[0])?;
    let header = first.header().clone();
    drop(first);
    if header.media == MediaKind::Image {
        return Err(Error::Unsupported(format!(
            "{}: holds a picture; quanta concat joins video or audio segment streams",
            args.inputs[0].display()
        )));
    }
    // Check every header before anything is written.
    let mut total_samples = Some(0u64);
    for input in &args.inputs {
        let other = open(input)?;
        check_same(&header, other.header(), &args.inputs[0], input)?;
        let length = audio_length(other.header());
        total_samples = match (total_samples, length) {
            (Some(sum), Some(l)) if l > 0 => Some(sum + l),
            _ => None,
        };
    }
    let mut header = header;
    if header.media == MediaKind::Audio {
        set_audio_length(&mut header, total_samples.unwrap_or(0));
    }
    let frames = match Destination::from_arg(&args.output) {
        Destination::Stdout => {
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            let (mut out, frames) = join(&args.inputs, &header, out)?;
            out.flush()
                .map_err(|e| Error::io("cannot write to standard output", e))?;
            frames
        }
        Destination::File(path) => {
            let pending = PendingFile::create(&path)?;
            let (pending, frames) = join(&args.inputs, &header, pending)?;
            pending.commit()?;
            frames
        }
    };
    eprintln!(
        "quanta concat: {} segments, {frames} frames -> {}",
        args.inputs.len(),
        args.output.display()
    );
    Ok(Finish::Ok)
}

fn open(path: &Path) -> Result<ContainerReader<BufReader<std::fs::File>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
    ContainerReader::new(BufReader::with_capacity(1 << 16, file), Limits::default())
        .map_err(|e| named(path, e))
}

fn named(path: &Path, e: Error) -> Error {
    match e {
        Error::InvalidStream(m) => Error::InvalidStream(format!("{}: {m}", path.display())),
        Error::NotQuanta(m) => Error::NotQuanta(format!("{}: {m}", path.display())),
        Error::Unsupported(m) => Error::Unsupported(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// Refuses a segment whose header differs from the first one's, saying what differs.
fn check_same(first: &StreamHeader, other: &StreamHeader, a: &Path, b: &Path) -> Result<()> {
    let what = if first.media != other.media {
        Some(format!("{} against {}", first.media, other.media))
    } else if first.transform != other.transform {
        Some(format!(
            "transform {} against {}",
            first.transform, other.transform
        ))
    } else if compared_params(first) != compared_params(other) {
        Some(describe_params(first, other))
    } else {
        None
    };
    match what {
        None => Ok(()),
        Some(what) => Err(Error::InvalidArgument(format!(
            "{} and {} were coded with different parameters ({what}); only segments of one \
             encode setting can be joined",
            a.display(),
            b.display()
        ))),
    }
}

/// Names the video parameters that differ, or says the parameter blocks differ.
fn describe_params(a: &StreamHeader, b: &StreamHeader) -> String {
    use quanta::codec::video::VideoParams;
    if a.media != MediaKind::Video {
        return "the parameter blocks differ (rate, channels, frame size, tune, bitrate or \
                mode)"
            .into();
    }
    let limits = Limits::default();
    let (Ok(p), Ok(q)) = (
        VideoParams::from_bytes(&a.params, &limits),
        VideoParams::from_bytes(&b.params, &limits),
    ) else {
        return "the parameter blocks differ".into();
    };
    let mut out = Vec::new();
    if (p.width, p.height) != (q.width, q.height) {
        out.push(format!(
            "size {}x{} against {}x{}",
            p.width, p.height, q.width, q.height
        ));
    }
    if p.chroma != q.chroma {
        out.push(format!(
            "chroma {} against {}",
            p.chroma.tag(),
            q.chroma.tag()
        ));
    }
    if p.frame_rate != q.frame_rate {
        out.push(format!(
            "frame rate {}:{} against {}:{}",
            p.frame_rate.0, p.frame_rate.1, q.frame_rate.0, q.frame_rate.1
        ));
    }
    if p.quality != q.quality {
        out.push(format!("quality {} against {}", p.quality, q.quality));
    }
    if p.bitrate_kbps != q.bitrate_kbps {
        out.push(format!(
            "bitrate {} against {} kbit/s",
            p.bitrate_kbps, q.bitrate_kbps
        ));
    }
    if p.keyint != q.keyint {
        out.push(format!("keyint {} against {}", p.keyint, q.keyint));
    }
    if out.is_empty() {
        "the parameter blocks differ".into()
    } else {
        out.join(", ")
    }
}

/// Writes every packet of every segment to `out`; returns it and the frame count.
fn join<W: Write>(inputs: &[PathBuf], header: &StreamHeader, out: W) -> Result<(W, u64)> {
    let audio = header.media == MediaKind::Audio;
    let mut writer = ContainerWriter::new(out, header)?;
    let (mut frames, mut samples): (u64, u64) = (0, 0);
    for (index, input) in inputs.iter().enumerate() {
        let mut reader = open(input)?;
        let mut packets: u64 = 0;
        let mut segment_frames: u64 = 0;
        while let Some(event) = reader.next_event().map_err(|e| named(input, e))? {
            let mut packet = match event {
                ReadEvent::Packet(packet) => packet,
                ReadEvent::Damaged(d) => {
                    return Err(Error::InvalidStream(format!(
                        "{}: damaged segment: {d}",
                        input.display()
                    )))
                }
            };
            if audio {
                let starts = packet.payload.get(8).map(|b| b & AUDIO_SEGMENT_START != 0);
                if packets == 0 && index > 0 && starts != Some(true) {
                    return Err(Error::InvalidStream(format!(
                        "{}: the stream does not start with a segment-start packet (code it \
                         with quanta encode --segment)",
                        input.display()
                    )));
                }
                segment_frames = shift_first_frame(&mut packet.payload, frames, input)?;
            } else {
                if packets == 0 && !packet.keyframe {
                    return Err(Error::InvalidStream(format!(
                        "{}: the segment does not start with a keyframe (not a closed segment)",
                        input.display()
                    )));
                }
                renumber(&mut packet.payload, frames, input)?;
            }
            writer.write_packet(packet.keyframe, &packet.payload)?;
            packets += 1;
        }
        if !reader.is_complete() {
            return Err(Error::InvalidStream(format!(
                "{}: the segment has no end-of-stream packet (truncated)",
                input.display()
            )));
        }
        let end = reader.end_payload().unwrap_or(&[]);
        let word = |i: usize| {
            end.get(8 * i..8 * i + 8)
                .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        };
        if audio {
            let (Some(length), Some(count)) = (word(0), word(1)) else {
                return Err(Error::InvalidStream(format!(
                    "{}: the end-of-stream packet does not hold the length and frame count",
                    input.display()
                )));
            };
            if packets > 0 && count != segment_frames {
                return Err(Error::InvalidStream(format!(
                    "{}: the end-of-stream packet counts {count} frames, the packets end at \
                     frame {segment_frames}",
                    input.display()
                )));
            }
            samples += length;
            frames += count;
        } else {
            if word(0) != Some(packets) {
                return Err(Error::InvalidStream(format!(
                    "{}: the end-of-stream packet counts {:?} frames, the segment holds {packets}",
                    input.display(),
                    word(0)
                )));
            }
            frames += packets;
        }
    }
    let end = if audio {
        let mut end = samples.to_le_bytes().to_vec();
        end.extend_from_slice(&frames.to_le_bytes());
        end
    } else {
        frames.to_le_bytes().to_vec()
    };
    let out = writer.finish(&end)?;
    Ok((out, frames))
}

/// Moves an audio packet's first-frame index by `offset`; returns the index after the
/// packet's frames, within its own segment.
fn shift_first_frame(payload: &mut [u8], offset: u64, input: &Path) -> Result<u64> {
    let length = payload.len();
    let short = || {
        Error::InvalidStream(format!(
            "{}: an audio packet of {length} bytes is too short",
            input.display()
        ))
    };
    let count = u64::from(*payload.get(8).ok_or_else(short)? & !AUDIO_SEGMENT_START);
    let field = payload.get_mut(..8).ok_or_else(short)?;
    let first = u64::from_le_bytes([
        field[0], field[1], field[2], field[3], field[4], field[5], field[6], field[7],
    ]);
    let moved = first.checked_add(offset).ok_or_else(|| {
        Error::InvalidStream(format!("{}: frame index overflow", input.display()))
    })?;
    field.copy_from_slice(&moved.to_le_bytes());
    Ok(first + count)
}

/// Moves the frame number in a frame payload by `before`, the frames of the segments
/// before it: its place in the joined stream.
fn renumber(payload: &mut [u8], before: u64, input: &Path) -> Result<()> {
    let length = payload.len();
    let field = payload
        .get_mut(FRAME_NUMBER_AT..FRAME_NUMBER_AT + 4)
        .ok_or_else(|| {
            Error::InvalidStream(format!(
                "{}: a frame payload of {} bytes is too short",
                input.display(),
                length
            ))
        })?;
    let own = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
    let number = u32::try_from(before + own as u64).map_err(|_| {
        Error::InvalidArgument(format!(
            "{}: the joined stream would pass {} frames",
            input.display(),
            u32::MAX
        ))
    })?;
    field.copy_from_slice(&number.to_le_bytes());
    Ok(())
}
