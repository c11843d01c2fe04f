#!/usr/bin/env python3
"""Checks quanta's --target-psnr / --target-ssim with metrics computed outside quanta.

For every picture of a folder (default /work/shared/corpus/images) and every target, runs
`quanta encode --target-psnr T` (or --target-ssim), decodes to PNG, and measures the decoded
picture against the source with scikit-image:

  * PSNR: peak_signal_noise_ratio(source, decoded, data_range=255) on the RGB (or gray)
    arrays, the RGB PSNR quanta aims at;
  * SSIM: structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255) on BT.601 full-range luma rounded half up
    to 8 bits (gray pictures as they are), the SSIM-Y of `quanta compare`.

Video (Y4M clips): PSNR-YUV, the per-frame (6 Y + U + V) / 8 of plane PSNRs (each capped at
100 dB), averaged over frames, computed with numpy. Audio: PSNR 10 log10(1 / MSE) of the
decoded 16-bit WAV against the source WAV, both on a full scale of 1.0 (16-bit samples
divided by 32768), with numpy.

A row passes when the independent value lies in [target, target + 0.1] for PSNR, and is at
least the target for SSIM. Prints a Markdown table and exits 1 if any row fails.

Needs: numpy, scikit-image, Pillow.
Run from the repository root after `cargo build --release`:
  python3 tools/target_check.py                  # pictures, video and audio
  python3 tools/target_check.py --only images    # one kind
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

CORPUS = "/work/shared/corpus"
LINE = re.compile(
    r"target (PSNR|SSIM) (\S+)(?: dB)? -> reached (\S+)(?: dB)?, (\d+) bytes, (\d+) passes, (\S+) s"
)


def run_quanta(quanta, args):
    start = time.time()
    p = subprocess.run([quanta] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"quanta {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stderr, time.time() - start


def parse_reached(stderr):
    m = LINE.search(stderr)
    if not m:
        raise RuntimeError(f"no target line in: {stderr}")
    return float(m.group(3)), int(m.group(4)), int(m.group(5))


def luma(rgb):
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = np.floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5)
    return np.clip(y, 0, 255).astype(np.uint8)


def skimage_ssim(a, b):
    if a.ndim == 3:
        a, b = luma(a), luma(b)
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )


def check_pictures(quanta, folder, psnr_targets, ssim_targets, work):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.png"))):
        name = os.path.basename(path)
        src = np.asarray(Image.open(path))
        for kind, targets in (("psnr", psnr_targets), ("ssim", ssim_targets)):
            for t in targets:
                qnt = os.path.join(work, "p.qnt")
                png = os.path.join(work, "p.png")
                err, seconds = run_quanta(quanta, ["encode", path, "-o", qnt, f"--target-{kind}", str(t)])
                reached, size, passes = parse_reached(err)
                run_quanta(quanta, ["decode", qnt, "-o", png])
                dec = np.asarray(Image.open(png))
                if kind == "psnr":
                    ind = peak_signal_noise_ratio(src, dec, data_range=255)
                    ok = t <= ind <= t + 0.1
                else:
                    ind = skimage_ssim(src, dec)
                    ok = ind >= t
                rows.append((name, kind, t, reached, ind, size, passes, seconds, ok))
                print_row(rows[-1])
    return rows


def read_y4m(path):
    """Frames of a 4:2:0 (or mono) Y4M file as lists of numpy planes."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.index(b"\n")
    header = data[:end].decode().split()
    w = int(next(x[1:] for x in header if x.startswith("W")))
    h = int(next(x[1:] for x in header if x.startswith("H")))
    chroma = next((x[1:] for x in header if x.startswith("C")), "420jpeg")
    mono = chroma.startswith("mono")
    if not (mono or chroma.startswith("420")):
        raise RuntimeError(f"{path}: chroma {chroma} not handled by this check")
    cw, ch = (w + 1) // 2, (h + 1) // 2
    sizes = [(h, w)] if mono else [(h, w), (ch, cw), (ch, cw)]
    frames = []
    pos = end + 1
    while pos < len(data):
        line_end = data.index(b"\n", pos)
        pos = line_end + 1
        planes = []
        for (ph, pw) in sizes:
            n = ph * pw
            planes.append(np.frombuffer(data[pos:pos + n], dtype=np.uint8).reshape(ph, pw))
            pos += n
        frames.append(planes)
    return frames


