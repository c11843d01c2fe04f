//! Media input and output: picture files in and out of [`crate::signal::Picture`].

pub mod image;
pub mod y4m;
