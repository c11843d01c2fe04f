//! quantavideoenc and quantavideodec in a GStreamer harness: the decoder's frames equal the
//! library's decode of the encoder's buffers written one after the other as a stream file,
//! for each raw layout; timestamps follow the input; a damaged unit gives a warning.

mod common;

use gst_video::prelude::*;
use quanta::codec::video::VideoStreamDecoder;
use quanta::Limits;

const WIDTH: u32 = 48;
const HEIGHT: u32 = 34;
const FRAMES: u64 = 12;

/// Moving diagonal gradients with a bright square, `FRAMES` frames in `format`.
fn frames(format: gst_video::VideoFormat) -> (gst::Caps, Vec<gst::Buffer>) {
    let info = gst_video::VideoInfo::builder(format, WIDTH, HEIGHT)
        .fps(gst::Fraction::new(25, 1))
        .par(gst::Fraction::new(16, 15))
        .build()
        .unwrap();
    let mut out = Vec::new();
    for n in 0..FRAMES {
        let mut buffer = gst::Buffer::with_size(info.size()).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            b.set_pts(gst::ClockTime::MSECOND * (40 * n));
            b.set_duration(gst::ClockTime::MSECOND * 40);
            let mut frame = gst_video::VideoFrameRef::from_buffer_ref_writable(b, &info).unwrap();
            for p in 0..frame.n_planes() {
                let w = frame.comp_width(p) as usize;
                let h = frame.comp_height(p) as usize;
                let stride = frame.plane_stride()[p as usize] as usize;
                let data = frame.plane_data_mut(p).unwrap();
                for y in 0..h {
                    for x in 0..w {
                        let square = (x + 2 * n as usize) % w < w / 3 && y > h / 4 && y < h / 2;
                        let value = if p == 0 && square {
                            235
                        } else {
                            ((x * 3 + y * 2 + n as usize * 5 + p as usize * 40) % 200 + 16) as u8
                        };
                        data[y * stride + x] = value;
                    }
                }
            }
        }
        out.push(buffer);
    }
    (info.to_caps().unwrap(), out)
}

/// The planes of a decoded GStreamer frame, tightly packed.
fn planes_of(buffer: &gst::Buffer, info: &gst_video::VideoInfo) -> Vec<Vec<u8>> {
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer.as_ref(), info).unwrap();
    (0..frame.n_planes())
        .map(|p| {
            let w = frame.comp_width(p) as usize;
            let h = frame.comp_height(p) as usize;
            let stride = frame.plane_stride()[p as usize] as usize;
            let data = frame.plane_data(p).unwrap();
            (0..h)
                .flat_map(|y| data[y * stride..y * stride + w].iter().copied())
                .collect()
        })
        .collect()
}

/// The library's decode of the encoder's buffers written one after the other as a stream
/// file: `FRAMES` frames, none concealed, the stream complete.
fn library_decode(units: &[gst::Buffer]) -> Vec<quanta::media::y4m::YuvFrame> {
    let file = common::concatenate(units);
    let mut frames = Vec::new();
    let mut decoder = VideoStreamDecoder::new(file.as_slice(), Limits::default(), 1)
        .expect("a stream the library reads");
    while let Some(frame) = decoder.next_frame().expect("decodes") {
        assert!(!frame.concealed);
        frames.push(frame.frame);
    }
    assert!(decoder.is_complete());
    assert_eq!(frames.len() as u64, FRAMES);
    frames
}

