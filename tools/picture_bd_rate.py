#!/usr/bin/env python3
"""BD-rate of one quanta picture encoder setting against another, on a set of photos.

Each side is a quanta binary plus extra `encode` arguments ("A" is the reference). Every
photo is encoded at qualities 20, 35, 50, 65, 80 and 90 on one thread, decoded, and
measured with `quanta compare` (PSNR-YCbCr and SSIM-Y, the latter as -10·log10(1 - SSIM)).
The BD-rate (PCHIP of log-rate over quality, integrated over the shared quality range) is
printed per photo and as the mean over photos; negative means B needs fewer bits. The
encoders' CPU time (user + system of the children, summed over all encodes) is printed
for both sides, so that a speed change and its cost in bits come from one run.

Usage: tools/picture_bd_rate.py A_BINARY B_BINARY PHOTO... [--a-args "..."] [--b-args "..."]
"""
import argparse
import json
import math
import os
import resource
import shlex
import subprocess
import tempfile

import numpy as np
from scipy.interpolate import PchipInterpolator

QUALITIES = [20, 35, 50, 65, 80, 90]


def cpu_seconds(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def curve(binary, extra, photo, scratch, tag):
    """(bits, psnr, ssim_db) per quality and the encode CPU seconds."""
    points, cpu = [], 0.0
    for q in QUALITIES:
        stream = os.path.join(scratch, f"{tag}.qnt")
        decoded = os.path.join(scratch, f"{tag}.png")
        cpu += cpu_seconds([binary, "encode", photo, "-o", stream, "-q", str(q),
                            "--threads", "1", *extra])
        subprocess.run([binary, "decode", stream, "-o", decoded], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run([binary, "compare", photo, decoded, "--json"], check=True,
                             capture_output=True, text=True).stdout
        m = json.loads(out)
        ssim_db = -10 * math.log10(max(1e-10, 1 - m["ssim_y"]))
        points.append((os.path.getsize(stream) * 8, m["psnr_ycbcr"], ssim_db))
    return points, cpu


def bd_rate(a, b):
    """Mean bit difference of b against a at equal quality, in percent."""
    def fit(points):
        points = sorted(points, key=lambda p: p[1])
        quality = np.array([p[1] for p in points])
        log_rate = np.log(np.array([p[0] for p in points], dtype=float))
        return quality, PchipInterpolator(quality, log_rate)
    qa, fa = fit(a)
    qb, fb = fit(b)
    lo, hi = max(qa.min(), qb.min()), min(qa.max(), qb.max())
    grid = np.linspace(lo, hi, 200)
    diff = np.trapezoid(fb(grid) - fa(grid), grid) / (hi - lo)
    return (math.exp(diff) - 1) * 100


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--a-args", default="")
    parser.add_argument("--b-args", default="")
    args = parser.parse_args()
    rows, cpu_a, cpu_b = [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for photo in args.photos:
            a, ta = curve(args.a, shlex.split(args.a_args), photo, scratch, "a")
            b, tb = curve(args.b, shlex.split(args.b_args), photo, scratch, "b")
            cpu_a += ta
            cpu_b += tb
            psnr = bd_rate([(r, p) for r, p, _ in a], [(r, p) for r, p, _ in b])
            ssim = bd_rate([(r, s) for r, _, s in a], [(r, s) for r, _, s in b])
            rows.append((os.path.basename(photo), psnr, ssim, ta, tb))
            print(f"{rows[-1][0]:32} PSNR {psnr:+6.2f} %  SSIM {ssim:+6.2f} %  "
                  f"CPU {ta:6.2f} s -> {tb:6.2f} s", flush=True)
    print(f"{'mean':32} PSNR {np.mean([r[1] for r in rows]):+6.2f} %  "
          f"SSIM {np.mean([r[2] for r in rows]):+6.2f} %  "
          f"CPU {cpu_a:6.2f} s -> {cpu_b:6.2f} s ({cpu_a / cpu_b:.2f}x)")


if __name__ == "__main__":
    main()
