//! Safe output files: written under a temporary name beside the target and renamed into
//! place only when complete, so a failed or interrupted run never leaves a file that
//! looks finished, and never the input overwritten. Devices and pipes (`-o /dev/null`, a
//! FIFO) are written in place: renaming a file onto one would replace the node itself.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use quanta::{Error, Result};

/// Where a command writes: a file (atomically) or standard output.
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub fn from_arg(arg: &Path) -> Destination {
        if arg == Path::new("-") {
            Destination::Stdout
        } else {
            Destination::File(arg.to_path_buf())
        }
    }
}

/// Refuses to write `output` when it is the same file as `input` (also through another
/// path or a hard link).
pub fn check_not_input(input: &Path, output: &Path) -> Result<()> {
    if input == Path::new("-") || output == Path::new("-") {
        return Ok(());
    }
    let same = match (std::fs::metadata(input), std::fs::metadata(output)) {
        (Ok(a), Ok(b)) => same_file(&a, &b),
        _ => false,
    };
    let canonical_same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same || canonical_same {
        return Err(Error::InvalidArgument(format!(
            "the output {} is the input file; refusing to overwrite it",
            output.display()
        )));
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    false
}

/// A file being written under a temporary name; `commit` renames it into place, dropping
/// it without committing deletes it.
pub struct PendingFile {
    /// The temporary name, `None` when writing a device or pipe in place.
    temp: Option<PathBuf>,
    target: PathBuf,
    writer: BufWriter<File>,
    committed: bool,
}

impl PendingFile {
    pub fn create(target: &Path) -> Result<PendingFile> {
        if let Ok(meta) = std::fs::metadata(target) {
            if !meta.is_file() && !meta.is_dir() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(|e| Error::io_path("open", target, e))?;
                return Ok(PendingFile {
                    temp: None,
                    target: target.to_path_buf(),
                    writer: BufWriter::new(file),
                    committed: false,
                });
            }
        }
        let name = target.file_name().ok_or_else(|| {
            Error::InvalidArgument(format!("output {} is not a file name", target.display()))
        })?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = dir.join(format!(
            ".{}.quanta-partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&temp).map_err(|e| Error::io_path("create", &temp, e))?;
        Ok(PendingFile {
            temp: Some(temp),
            target: target.to_path_buf(),
            writer: BufWriter::new(file),
            committed: false,
        })
    }

    pub fn commit(mut self) -> Result<()> {
        self.writer
            .flush()
            .map_err(|e| Error::io_path("write", &self.target, e))?;
        if let Some(temp) = &self.temp {
            self.writer
                .get_ref()
                .sync_all()
                .map_err(|e| Error::io_path("write", &self.target, e))?;
            std::fs::rename(temp, &self.target)
                .map_err(|e| Error::io_path("create", &self.target, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let (false, Some(temp)) = (self.committed, &self.temp) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Seeking flushes the buffer first (BufWriter does); WAV writers seek back to patch lengths.
impl std::io::Seek for PendingFile {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.writer.seek(pos)
    }
}

/// Runs `write` on a destination: standard output (flushed after), or a file written under a
/// temporary name and renamed into place only when `write` succeeds.
pub fn write_with<T>(
    destination: &Destination,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    match destination {
        Destination::Stdout => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let value = write(&mut out)?;
            out.flush()
                .map_err(|e| Error::io("cannot write to standard output", e))?;
            Ok(value)
        }
        Destination::File(path) => {
            let mut pending = PendingFile::create(path)?;
            let value = write(&mut pending)?;
            pending.commit()?;
            Ok(value)
        }
    }
}

/// Writes a whole byte buffer to a destination (atomically for files).
pub fn write_all(destination: &Destination, bytes: &[u8]) -> Result<()> {
    match destination {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|e| Error::io("cannot write to standard output", e))
        }
        Destination::File(path) => {
            let mut pending = PendingFile::create(path)?;
            pending
                .write_all(bytes)
                .map_err(|e| Error::io_path("write", path, e))?;
            pending.commit()
        }
    }
}