fn round_trip(format: gst_video::VideoFormat) {
    let (caps, input) = frames(format);
    let (mut enc, _) = common::harness("quantavideoenc quality=70 keyint=5 lookahead=2");
    let units = common::run(&mut enc, caps, input);
    let unit_caps = common::output_caps(&enc);
    assert_eq!(
        units.len() as u64,
        FRAMES + 2,
        "header, one packet per frame, end"
    );
    assert!(units[0].flags().contains(gst::BufferFlags::HEADER));
    // Each packet carries its frame's timing.
    for (n, unit) in units[1..=FRAMES as usize].iter().enumerate() {
        assert_eq!(unit.pts(), Some(gst::ClockTime::MSECOND * (40 * n as u64)));
        assert_eq!(unit.duration(), Some(gst::ClockTime::MSECOND * 40));
    }
    assert!(!units[1].flags().contains(gst::BufferFlags::DELTA_UNIT));

    let reference = library_decode(&units);

    // quantavideodec gives the same frames, in the stream's own layout.
    let (mut dec, bus) = common::harness("quantavideodec");
    let out = common::run(&mut dec, unit_caps, units);
    let out_caps = common::output_caps(&dec);
    let info = gst_video::VideoInfo::from_caps(&out_caps).unwrap();
    assert_eq!(info.format(), format);
    assert_eq!((info.width(), info.height()), (WIDTH, HEIGHT));
    assert_eq!(info.fps(), gst::Fraction::new(25, 1));
    assert_eq!(
        info.par(),
        gst::Fraction::new(16, 15),
        "pixel aspect through the stream"
    );
    assert_eq!(out.len() as u64, FRAMES);
    for (n, (buffer, expected)) in out.iter().zip(&reference).enumerate() {
        assert_eq!(
            buffer.pts(),
            Some(gst::ClockTime::MSECOND * (40 * n as u64))
        );
        let planes = planes_of(buffer, &info);
        assert_eq!(planes.len(), expected.planes.len());
        for (p, (got, want)) in planes.iter().zip(&expected.planes).enumerate() {
            assert!(
                got == &want.data,
                "frame {n} plane {p} differs from the library decode"
            );
        }
    }
    assert!(common::warnings(&bus).is_empty());
}

#[test]
fn i420_round_trip_matches_the_library_decode() {
    common::init();
    round_trip(gst_video::VideoFormat::I420);
}

#[test]
fn other_layouts_round_trip_like_the_library_decode() {
    common::init();
    for format in [
        gst_video::VideoFormat::Y42b,
        gst_video::VideoFormat::Y444,
        gst_video::VideoFormat::Gray8,
    ] {
        round_trip(format);
    }
}

#[test]
fn damaged_video_unit_gives_a_warning_and_decoding_goes_on() {
    common::init();
    let (caps, input) = frames(gst_video::VideoFormat::I420);
    let (mut enc, _) = common::harness("quantavideoenc keyint=4");
    let mut units = common::run(&mut enc, caps, input);
    let unit_caps = common::output_caps(&enc);
    let victim = 3;
    let mut bytes = common::bytes_of(&units[victim]);
    let last = bytes.len() - 6;
    bytes[last] ^= 0xff;
    let mut damaged = gst::Buffer::from_mut_slice(bytes);
    damaged.get_mut().unwrap().set_pts(units[victim].pts());
    units[victim] = damaged;

    let (mut dec, bus) = common::harness("quantavideodec");
    let out = common::run(&mut dec, unit_caps, units);
    assert!(
        !common::warnings(&bus).is_empty(),
        "no warning for the damaged unit"
    );
    // Every frame but the damaged one comes out, in order.
    assert_eq!(out.len() as u64, FRAMES - 1);
    let pts: Vec<_> = out.iter().map(|b| b.pts().unwrap()).collect();
    assert!(pts.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        *pts.last().unwrap(),
        gst::ClockTime::MSECOND * (40 * (FRAMES - 1))
    );
}

