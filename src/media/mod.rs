//! Media input and output: picture files in and out of [`crate::signal::Picture`], audio files
//! in as streams of samples and WAV or raw PCM out.

pub mod audio;
pub mod image;
pub mod y4m;
