#!/usr/bin/env python3
"""Regenerates the cross-check fixtures of the bench metrics in tests/fixtures/bench/.

For every crop `*_crop.png` there (128x96 pieces of real photos, see the README there):
  * codes it with quanta (`quanta encode -q Q`, `quanta decode`) and with libjpeg-turbo
    (`cjpeg -optimize -quality Q -sample 2x2`, `djpeg`), and saves both decoded pictures as
    `<stem>_quanta_q<Q>.png` and `<stem>_jpeg_q<Q>.png`;
  * measures each decoded picture against its crop with scikit-image:
    peak_signal_noise_ratio on the Y, Cb and Cr planes (BT.601 full range, as JFIF, computed
    here with numpy and rounded half up), their 6:1:1 weighting (6 Y + Cb + Cr) / 8, PSNR over
    the RGB samples, and structural_similarity on Y (gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255). Gray crops have Y only.
  * writes metrics_crosscheck.json.

Needs: pip install numpy scikit-image pillow; cjpeg and djpeg (libjpeg-turbo-progs); a built
quanta binary (first argument, default target/release/quanta, then target/debug/quanta).
Run from the repository root: python3 tools/bench_crosscheck.py [path/to/quanta]
The Rust test tests/bench_crosscheck.rs reads these files and needs no Python.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "bench")
QUALITY = 40


def quanta_binary():
    if len(sys.argv) > 1:
        return sys.argv[1]
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "quanta")
        if os.path.exists(path):
            return path
    sys.exit("build quanta first (cargo build --release) or pass its path")


def planes(picture):
    """Y, Cb, Cr of an RGB picture as uint8 (full-range BT.601, rounded half up), or the
    gray plane alone."""
    if picture.ndim == 2:
        return [picture]
    r, g, b = (picture[..., i].astype(np.float64) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return [np.clip(np.floor(p + 0.5), 0, 255).astype(np.uint8) for p in (y, cb, cr)]


def measure(reference, decoded):
    ref, dec = planes(reference), planes(decoded)
    psnr = [float(peak_signal_noise_ratio(a, b, data_range=255)) for a, b in zip(ref, dec)]
    ssim_y = structural_similarity(
        ref[0], dec[0], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255,
    )
    colour = len(psnr) == 3
    return {
        "psnr_y": psnr[0],
        "psnr_cb": psnr[1] if colour else None,
        "psnr_cr": psnr[2] if colour else None,
        "psnr_ycbcr": (6.0 * psnr[0] + psnr[1] + psnr[2]) / 8.0 if colour else psnr[0],
        "psnr_rgb": float(peak_signal_noise_ratio(reference, decoded, data_range=255))
        if colour else None,
        "ssim_y": float(ssim_y),
    }


def load(path):
    image = Image.open(path)
    return np.asarray(image.convert("L" if image.mode == "L" else "RGB"))


def run(*args):
    subprocess.run(args, check=True, capture_output=True)


def main():
    quanta = quanta_binary()
    entries = []
    with tempfile.TemporaryDirectory() as scratch:
        for crop in sorted(glob.glob(os.path.join(FIXTURES, "*_crop.png"))):
            stem = os.path.basename(crop)[: -len("_crop.png")]
            reference = load(crop)
            gray = reference.ndim == 2
            # quanta
            stream = os.path.join(scratch, stem + ".qnt")
            quanta_out = f"{stem}_quanta_q{QUALITY}.png"
            run(quanta, "encode", crop, "-q", str(QUALITY), "-o", stream)
            run(quanta, "decode", stream, "-o", os.path.join(FIXTURES, quanta_out))
            # libjpeg-turbo, from a binary PPM/PGM
            pnm = os.path.join(scratch, stem + (".pgm" if gray else ".ppm"))
            Image.fromarray(reference).save(pnm)
            jpg = os.path.join(scratch, stem + ".jpg")
            decoded_pnm = os.path.join(scratch, stem + "_jpeg.pnm")
            run("cjpeg", "-optimize", "-quality", str(QUALITY), "-sample", "2x2",
                "-outfile", jpg, pnm)
            run("djpeg", "-outfile", decoded_pnm, jpg)
            jpeg_out = f"{stem}_jpeg_q{QUALITY}.png"
            Image.open(decoded_pnm).save(os.path.join(FIXTURES, jpeg_out), optimize=True)
            for codec, name in (("quanta", quanta_out), ("jpeg", jpeg_out)):
                decoded = load(os.path.join(FIXTURES, name))
                entry = {"reference": os.path.basename(crop), "decoded": name,
                         "codec": codec, "quality": QUALITY}
                entry.update(measure(reference, decoded))
                entries.append(entry)
    versions = {pkg: metadata.version(pkg) for pkg in ("numpy", "scikit-image", "pillow")}
    jpeg_version = subprocess.run(["cjpeg", "-version"], capture_output=True, text=True)
    doc = {
        "generator": "tools/bench_crosscheck.py",
        "python": sys.version.split()[0],
        "versions": versions,
        "cjpeg": (jpeg_version.stderr or jpeg_version.stdout).strip(),
        "entries": entries,
    }
    with open(os.path.join(FIXTURES, "metrics_crosscheck.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
