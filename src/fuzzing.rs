//! Entry points of the fuzz targets (fuzz/) and of the regression test that replays every
//! input that ever crashed one (tests/fuzz_regressions.rs). Each takes arbitrary bytes and
//! must return without panicking, hanging or allocating beyond small limits; results are
//! thrown away. Kept in the library so that the fuzzers and `cargo test` run the same code.

use crate::codec::image::params::{ChromaSampling, ImageParams};
use crate::codec::image::tile::decode_tile;
use crate::codec::image::{decode_picture, ImageDecodeOptions};
use crate::container::{ContainerReader, ReadEvent};
use crate::error::Limits;
use crate::transform::TransformId;

/// Limits small enough that a fuzzer never runs out of memory.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_dimension: 1024,
        max_pixels: 1 << 18,
        max_packet_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// Reads a container to its end.
pub fn container_reader(data: &[u8]) {
    if let Ok(mut reader) = ContainerReader::new(data, fuzz_limits()) {
        let mut events = 0usize;
        while let Ok(Some(event)) = reader.next_event() {
            events += 1;
            if let ReadEvent::Packet(p) = event {
                std::hint::black_box(p.payload.len());
            }
            // A stream can hold at most one event per byte, plus a final one.
            assert!(
                events <= data.len() + 2,
                "the reader produced more events than bytes"
            );
        }
    }
}

/// Decodes raw bytes as an image stream, on one thread.
pub fn image_stream(data: &[u8]) {
    let options = ImageDecodeOptions {
        threads: 1,
        limits: fuzz_limits(),
    };
    let _ = decode_picture(data, &options);
}

/// Parses raw bytes as image parameters and uses them.
pub fn image_params(data: &[u8]) {
    if let Ok(params) = ImageParams::from_bytes(data, &fuzz_limits()) {
        let tiles = params.tile_count();
        let _ = params.tile_rect(tiles.saturating_sub(1), 0);
        let _ = params.steps_at(1, params.activity_scales.len());
    }
}

/// Decodes a tile payload under parameters chosen by the first 6 bytes.
pub fn image_tile(data: &[u8]) {
    if data.len() < 6 {
        return;
    }
    let sampling = match data[0] % 3 {
        0 => ChromaSampling::Mono,
        1 => ChromaSampling::Yuv420,
        _ => ChromaSampling::Yuv444,
    };
    let transform = TransformId::from_u8(data[1] % 9).unwrap_or(TransformId::Dct);
    let width = 1 + (data[2] % 64) as u32;
    let height = 1 + (data[3] % 64) as u32;
    let levels = 1 + (data[4] % 5) as usize;
    let step = 1 + data[5] as u16 * 4;
    let params = ImageParams {
        width,
        height,
        sampling,
        tile_size: 32,
        quality: 50,
        deblock: true,
        activity_scales: [161u16, 203, 256, 323, 406][..levels].to_vec(),
        luma_steps: [step; 64],
        chroma_steps: [step.saturating_add(7); 64],
        transform,
    };
    let mut payload = vec![0u8; 4];
    payload.extend_from_slice(&data[6..]);
    let _ = decode_tile(&params, &payload);
}
