#!/usr/bin/env bash
# BD-rate (PSNR-YUV 6:1:1, PCHIP) of quanta's video codec against ffmpeg's mpeg2video,
# x264 --preset medium --tune psnr and, when x265 is on the PATH, x265 --preset medium
# --tune psnr on one Y4M clip. Needs ffmpeg and x264 on the PATH and a release build (cargo build --release --example bd_rate). Rates are whole-stream kbit/s;
# every decoded clip is measured with `quanta compare` (per-frame means).
# Usage: tools/video_bd_rate.sh clip.y4m [work-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
Q="$root/target/release/quanta"
B="$root/target/release/examples/bd_rate"
clip=$1
d=${2:-$(mktemp -d)}
mkdir -p "$d"
frames=$(grep -a -o FRAME "$clip" | wc -l)
fps=$(head -1 "$clip" | tr ' ' '\n' | grep '^F' | sed 's/F//')
secs=$(python3 -c "n,d='$fps'.split(':'); print($frames*int(d)/int(n))")
psnr() { "$Q" compare "$clip" "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['psnr_yuv_611'])"; }
kb() { python3 -c "print($(stat -c %s "$1")*8/$secs/1000)"; }
qc=""
for q in 30 45 60 75; do
  "$Q" encode "$clip" -o "$d/q$q.qnt" --quality $q --threads 2 2>/dev/null
  "$Q" decode "$d/q$q.qnt" -o "$d/q$q.y4m" 2>/dev/null
  qc="$qc $(kb "$d/q$q.qnt"),$(psnr "$d/q$q.y4m")"
done
mc=""
for q in 2 4 7 12; do
  ffmpeg -v error -y -i "$clip" -c:v mpeg2video -q:v $q -f mpeg2video "$d/m$q.m2v"
  ffmpeg -v error -y -i "$d/m$q.m2v" -pix_fmt yuv420p -f yuv4mpegpipe "$d/m$q.y4m"
  mc="$mc $(kb "$d/m$q.m2v"),$(psnr "$d/m$q.y4m")"
done
xc=""
for c in 20 25 30 35; do
  x264 --quiet --preset medium --tune psnr --crf $c -o "$d/x$c.264" "$clip" 2>/dev/null
  ffmpeg -v error -y -i "$d/x$c.264" -pix_fmt yuv420p -f yuv4mpegpipe "$d/x$c.y4m"
  xc="$xc $(kb "$d/x$c.264"),$(psnr "$d/x$c.y4m")"
done
hc=""
if command -v x265 >/dev/null; then
  for c in 20 25 30 35; do
    x265 --log-level none --preset medium --tune psnr --crf $c -o "$d/h$c.hevc" "$clip" 2>/dev/null
    ffmpeg -v error -y -i "$d/h$c.hevc" -pix_fmt yuv420p -f yuv4mpegpipe "$d/h$c.y4m"
    hc="$hc $(kb "$d/h$c.hevc"),$(psnr "$d/h$c.y4m")"
  done
fi
echo "quanta (kbit/s,dB):$qc"
echo "mpeg2video:$mc"
echo "x264 medium psnr:$xc"
echo "BD-rate vs mpeg2video: $("$B" "$mc" "$qc") %"
echo "BD-rate vs x264:       $("$B" "$xc" "$qc") %"
if [ -n "$hc" ]; then
  echo "x265 medium psnr:$hc"
  echo "BD-rate vs x265:       $("$B" "$hc" "$qc") %"
fi
