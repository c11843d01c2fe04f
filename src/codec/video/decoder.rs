//! The video decoder: a quanta video stream in, frames out, damage concealed.
//!
//! In: the stream's packets ([`VideoStreamDecoder`] reads them from the container) or frame
//! payloads one at a time ([`VideoDecoder`]). Out: the decoded frames, bit-exact with the
//! encoder's reconstruction; a damaged or lost packet is reported and replaced by the last
//! good frame, and inter frames after it are concealed the same way until the next
//! keyframe, at most [`Limits::max_concealed_seconds`] of stand-ins for one gap.

use std::io::Read;
use std::sync::Arc;

use super::frame::{
    blank_planes, crop_frame, make_reference, push_reference, run_slices, slice_rows, thread_count,
    FrameSetup, Reference,
};
use super::keyframe;
use super::packet_decoder::VideoPacketDecoder;
use super::params::VideoParams;
use super::qp::MAX_QP;
use super::slice::decode_slice;
use crate::codec::DecodeReport;
use crate::container::{ContainerReader, ReadEvent};
use crate::error::{Error, Limits, Result};
use crate::media::y4m::YuvFrame;

/// Frame payload: type, quantizer index, frame number, slice count, then each slice's
/// length and bytes.
const FRAME_HEADER_BYTES: usize = 8;

/// The video decoder proper: payloads in, frames out.
pub struct VideoDecoder {
    params: VideoParams,
    threads: usize,
    /// The references of the next inter frame, newest first (at most `params.refs`).
    references: Vec<Arc<Reference>>,
    /// The anchor (keyframe or P-frame) decoded before the newest one since the last
    /// keyframe: a B-frame predicts from it and the newest.
    earlier_anchor: Option<Arc<Reference>>,
    last: Option<YuvFrame>,
    waiting_for_key: bool,
    /// What a frame's planes hold before its slices are decoded into them (0; a test
    /// decodes with two values and holds the frames equal).
    pub(super) fill: u8,
}

impl VideoDecoder {
    /// A decoder for a stream with these parameters.
    pub fn new(params: VideoParams, threads: usize) -> VideoDecoder {
        VideoDecoder {
            params,
            threads: thread_count(threads),
            references: Vec::new(),
            earlier_anchor: None,
            last: None,
            waiting_for_key: false,
            fill: 0,
        }
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        &self.params
    }

    /// Conceals inter frames from now on until the next keyframe (after damage).
    pub(super) fn mark_damaged(&mut self) {
        self.waiting_for_key = true;
    }

    /// True while inter frames are being concealed until the next keyframe.
    pub fn waiting_for_key(&self) -> bool {
        self.waiting_for_key
    }

    /// Decodes one frame payload. On an error the caller should [`VideoDecoder::conceal`].
    /// Frames come out in coding order; in streams with B-frames
    /// ([`VideoParams::bframes`]) [`VideoPacketDecoder`] puts them in display order.
    pub fn decode(&mut self, payload: &[u8]) -> Result<YuvFrame> {
        self.decode_numbered(payload).map(|(_, frame)| frame)
    }

