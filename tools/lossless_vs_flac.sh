#!/usr/bin/env bash
# Sizes of quanta's lossless audio against FLAC on every WAV of a folder (default: the
# corpus beside the project). Every quanta stream is decoded and compared with the source
# samples at the file's own depth (`cmp` of s16le for 16-bit files, s24le for 17 to 24
# bits), so a size is only printed for a bit-exact round trip. The PCM column is the
# samples at that depth. Needs a release build (cargo build --release), ffprobe, ffmpeg
# and flac on the PATH.
# Usage: tools/lossless_vs_flac.sh [folder] > table.md
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
Q="$root/target/release/quanta"
dir=${1:-$root/../shared/corpus/audio}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| file | bits | PCM bytes | quanta --lossless | flac -5 | flac -8 | quanta / flac -8 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
tq=0; t5=0; t8=0; tp=0
for f in "$dir"/*.wav; do
  name=$(basename "$f" .wav)
  bits=$(ffprobe -v error -select_streams a:0 -show_entries stream=bits_per_sample \
    -of default=noprint_wrappers=1:nokey=1 "$f")
  if [ "$bits" -gt 16 ]; then fmt=s24le; else fmt=s16le; fi
  "$Q" encode "$f" -o "$work/a.qnt" --lossless --threads 1 2>/dev/null
  "$Q" decode "$work/a.qnt" -o - --format "$fmt" 2>/dev/null > "$work/back.pcm"
  ffmpeg -nostdin -v error -i "$f" -f "$fmt" - > "$work/src.pcm"
  cmp -s "$work/src.pcm" "$work/back.pcm" || { echo "$name: quanta round trip differs" >&2; exit 1; }
  flac -s -f -5 "$f" -o "$work/a5.flac" 2>/dev/null
  flac -s -f -8 "$f" -o "$work/a8.flac" 2>/dev/null
  p=$(stat -c %s "$work/src.pcm"); q=$(stat -c %s "$work/a.qnt")
  s5=$(stat -c %s "$work/a5.flac"); s8=$(stat -c %s "$work/a8.flac")
  tp=$((tp + p)); tq=$((tq + q)); t5=$((t5 + s5)); t8=$((t8 + s8))
  echo "| $name | $bits | $p | $q | $s5 | $s8 | $(python3 -c "print(f'{$q/$s8:.3f}')") |"
done
echo "| **total** | | $tp | $tq | $t5 | $t8 | $(python3 -c "print(f'{$tq/$t8:.3f}')") |"
