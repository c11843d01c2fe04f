#!/usr/bin/env bash
# The bounded-memory table of docs/RELIABILITY.md: peak resident memory (GNU time's
# "Maximum resident set size") of long encodes and decodes through pipes. The inputs come
# from ffmpeg's generators on the fly (nothing is downloaded); streams go to a temporary
# folder, removed at the end. Needs a release build (cargo build --release), ffmpeg and
# /usr/bin/time. Prints the table in markdown; takes several minutes (an hour of audio,
# 10,000 video frames).
# Usage: tools/memory_table.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
Q="$root/target/release/quanta"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 48 kHz stereo s16le on stdout: a 440 Hz sine and seeded pink noise, $1 seconds.
pcm() {
  ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$1" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.1:sample_rate=48000:duration=$1:seed=42" \
    -filter_complex amerge=inputs=2 -f s16le -ac 2 -ar 48000 -
}
# Y4M on stdout: ffmpeg's test pattern, size $1, $2 frames.
y4m() {
  ffmpeg -nostdin -v error -f lavfi -i "testsrc=size=$1:rate=30" -frames:v "$2" -pix_fmt yuv420p \
    -f yuv4mpegpipe -
}
# Runs the command given as arguments (stdin from the caller) under GNU time.
timed() { /usr/bin/time -f %M -o "$work/rss" "$@"; }
# One table row: run, input, the peak RSS of the last timed command.
row() { echo "| $1 | $2 | $(python3 -c "print(f'{int(open(\"$work/rss\").read().split()[-1]) / 1000:.1f} MB')") |"; }
raw=(--input-format s16le --rate 48000 --channels 2)

echo "| run | input | peak RSS |"
echo "|---|---|---:|"
pcm 600 | timed "$Q" encode - -o "$work/ten.qnt" "${raw[@]}" --bitrate 96 2>/dev/null
row 'audio encode, stdin raw PCM, `--bitrate 96`' '10 minutes, 48 kHz stereo'
pcm 3600 | timed "$Q" encode - -o "$work/hour.qnt" "${raw[@]}" --bitrate 96 2>/dev/null
row 'audio encode, stdin raw PCM, `--bitrate 96`' "1 hour, 48 kHz stereo ($(stat -c %s "$work/hour.qnt") bytes out)"
timed "$Q" decode "$work/hour.qnt" -o - --format s16le 2>/dev/null | wc -c > "$work/count"
row 'audio decode to stdout (`-o - --format s16le`)' "the 1-hour stream, $(cat "$work/count") bytes out"
pcm 3600 | timed "$Q" encode - -o "$work/lossless.qnt" "${raw[@]}" --lossless 2>/dev/null
row 'audio encode, stdin raw PCM, `--lossless`' "the same hour ($(python3 -c "print(f'{$(stat -c %s "$work/lossless.qnt") / 691200000 * 100:.2f}')") % of the PCM size)"
timed "$Q" decode "$work/lossless.qnt" -o - --format s16le 2>/dev/null | cmp -s - <(pcm 3600) \
  && same="identical to the input (\`cmp\`)" || same="DIFFERS from the input"
row 'audio decode of the lossless hour to stdout' "691,200,000 bytes out, $same"
for n in 1000 10000; do
  y4m 176x144 $n | timed "$Q" encode - -o "$work/v$n.qnt" -q 50 --threads 2 2>/dev/null
  row 'video encode from a Y4M pipe, `--threads 2` (lookahead of 4 frames)' "$n frames 176×144 (ffmpeg testsrc)"
done
timed "$Q" decode "$work/v10000.qnt" -o - 2>/dev/null | wc -c > "$work/count"
row 'video decode to stdout' "the 10,000-frame stream ($(cat "$work/count") bytes of Y4M out)"
y4m 640x360 100 | timed "$Q" encode - -o "$work/v640.qnt" --threads 2 2>/dev/null
row 'video encode from a Y4M pipe, `--threads 2`' '100 frames 640×360'
