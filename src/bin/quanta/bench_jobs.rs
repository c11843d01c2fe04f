//! `quanta bench` as jobs: `--plan FILE` writes one job line per run, `--run-job
//! LINE_OR_FILE:N` runs one and prints its record line, `--merge RECORDS` reads the records
//! back into the report a direct run gives (`quanta::bench::jobs`).

use std::path::Path;

use quanta::bench::jobs::{self, Job, JobRecord};
use quanta::bench::{BenchConfig, BenchReport};
use quanta::{Error, Result};

use crate::output::{write_all, Destination};
use crate::Finish;

/// Writes the jobs of `config`, one JSON line each.
pub fn write_plan(config: &BenchConfig, path: &Path) -> Result<Finish> {
    let jobs = jobs::plan_jobs(config)?;
    let mut text = String::new();
    for job in &jobs {
        text.push_str(&job.to_json());
        text.push('\n');
    }
    write_all(&Destination::from_arg(path), text.as_bytes())?;
    eprintln!("quanta bench: {} jobs planned", jobs.len());
    Ok(Finish::Ok)
}

/// The job named by `spec`: a job line, or `FILE:N` for line N (from 0) of a plan file.
fn job_of(spec: &str) -> Result<Job> {
    if spec.trim_start().starts_with('{') {
        return Job::from_json(spec);
    }
    let (file, n) = spec.rsplit_once(':').ok_or_else(|| {
        Error::InvalidArgument(format!(
            "--run-job {spec}: expected a job line or FILE:N (N counts lines from 0)"
        ))
    })?;
    let n: usize = n.parse().map_err(|_| {
        Error::InvalidArgument(format!(
            "--run-job {spec}: '{n}' is not a line number (from 0)"
        ))
    })?;
    let path = Path::new(file);
    let bytes = crate::read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InvalidArgument(format!("{file} is not UTF-8 text")))?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let line = lines.get(n).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "{file} holds {} jobs, there is no job line {n}",
            lines.len()
        ))
    })?;
    Job::from_json(line)
}

/// Runs one job; its record line goes to `output` or standard output.
pub fn run_job(spec: &str, output: Option<&Path>) -> Result<Finish> {
    let job = job_of(spec)?;
    let record = jobs::run_job(&job)?;
    let mut line = record.to_json();
    line.push('\n');
    let destination = Destination::from_arg(output.unwrap_or(Path::new("-")));
    write_all(&destination, line.as_bytes())?;
    Ok(Finish::Ok)
}

/// Reads a records file (one JSON line each) and builds the report.
pub fn merge(path: &Path) -> Result<BenchReport> {
    let bytes = crate::read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InvalidArgument(format!("{} is not UTF-8 text", path.display())))?;
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = JobRecord::from_json(line).map_err(|e| {
            Error::InvalidArgument(format!("{} line {}: {e}", path.display(), n + 1))
        })?;
        records.push(record);
    }
    jobs::merge(records)
}
