#!/usr/bin/env python3
"""Regenerates the committed reference values for quanta's metrics module.

Writes, into tests/fixtures/metrics/:
  * three small RGB8 test pictures and a distorted version of each, as raw
    interleaved .rgb bytes (row-major, no header; size in metrics_reference.json);
  * metrics_reference.json: PSNR (Y, Cb, Cr, 6:1:1, RGB) computed with numpy and
    scikit-image's peak_signal_noise_ratio, SSIM on the Y plane computed with
    scikit-image's structural_similarity (gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255), and BD-rate / BD-PSNR values
    computed with the `bjontegaard` package (pchip and cubic).

Needs: pip install numpy scikit-image bjontegaard
Run from the repository root: python3 tools/metrics_reference.py
The Rust tests in src/metrics/ read these files and need no Python.
"""

import json
import os
import sys
from importlib import metadata

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
import bjontegaard as bd

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "metrics")
WIDTH, HEIGHT = 64, 48


def to_ycbcr(rgb):
    """BT.601 full range (JFIF), in float64, evaluated left to right exactly as
    quanta does, then rounded half up (floor(v + 0.5)) and clamped to 0..255."""
    r = rgb[..., 0].astype(np.float64)
    g = rgb[..., 1].astype(np.float64)
    b = rgb[..., 2].astype(np.float64)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def q(p):
        return np.clip(np.floor(p + 0.5), 0, 255).astype(np.uint8)

    return q(y), q(cb), q(cr)


def to_u8(a):
    return np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)


def make_pictures():
    rng = np.random.default_rng(20240601)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    pics = []

    # 1. Smooth colour gradient plus mild seeded noise; distorted by adding noise.
    base = np.stack(
        [
            255.0 * xx / (WIDTH - 1),
            255.0 * yy / (HEIGHT - 1),
            128.0 + 100.0 * np.sin(xx / 7.0) * np.cos(yy / 5.0),
        ],
        axis=-1,
    )
    ref = to_u8(base + rng.normal(0.0, 4.0, base.shape))
    dist = to_u8(ref.astype(np.float64) + rng.normal(0.0, 10.0, base.shape))
    pics.append(("gradient_noise", ref, dist))

    # 2. Sharp pattern: coloured checkerboard and rings; distorted by a 3x3 box blur
    #    (edges replicated).
    check = ((xx // 8 + yy // 8) % 2) * 180.0 + 30.0
    rings = 127.5 + 127.5 * np.cos(np.hypot(xx - 32.0, yy - 24.0) / 3.0)
    base = np.stack([check, rings, 255.0 - check * 0.5 - rings * 0.3], axis=-1)
    ref = to_u8(base)
    padded = np.pad(ref.astype(np.float64), ((1, 1), (1, 1), (0, 0)), mode="edge")
    acc = np.zeros_like(base)
    for dy in range(3):
        for dx in range(3):
            acc += padded[dy:dy + HEIGHT, dx:dx + WIDTH, :]
    dist = to_u8(acc / 9.0)
    pics.append(("pattern_blur", ref, dist))

    # 3. Seeded random texture (smoothed noise); distorted by quantizing to 16 levels.
    noise = rng.uniform(0.0, 255.0, (HEIGHT, WIDTH, 3))
    smooth = (noise + np.roll(noise, 1, axis=1) + np.roll(noise, 1, axis=0)) / 3.0
    ref = to_u8(smooth)
    dist = to_u8((ref // 16).astype(np.float64) * 16.0 + 8.0)
    pics.append(("texture_quantized", ref, dist))
    return pics


def picture_entry(name, ref, dist):
    ref_name, dist_name = f"{name}_ref.rgb", f"{name}_dist.rgb"
    ref.tofile(os.path.join(OUT_DIR, ref_name))
    dist.tofile(os.path.join(OUT_DIR, dist_name))
    ya, cba, cra = to_ycbcr(ref)
    yb, cbb, crb = to_ycbcr(dist)
    p_y = peak_signal_noise_ratio(ya, yb, data_range=255)
    p_cb = peak_signal_noise_ratio(cba, cbb, data_range=255)
    p_cr = peak_signal_noise_ratio(cra, crb, data_range=255)
    p_rgb = peak_signal_noise_ratio(ref, dist, data_range=255)
    # Cross-check the pooled RGB PSNR by hand with numpy.
    mse = np.mean((ref.astype(np.float64) - dist.astype(np.float64)) ** 2)
    assert abs(10.0 * np.log10(255.0**2 / mse) - p_rgb) < 1e-9
    ssim_y = structural_similarity(
        ya, yb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )
    return {
        "name": name,
        "width": WIDTH,
        "height": HEIGHT,
        "reference": ref_name,
        "distorted": dist_name,
        "psnr_y": float(p_y),
        "psnr_cb": float(p_cb),
        "psnr_cr": float(p_cr),
        "psnr_ycbcr": float((6.0 * p_y + p_cb + p_cr) / 8.0),
        "psnr_rgb": float(p_rgb),
        "ssim_y": float(ssim_y),
    }


def bd_entry(name, anchor, test):
    ra, qa = [p[0] for p in anchor], [p[1] for p in anchor]
    rt, qt = [p[0] for p in test], [p[1] for p in test]
    entry = {"name": name, "anchor": anchor, "test": test}
    for method in ("pchip", "cubic"):
        entry[method] = {
            "bd_rate_percent": float(bd.bd_rate(ra, qa, rt, qt, method=method, min_overlap=0)),
            "bd_psnr_db": float(bd.bd_psnr(ra, qa, rt, qt, method=method, min_overlap=0)),
        }
    return entry


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    pictures = [picture_entry(*p) for p in make_pictures()]
    bd_sets = [
        # The example of the bjontegaard package's README (libx265 presets, kbps / dB).
        bd_entry(
            "bjontegaard_readme",
            [[9487.76, 40.037], [4593.60, 38.615], [2486.44, 36.845], [1358.24, 34.851]],
            [[9787.80, 40.121], [4469.00, 38.651], [2451.52, 36.970], [1356.24, 34.987]],
        ),
        # Six points per curve (least-squares cubic), partial overlap, unequal spacing.
        bd_entry(
            "six_points",
            [[120.0, 30.1], [210.0, 32.4], [380.0, 34.9], [700.0, 37.0], [1300.0, 39.2], [2500.0, 41.0]],
            [[100.0, 30.9], [180.0, 33.2], [330.0, 35.3], [610.0, 37.8], [1150.0, 39.9], [2200.0, 41.6]],
        ),
    ]
    versions = {pkg: metadata.version(pkg) for pkg in ("numpy", "scikit-image", "scipy", "bjontegaard")}
    doc = {
        "generator": "tools/metrics_reference.py",
        "python": sys.version.split()[0],
        "versions": versions,
        "pictures": pictures,
        "bd": bd_sets,
    }
    with open(os.path.join(OUT_DIR, "metrics_reference.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
