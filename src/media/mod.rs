//! Media input and output: picture files in and out of [`crate::signal::Picture`], audio files
//! in as streams of samples and WAV or raw PCM out, Y4M video in and out, and [`probe`], the
//! one place that tells what a file holds.

pub mod audio;
pub mod image;
pub mod probe;
pub mod y4m;
