//! Replays, under plain `cargo test`, every input that ever crashed, hung or blew up
//! memory in a fuzz target (fuzz/regressions/TARGET/*), plus the seed inputs
//! (fuzz/seeds/TARGET/*), through the same entry points the fuzzers call.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for kind in ["regressions", "seeds"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let data = std::fs::read(&path).expect("fixture is readable");
            run(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn container_reader_inputs() {
    assert!(replay("container_reader", quanta::fuzzing::container_reader) > 0);
}

#[test]
fn container_units_inputs() {
    assert!(replay("container_units", quanta::fuzzing::container_units) > 0);
}

#[test]
fn image_stream_inputs() {
    assert!(replay("image_stream", quanta::fuzzing::image_stream) > 0);
}

#[test]
fn image_tile_inputs() {
    assert!(replay("image_tile", quanta::fuzzing::image_tile) > 0);
}

#[test]
fn image_lossless_strip_inputs() {
    assert!(
        replay(
            "image_lossless_strip",
            quanta::fuzzing::image_lossless_strip
        ) > 0
    );
}

#[test]
fn image_params_inputs() {
    assert!(replay("image_params", quanta::fuzzing::image_params) > 0);
}

#[test]
fn y4m_reader_inputs() {
    assert!(replay("y4m_reader", quanta::fuzzing::y4m_reader) > 0);
}

#[test]
fn raw_pcm_inputs() {
    assert!(replay("raw_pcm", quanta::fuzzing::raw_pcm) > 0);
}

#[test]
fn audio_stream_inputs() {
    assert!(replay("audio_stream", quanta::fuzzing::audio_stream) > 0);
}

#[test]
fn audio_packet_inputs() {
    assert!(replay("audio_packet", quanta::fuzzing::audio_packet) > 0);
}

#[test]
fn video_stream_inputs() {
    assert!(replay("video_stream", quanta::fuzzing::video_stream) > 0);
}

#[test]
fn video_frames_inputs() {
    assert!(replay("video_frames", quanta::fuzzing::video_frames) > 0);
}