def plane_psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 100.0 if mse == 0 else min(100.0, 10 * np.log10(255.0 ** 2 / mse))


def video_psnr_yuv(ref, dec):
    if len(ref) != len(dec):
        raise RuntimeError(f"frame counts differ: {len(ref)} and {len(dec)}")
    values = []
    for a, b in zip(ref, dec):
        p = [plane_psnr(x, y) for x, y in zip(a, b)]
        values.append(p[0] if len(p) == 1 else (6 * p[0] + p[1] + p[2]) / 8)
    return float(np.mean(values))


def check_video(quanta, clips, targets, work):
    rows = []
    for path in clips:
        name = os.path.basename(path)
        ref = read_y4m(path)
        for t in targets:
            qnt = os.path.join(work, "v.qnt")
            y4m = os.path.join(work, "v.y4m")
            err, seconds = run_quanta(quanta, ["encode", path, "-o", qnt, "--target-psnr", str(t)])
            reached, size, passes = parse_reached(err)
            run_quanta(quanta, ["decode", qnt, "-o", y4m])
            ind = video_psnr_yuv(ref, read_y4m(y4m))
            rows.append((name, "psnr", t, reached, ind, size, passes, seconds, t <= ind <= t + 0.1))
            print_row(rows[-1])
    return rows


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise RuntimeError(f"{path}: only 16-bit WAV is handled by this check")
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0


def check_audio(quanta, files, targets, work):
    rows = []
    for path in files:
        name = os.path.basename(path)
        ref = read_wav(path)
        for t in targets:
            qnt = os.path.join(work, "a.qnt")
            wav = os.path.join(work, "a.wav")
            args = ["encode", path, "-o", qnt, "--tune", "psnr", "--target-psnr", str(t)]
            err, seconds = run_quanta(quanta, args)
            reached, size, passes = parse_reached(err)
            run_quanta(quanta, ["decode", qnt, "-o", wav])
            dec = read_wav(wav)
            ind = 10 * np.log10(1.0 / np.mean((dec - ref) ** 2))
            rows.append((name, "psnr", t, reached, ind, size, passes, seconds, t <= ind <= t + 0.1))
            print_row(rows[-1])
    return rows


def print_row(r):
    name, kind, t, reached, ind, size, passes, seconds, ok = r
    fmt = "{:.3f}" if kind == "psnr" else "{:.5f}"
    print(
        f"| {name} | {kind.upper()} {t} | {fmt.format(reached)} | {fmt.format(ind)} | {size} "
        f"| {passes} | {seconds:.2f} | {'ok' if ok else 'FAIL'} |",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quanta", default="target/release/quanta")
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--only", choices=["images", "video", "audio"])
    ap.add_argument("--psnr", default="30,35,40,45", help="picture PSNR targets")
    ap.add_argument("--ssim", default="0.90,0.95,0.98", help="picture SSIM targets")
    ap.add_argument("--video-psnr", default="35,40")
    ap.add_argument("--audio-psnr", default="60,75")
    ap.add_argument("--audio", default="music_tabla_loop.wav,music_singularity_nebula.wav",
                    help="comma-separated files of <corpus>/audio")
    args = ap.parse_args()
    floats = lambda s: [float(x) for x in s.split(",") if x]
    print("| file | target | quanta reached | independent | bytes | passes | seconds | check |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if args.only in (None, "images"):
            rows += check_pictures(args.quanta, os.path.join(args.corpus, "images"),
                                   floats(args.psnr), floats(args.ssim), work)
        if args.only in (None, "video"):
            clips = sorted(glob.glob(os.path.join(args.corpus, "video", "*.y4m")))
            rows += check_video(args.quanta, clips, floats(args.video_psnr), work)
        if args.only in (None, "audio"):
            files = [os.path.join(args.corpus, "audio", f) for f in args.audio.split(",") if f]
            rows += check_audio(args.quanta, files, floats(args.audio_psnr), work)
    failed = [r for r in rows if not r[-1]]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} rows within their band")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
