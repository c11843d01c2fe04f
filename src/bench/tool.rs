//! The external-tool runner of every anchor: spawn the encoder, time it, size its file, spawn
//! the decoder, time it, and remove both files afterwards.
//!
//! Input: an [`Anchor`], a setting, a scratch folder, and the encoder's and decoder's
//! arguments (built by the media's bench from [`ToolFiles::coded`] and
//! [`ToolFiles::decoded`]). Output: a [`Coding`] (coded bytes, wall-clock seconds of each
//! process, start-up and file I/O included); the decoded file is left for the caller to read
//! until the [`ToolFiles`] is dropped, which removes both files whether the run succeeded or
//! not. A program that is missing gives the anchor's "install this package" error; one that
//! fails gives an error naming it, its arguments and the last lines it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::anchors::Anchor;
use super::record::Coding;
use crate::error::{Error, Result};

/// The coded and decoded files of one anchor run, removed when dropped.
#[derive(Debug)]
pub struct ToolFiles {
    pub coded: PathBuf,
    pub decoded: PathBuf,
}

impl ToolFiles {
    /// The file names of `anchor` at `setting` in `dir`, with the anchor's extensions.
    pub fn new(dir: &Path, anchor: Anchor, setting: f64) -> ToolFiles {
        let tag = format!("{}_{setting}", anchor.name());
        ToolFiles {
            coded: dir.join(format!("{tag}.{}", anchor.coded_extension())),
            decoded: dir.join(format!("{tag}_decoded.{}", anchor.decoded_extension())),
        }
    }

    /// Runs the anchor's encoder with `encode_args`, then its decoder with `decode_args`.
    pub fn run(
        &self,
        anchor: Anchor,
        encode_args: &[String],
        decode_args: &[String],
    ) -> Result<Coding> {
        let start = Instant::now();
        run_program(anchor, anchor.encoder(), encode_args)?;
        let encode_seconds = start.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&self.coded)
            .map_err(|e| Error::io_path("read the size of", &self.coded, e))?
            .len();
        let start = Instant::now();
        run_program(anchor, anchor.decoder(), decode_args)?;
        let decode_seconds = start.elapsed().as_secs_f64();
        Ok(Coding {
            bytes,
            encode_seconds,
            decode_seconds,
        })
    }
}

impl Drop for ToolFiles {
    fn drop(&mut self) {
        // A file that was never written is not an error.
        let _ = std::fs::remove_file(&self.coded);
        let _ = std::fs::remove_file(&self.decoded);
    }
}

/// Runs one program to its end, its output captured; a failure quotes its last words.
pub(crate) fn run_program(anchor: Anchor, program: &str, args: &[String]) -> Result<()> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anchor.missing(program)
            } else {
                Error::io(format!("cannot run {program}"), e)
            }
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    let said: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::Media(format!(
        "{program} {} failed ({}): {}",
        args.join(" "),
        output.status,
        if said.is_empty() {
            "no message".to_string()
        } else {
            said.join(" / ")
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_anchor_and_setting_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let files = ToolFiles::new(dir.path(), Anchor::Webp, 75.0);
        assert_eq!(files.coded, dir.path().join("webp_75.webp"));
        assert_eq!(files.decoded, dir.path().join("webp_75_decoded.ppm"));
        std::fs::write(&files.coded, b"x").unwrap();
        std::fs::write(&files.decoded, b"y").unwrap();
        drop(files);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_program_is_named_with_its_message() {
        let args = [
            "-c".to_string(),
            "echo broken input >&2; exit 3".to_string(),
        ];
        let err = run_program(Anchor::Jpeg, "sh", &args)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sh -c") && err.contains("broken input"),
            "{err}"
        );
        let missing = run_program(Anchor::Jpeg, "quanta-no-such-program", &[]).unwrap_err();
        assert!(
            missing.to_string().contains("libjpeg-turbo-progs"),
            "{missing}"
        );
    }
}