#[test]
fn b_frame_stream_comes_out_in_display_order_like_the_library_decode() {
    use quanta::codec::video::{VideoEncoder, VideoEncoderConfig};
    use quanta::container::{frame_packet, ContainerReader, ReadEvent};
    use quanta::media::y4m::{ChromaFormat, Y4mHeader, YuvFrame};
    common::init();
    // The library's stream encoder codes moving content with B-frames (quantavideoenc's
    // own B-frames are tested below).
    let header = Y4mHeader::new(WIDTH, HEIGHT, ChromaFormat::Yuv420Jpeg, (25, 1));
    let mut source: std::collections::VecDeque<YuvFrame> = (0..FRAMES as usize)
        .map(|n| {
            let mut f = YuvFrame::filled(WIDTH as usize, HEIGHT as usize, header.chroma, 128);
            for (p, plane) in f.planes.iter_mut().enumerate() {
                let w = plane.width;
                for (i, v) in plane.data.iter_mut().enumerate() {
                    let (x, y) = (i % w, i / w);
                    *v = ((x * 3 + y * 2 + n * 5 + p * 40) % 200 + 16) as u8;
                }
            }
            f
        })
        .collect();
    let config = VideoEncoderConfig {
        bframes: 3,
        keyint: 8,
        threads: 1,
        ..VideoEncoderConfig::default()
    };
    let mut encoder = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
    encoder.encode_stream(|| Ok(source.pop_front())).unwrap();
    let (file, _) = encoder.finish().unwrap();
    let mut reference = Vec::new();
    let mut decoder = VideoStreamDecoder::new(file.as_slice(), Limits::default(), 1).unwrap();
    while let Some(frame) = decoder.next_frame().unwrap() {
        assert!(!frame.concealed);
        reference.push(frame.frame);
    }
    assert_eq!(reference.len() as u64, FRAMES);

    // The same stream as units, one per buffer, timed in coding order.
    let mut reader = ContainerReader::new(file.as_slice(), Limits::default()).unwrap();
    let mut units = vec![gst::Buffer::from_mut_slice(
        reader.header().encode().unwrap(),
    )];
    let mut coded_numbers = Vec::new();
    while let Some(event) = reader.next_event().unwrap() {
        let ReadEvent::Packet(packet) = event else {
            panic!("damage in a fresh stream");
        };
        let bytes = frame_packet(packet.sequence, packet.keyframe, false, &packet.payload);
        let number = u32::from_le_bytes(packet.payload[2..6].try_into().unwrap());
        coded_numbers.push(number);
        units.push(gst::Buffer::from_mut_slice(bytes.unwrap()));
    }
    let end = reader.end_payload().unwrap().to_vec();
    units.push(gst::Buffer::from_mut_slice(
        frame_packet(FRAMES as u32, false, true, &end).unwrap(),
    ));
    assert!(
        coded_numbers.windows(2).any(|w| w[0] > w[1]),
        "some frame is coded before one shown earlier: {coded_numbers:?}"
    );

    let caps = gst::Caps::builder("video/x-quanta").build();
    let (mut dec, bus) = common::harness("quantavideodec");
    let out = common::run(&mut dec, caps, units);
    let info = gst_video::VideoInfo::from_caps(&common::output_caps(&dec)).unwrap();
    assert_eq!(
        out.len() as u64,
        FRAMES,
        "every frame, the held ones at the end"
    );
    for (n, (buffer, expected)) in out.iter().zip(&reference).enumerate() {
        let planes = planes_of(buffer, &info);
        for (p, (got, want)) in planes.iter().zip(&expected.planes).enumerate() {
            assert!(got == &want.data, "frame {n} plane {p} differs");
        }
    }
    assert!(common::warnings(&bus).is_empty());
}

#[test]
fn encoder_b_frames_come_out_in_coding_order_and_decode_in_display_order() {
    common::init();
    let (caps, input) = frames(gst_video::VideoFormat::I420);
    let (mut enc, _) = common::harness("quantavideoenc quality=70 keyint=0 bframes=3");
    let units = common::run(&mut enc, caps, input);
    let unit_caps = common::output_caps(&enc);
    assert_eq!(units.len() as u64, FRAMES + 2, "header, packets, end");
    // Coding order: each anchor comes before the frames shown ahead of it; every frame's
    // timestamp comes once.
    let pts: Vec<gst::ClockTime> = units[1..=FRAMES as usize]
        .iter()
        .map(|u| u.pts().unwrap())
        .collect();
    assert!(pts.windows(2).any(|w| w[1] < w[0]), "{pts:?}");
    let mut sorted = pts.clone();
    sorted.sort();
    let shown: Vec<gst::ClockTime> = (0..FRAMES)
        .map(|n| gst::ClockTime::MSECOND * (40 * n))
        .collect();
    assert_eq!(sorted, shown);

    let reference = library_decode(&units);

    let (mut dec, bus) = common::harness("quantavideodec");
    let out = common::run(&mut dec, unit_caps, units);
    let info = gst_video::VideoInfo::from_caps(&common::output_caps(&dec)).unwrap();
    assert_eq!(out.len() as u64, FRAMES);
    for (n, (buffer, expected)) in out.iter().zip(&reference).enumerate() {
        assert_eq!(buffer.pts(), Some(shown[n]));
        for (p, (got, want)) in planes_of(buffer, &info)
            .iter()
            .zip(&expected.planes)
            .enumerate()
        {
            assert!(
                got == &want.data,
                "frame {n} plane {p} differs from the library decode"
            );
        }
    }
    assert!(common::warnings(&bus).is_empty());
}
