//! Shared helpers of the integration tests: synthetic pictures that look enough like
//! photos (smooth shading, edges, texture, noise) to exercise every coding path.

#![allow(dead_code)]

use quanta::signal::{Picture, PixelLayout};

/// A deterministic generator for test data.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A synthetic photo-like picture.
pub fn synthetic_picture(width: usize, height: usize, layout: PixelLayout, seed: u64) -> Picture {
    let mut state = seed | 1;
    let mut data = Vec::with_capacity(width * height * layout.channels());
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f64, y as f64);
            let shade = 100.0 + 60.0 * (fx / 37.0).sin() * (fy / 53.0).cos();
            let edge = if (x / 24 + y / 16) % 2 == 0 {
                40.0
            } else {
                -30.0
            };
            let texture = 12.0 * ((fx * 0.9).sin() + (fy * 1.3).cos());
            let noise = (xorshift(&mut state) % 9) as f64 - 4.0;
            let base = shade + edge + texture + noise;
            for c in 0..layout.channels() {
                let tint = [0.0, 25.0 * (fy / 40.0).sin(), -20.0 + fx / 10.0][c];
                data.push((base + tint).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    Picture::new(width, height, layout, data).expect("synthetic picture size is consistent")
}

/// Whether a test that needs an external program should run. CI (the `CI` variable set)
/// must have every tool, so a missing one fails there; elsewhere the test says what to
/// install and is skipped, so that `cargo test` passes on a fresh machine with only Rust.
pub fn external_tool_ready(missing: Option<String>) -> bool {
    match missing {
        None => true,
        Some(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped (CI runs it): {why}");
            false
        }
        Some(why) => panic!("{why}"),
    }
}
