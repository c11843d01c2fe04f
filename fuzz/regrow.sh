#!/usr/bin/env bash
# Regrows the fuzzing corpus of one target (or all) from the committed seeds, the way the
# runs in docs/RELIABILITY.md were made: first with compare tracing, which finds the
# inputs that get past checksums and magic numbers, then minimized with libFuzzer's merge.
# The corpus is not committed (fuzz/corpus/ is ignored: it changes with every decoder
# change and a fresh one regrows in minutes); the seeds and the crashers are.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on the stable toolchain (`-s none`).
# Usage: fuzz/regrow.sh [TARGET ...]   (RUNS: executions of the growing pass, default 1000000)
# Then, for a long run steered by edge coverage alone:
#   cargo fuzz build -s none -O --no-trace-compares TARGET
#   target/x86_64-unknown-linux-gnu/release/TARGET corpus/TARGET seeds/TARGET \
#     -runs=10000000 -max_len=4096 -rss_limit_mb=1024 -timeout=10
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(ls fuzz_targets | sed 's/\.rs$//'))
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cargo fuzz run -s none -O "$t" "corpus/$t" "seeds/$t" -- \
    -runs="${RUNS:-1000000}" -max_len=4096 -rss_limit_mb=1024 -timeout=10
  # Keep only the inputs that add coverage.
  rm -rf "corpus/$t.min" && mkdir "corpus/$t.min"
  cargo fuzz run -s none -O "$t" "corpus/$t.min" "corpus/$t" -- -merge=1
  rm -rf "corpus/$t" && mv "corpus/$t.min" "corpus/$t"
  echo "$t: $(ls "corpus/$t" | wc -l) inputs"
done