    /// Decodes one frame payload: the frame's type, its number in display order, and the
    /// frame.
    pub(super) fn decode_numbered(&mut self, payload: &[u8]) -> Result<(FrameInfo, YuvFrame)> {
        let params = &self.params;
        if payload.len() < FRAME_HEADER_BYTES {
            return Err(Error::invalid(format!(
                "frame payload of {} bytes, at least {FRAME_HEADER_BYTES} expected",
                payload.len()
            )));
        }
        let (key, bidir) = match payload[0] {
            0 => (false, false),
            1 => (true, false),
            2 if params.bframes > 0 => (false, true),
            t => {
                let expected = if params.bframes > 0 {
                    "0, 1 or 2"
                } else {
                    "0 or 1 (the header allows no B-frames)"
                };
                return Err(Error::invalid(format!(
                    "frame type {t}, expected {expected}"
                )));
            }
        };
        let qp = payload[1];
        if qp > MAX_QP {
            return Err(Error::invalid(format!(
                "quantizer index {qp}, at most {MAX_QP}"
            )));
        }
        let number = u32::from_le_bytes([payload[2], payload[3], payload[4], payload[5]]);
        let slices = u16::from_le_bytes([payload[6], payload[7]]) as usize;
        if slices != params.slice_count() {
            return Err(Error::invalid(format!(
                "frame {number}: {slices} slices, the header says {}",
                params.slice_count()
            )));
        }
        if !key && (self.references.is_empty() || self.waiting_for_key) {
            return Err(Error::invalid(format!(
                "frame {number}: inter frame without a good reference (waiting for a keyframe)"
            )));
        }
        let mut parts = Vec::with_capacity(slices);
        let mut at = FRAME_HEADER_BYTES;
        for s in 0..slices {
            let len = payload
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(|| {
                    Error::invalid(format!("frame {number}: slice {s} length missing"))
                })?;
            let data = payload.get(at + 4..at + 4 + len).ok_or_else(|| {
                Error::invalid(format!(
                    "frame {number}: slice {s} is {len} bytes, past the payload"
                ))
            })?;
            parts.push(data);
            at += 4 + len;
        }
        let anchors: Vec<Arc<Reference>> = if bidir {
            match (&self.earlier_anchor, self.references.first()) {
                (Some(earlier), Some(later)) => vec![earlier.clone(), later.clone()],
                _ => {
                    return Err(Error::invalid(format!(
                        "frame {number}: B-frame without two anchors since the keyframe"
                    )))
                }
            }
        } else {
            Vec::new()
        };
        let setup = FrameSetup {
            params,
            intra: key,
            qp,
            references: match (key, bidir) {
                (true, _) => &[],
                (false, true) => &anchors,
                (false, false) => &self.references,
            },
            bidir,
            anchor_distances: (0, 0),
            lookahead: &[],
            qp_offsets: &[],
        };
        let mut recon = blank_planes(params, self.fill);
        let block_coded = key && keyframe::uses_block_keyframes(params);
        let results = {
            let rows = slice_rows(params, &mut recon);
            run_slices(rows, self.threads, |s, r| {
                if block_coded {
                    keyframe::decode_slice(&setup, s, parts[s], r)
                } else {
                    decode_slice(&setup, s, parts[s], r)
                }
            })?
        };
        let outputs = results
            .into_iter()
            .collect::<Result<Vec<_>>>()
            .map_err(|e| Error::invalid(format!("frame {number}: {e}")))?;
        let reference = make_reference(params, recon, &outputs, qp, None);
        let frame = crop_frame(params, &reference.planes);
        if !bidir {
            self.earlier_anchor = if key {
                None
            } else {
                self.references.first().cloned()
            };
            push_reference(&mut self.references, Arc::new(reference), params, key);
        }
        self.last = Some(frame.clone());
        self.waiting_for_key = false;
        Ok((FrameInfo { key, number }, frame))
    }

    /// A stand-in for a lost frame: the last good frame (mid-grey before any), and inter
    /// frames are concealed too until the next keyframe.
    pub fn conceal(&mut self) -> YuvFrame {
        self.waiting_for_key = true;
        match &self.last {
            Some(f) => f.clone(),
            None => YuvFrame::filled(
                self.params.width as usize,
                self.params.height as usize,
                self.params.chroma,
                128,
            ),
        }
    }
}

/// What a frame's payload says of it besides its pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameInfo {
    pub(super) key: bool,
    /// The frame's number in display order (since the start of its segment).
    pub(super) number: u32,
}

/// Frames a second of stream time counts as at most, for [`Limits::max_concealed_seconds`].
pub const MAX_CONCEALED_FPS: u64 = 300;

/// One frame out of [`VideoStreamDecoder`].
#[derive(Debug, Clone)]
pub struct DecodedFrame {
    pub frame: YuvFrame,
    /// The frame is a stand-in for a lost or undecodable one.
    pub concealed: bool,
    /// What went wrong, when concealed.
    pub problem: Option<String>,
}

/// Reads a video stream and yields its frames, concealing damage.
pub struct VideoStreamDecoder<R: Read> {
    reader: ContainerReader<R>,
    decoder: VideoPacketDecoder,
    /// The stream ended and the packet decoder was told.
    finished: bool,
}

impl<R: Read> VideoStreamDecoder<R> {
    /// Reads the stream header; fails unless it is a video stream.
    pub fn new(input: R, limits: Limits, threads: usize) -> Result<Self> {
        VideoStreamDecoder::from_reader(ContainerReader::new(input, limits)?, &limits, threads)
    }

