#!/usr/bin/env bash
# The video preset table of the README: for each preset, the BD-rate (PSNR-YUV 6:1:1,
# PCHIP) against the default `medium` and the encoder's CPU time relative to medium, on
# every Y4M clip of a folder (default: the corpus beside the project). Encodes at qualities
# 35, 50, 65, 80 with one thread and no lookahead thread, so that CPU time is the coder's;
# quality from `quanta compare` on the decoded clip. Needs a release build of quanta and of
# the bd_rate example (cargo build --release --examples) and /usr/bin/time. CPU time is the
# least of REPS runs of each encode (default 3).
# Usage: tools/video_presets.sh [folder]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
Q="$root/target/release/quanta"
B="$root/target/release/examples/bd_rate"
dir=${1:-$root/../shared/corpus/video}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
presets=(faster fast medium slow slower)
echo "| clip | preset | BD-rate vs medium | CPU time vs medium | CPU s (4 encodes) |"
echo "|---|---|---:|---:|---:|"
for clip in "$dir"/*.y4m; do
  name=$(basename "$clip" .y4m)
  declare -A curve=() cpu=()
  for p in "${presets[@]}"; do
    points=""; seconds=0
    for q in 35 50 65 80; do
      best=1e9
      for _ in $(seq "${REPS:-3}"); do
        /usr/bin/time -f "%U %S" -o "$work/t" "$Q" encode "$clip" -o "$work/a.qnt" --quality $q \
          --preset "$p" --threads 1 --lookahead 0 2>/dev/null
        best=$(python3 -c "a,b=open('$work/t').read().split()[-2:]; print(min($best, float(a)+float(b)))")
      done
      seconds=$(python3 -c "print($seconds+$best)")
      "$Q" decode "$work/a.qnt" -o "$work/a.y4m" 2>/dev/null
      db=$("$Q" compare "$clip" "$work/a.y4m" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['psnr_yuv_611'])")
      points="$points $(stat -c %s "$work/a.qnt"),$db"
    done
    curve[$p]=$points; cpu[$p]=$seconds
  done
  for p in "${presets[@]}"; do
    bd=$("$B" "${curve[medium]}" "${curve[$p]}")
    ratio=$(python3 -c "print(f'{${cpu[$p]}/${cpu[medium]}:.2f}')")
    echo "| $name | $p | $bd % | $ratio | $(python3 -c "print(f'{${cpu[$p]}:.2f}')") |"
  done
  unset curve cpu
done
