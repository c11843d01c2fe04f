//! Raw video frames between GStreamer's layouts and quanta's planes: the formats both sides
//! share (I420, Y42B, Y444, GRAY8) and row-by-row copies that respect GStreamer's strides.

use gst_video::prelude::*;
use gst_video::VideoFormat;
use quanta::media::y4m::{ChromaFormat, YuvFrame};
use quanta::signal::Plane;

/// The raw formats the video elements take and give.
pub const FORMATS: [VideoFormat; 4] = [
    VideoFormat::I420,
    VideoFormat::Y42b,
    VideoFormat::Y444,
    VideoFormat::Gray8,
];

/// quanta's layout for a GStreamer format (`None` for formats the elements do not take).
pub fn chroma_of(format: VideoFormat) -> Option<ChromaFormat> {
    match format {
        VideoFormat::I420 => Some(ChromaFormat::Yuv420),
        VideoFormat::Y42b => Some(ChromaFormat::Yuv422),
        VideoFormat::Y444 => Some(ChromaFormat::Yuv444),
        VideoFormat::Gray8 => Some(ChromaFormat::Mono),
        _ => None,
    }
}

/// The GStreamer format that holds a stream of this layout (every 4:2:0 siting is I420).
pub fn format_of(chroma: ChromaFormat) -> VideoFormat {
    match chroma {
        ChromaFormat::Mono => VideoFormat::Gray8,
        ChromaFormat::Yuv422 => VideoFormat::Y42b,
        ChromaFormat::Yuv444 => VideoFormat::Y444,
        ChromaFormat::Yuv420
        | ChromaFormat::Yuv420Jpeg
        | ChromaFormat::Yuv420Mpeg2
        | ChromaFormat::Yuv420Paldv => VideoFormat::I420,
    }
}

/// The planes of a mapped GStreamer frame as a quanta frame of `chroma` layout.
pub fn read_frame(
    frame: &gst_video::VideoFrameRef<&gst::BufferRef>,
    chroma: ChromaFormat,
) -> Result<YuvFrame, gst::FlowError> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let mut planes = Vec::with_capacity(chroma.plane_count());
    for p in 0..chroma.plane_count() {
        let (w, h) = chroma.plane_size(p, width, height);
        let stride = frame.plane_stride()[p] as usize;
        let data = frame
            .plane_data(p as u32)
            .map_err(|_| gst::FlowError::Error)?;
        if h > 0 && data.len() < (h - 1) * stride + w {
            return Err(gst::FlowError::Error);
        }
        let mut plane = Vec::with_capacity(w * h);
        for y in 0..h {
            plane.extend_from_slice(&data[y * stride..y * stride + w]);
        }
        planes.push(Plane {
            width: w,
            height: h,
            data: plane,
        });
    }
    Ok(YuvFrame { planes })
}

/// Copies a quanta frame into a mapped GStreamer frame of the same size and layout.
pub fn write_frame(
    yuv: &YuvFrame,
    frame: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
) -> Result<(), gst::FlowError> {
    for (p, plane) in yuv.planes.iter().enumerate() {
        let stride = frame.plane_stride()[p] as usize;
        let data = frame
            .plane_data_mut(p as u32)
            .map_err(|_| gst::FlowError::Error)?;
        let w = plane.width;
        if plane.height > 0 && data.len() < (plane.height - 1) * stride + w {
            return Err(gst::FlowError::Error);
        }
        for (y, row) in plane.data.chunks_exact(w.max(1)).enumerate() {
            data[y * stride..y * stride + w].copy_from_slice(row);
        }
    }
    Ok(())
}