    /// Continues a reader whose header was read; fails unless it is a video stream.
    pub fn from_reader(
        reader: ContainerReader<R>,
        limits: &Limits,
        threads: usize,
    ) -> Result<Self> {
        let decoder = VideoPacketDecoder::new(reader.header(), limits, threads)?;
        Ok(VideoStreamDecoder {
            reader,
            decoder,
            finished: false,
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        self.decoder.params()
    }

    /// Most stand-in frames the decoder emits for one gap in the packet sequence.
    pub fn max_concealed_run(&self) -> u64 {
        self.decoder.max_concealed_run()
    }

    /// Damage reports so far.
    pub fn damage(&self) -> &[String] {
        &self.decoder.report().damage
    }

    /// Damage and concealment so far.
    pub fn report(&self) -> &DecodeReport {
        self.decoder.report()
    }

    /// True when the stream ended with its end-of-stream packet.
    pub fn is_complete(&self) -> bool {
        self.reader.is_complete()
    }

    /// The frame count from the end-of-stream packet, once read.
    pub fn frame_count(&self) -> Option<u64> {
        self.reader
            .end_payload()
            .and_then(|p| p.get(..8))
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// The next frame, or `Ok(None)` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        loop {
            if let Some(frame) = self.decoder.receive_frame() {
                return Ok(Some(frame));
            }
            if self.finished {
                return Ok(None);
            }
            match self.reader.next_event()? {
                Some(ReadEvent::Packet(packet)) => self.decoder.send_packet(&packet),
                Some(ReadEvent::Damaged(d)) => self.decoder.lost(&d),
                None => {
                    // Frames waiting for display order come out after the last packet.
                    self.decoder.finish(self.reader.end_payload());
                    self.finished = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::video::{VideoEncoder, VideoEncoderConfig};
    use crate::media::y4m::{ChromaFormat, Y4mHeader};

    /// A moving texture with a bright square, so that frames have intra, inter and skipped
    /// macroblocks.
    fn frames(w: usize, h: usize, chroma: ChromaFormat) -> Vec<YuvFrame> {
        (0..4)
            .map(|f| {
                let mut frame = YuvFrame::filled(w, h, chroma, 0);
                for (p, plane) in frame.planes.iter_mut().enumerate() {
                    for y in 0..plane.height {
                        for x in 0..plane.width {
                            let (gx, gy) = ((x + 2 * f) as f64, (y + f) as f64);
                            let v = 128.0 + 60.0 * (gx * 0.3).sin() * (gy * 0.2).cos();
                            let square = (x + 3 * f) % plane.width < 6 && y % 16 < 6;
                            plane.data[y * plane.width + x] =
                                if square { 220 - 30 * p as u8 } else { v as u8 };
                        }
                    }
                }
                frame
            })
            .collect()
    }

    /// Every sample a frame reports is written by the decoder: two decoders whose frame
    /// planes start filled with 0 and with 255 give the same frames, for odd sizes and
    /// every chroma layout.
    #[test]
    fn b_frames_need_the_header_and_two_anchors() {
        let header = Y4mHeader::new(32, 32, ChromaFormat::Yuv420Jpeg, (30, 1));
        let mut params = VideoParams::from_y4m(&header);
        let slices = params.slice_count() as u8;
        let payload = [2, 20, 0, 0, 0, 0, slices, 0];
        let err = VideoDecoder::new(params.clone(), 1)
            .decode(&payload)
            .unwrap_err();
        assert!(err.to_string().contains("allows no B-frames"), "{err}");
        params.bframes = 2;
        let err = VideoDecoder::new(params, 1).decode(&payload).unwrap_err();
        assert!(err.to_string().contains("inter frame without"), "{err}");
    }

    #[test]
    fn every_sample_of_a_frame_is_written() {
        let cases = [
            (37, 21, ChromaFormat::Yuv422),
            (50, 30, ChromaFormat::Yuv420Mpeg2),
            (24, 40, ChromaFormat::Yuv444),
            (33, 17, ChromaFormat::Mono),
        ];
        for (w, h, chroma) in cases {
            let header = Y4mHeader::new(w as u32, h as u32, chroma, (30, 1));
            let config = VideoEncoderConfig {
                threads: 1,
                ..VideoEncoderConfig::default()
            };
            let mut encoder = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
            for frame in frames(w, h, chroma) {
                encoder.encode_frame(&frame).unwrap();
            }
            let stream = encoder.finish().unwrap().0;
            let mut zeros =
                VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
            let mut ones =
                VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
            ones.decoder.decoder_mut().fill = 255;
            let mut count = 0;
            while let Some(a) = zeros.next_frame().unwrap() {
                let b = ones
                    .next_frame()
                    .unwrap()
                    .expect("the same number of frames");
                assert!(!a.concealed && !b.concealed);
                assert_eq!(a.frame, b.frame, "{w}x{h} {chroma:?} frame {count}");
                count += 1;
            }
            assert!(ones.next_frame().unwrap().is_none());
            assert_eq!(count, 4, "{chroma:?}");
        }
    }
}
