"""The rate cost of coding a clip in closed segments (what `python -m quanta_dask encode`
does) against coding it in one piece: the BD-rate of the segmented streams against the
whole ones, on PSNR-YUV (6:1:1), PCHIP on log-rate (JVET/AOM common test conditions).

    python tools/segment_cost.py CLIP.y4m... [--segment-frames 250,30] [--quality 30,45,60,75,90]
        [--quanta PATH]

Each point is one `quanta encode` (whole) or `quanta plan` + one `quanta encode --segment`
per segment + `quanta concat` (segmented, run one after the other here: the bytes are those
a cluster writes), measured with `quanta compare --json`. Needs numpy and scipy.
"""

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from scipy.interpolate import PchipInterpolator


def run(quanta, *args):
    done = subprocess.run([quanta, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"quanta {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def point(quanta, clip, stream, work):
    """(kbit/s, PSNR-YUV) of a stream of `clip`."""
    decoded = os.path.join(work, "decoded.y4m")
    run(quanta, "decode", stream, "-o", decoded)
    c = json.loads(run(quanta, "compare", clip, decoded, "--json"))
    info = json.loads(run(quanta, "info", stream, "--json"))
    kbps = info["video"]["kbps"]
    return kbps, c["psnr_yuv_611"]


def whole(quanta, clip, quality, work):
    out = os.path.join(work, "whole.qnt")
    run(quanta, "encode", clip, "-q", str(quality), "-o", out)
    return point(quanta, clip, out, work)


def segmented(quanta, clip, quality, frames, work):
    plan = json.loads(run(quanta, "plan", clip, "--segment-frames", str(frames)))
    pieces = []
    for i, s in enumerate(plan["segments"]):
        piece = os.path.join(work, f"seg{i}.qnt")
        span = f"{s['start']}:{s['frames']}"
        run(quanta, "encode", clip, "--segment", span, "-q", str(quality), "-o", piece)
        pieces.append(piece)
    out = os.path.join(work, "joined.qnt")
    run(quanta, "concat", *pieces, "-o", out)
    return point(quanta, clip, out, work), len(pieces)


def bd_rate(reference, test):
    """Percent rate change of `test` against `reference` at equal PSNR (PCHIP, log-rate)."""
    def curve(points):
        points = sorted(points, key=lambda p: p[1])
        psnr = np.array([p[1] for p in points])
        log_rate = np.log10([p[0] for p in points])
        return psnr, PchipInterpolator(psnr, log_rate)

    (pa, fa), (pb, fb) = curve(reference), curve(test)
    lo, hi = max(pa.min(), pb.min()), min(pa.max(), pb.max())
    grid = np.linspace(lo, hi, 1001)
    diff = np.trapezoid(fb(grid) - fa(grid), grid) / (hi - lo)
    return (10**diff - 1) * 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--segment-frames", default="250")
    parser.add_argument("--quality", default="30,45,60,75,90")
    parser.add_argument("--quanta", default="quanta")
    args = parser.parse_args()
    qualities = [int(q) for q in args.quality.split(",")]
    lengths = [int(n) for n in args.segment_frames.split(",")]
    costs = {n: [] for n in lengths}
    with tempfile.TemporaryDirectory() as work:
        for clip in args.clips:
            base = [whole(args.quanta, clip, q, work) for q in qualities]
            for n in lengths:
                points, count = [], 0
                for q in qualities:
                    p, count = segmented(args.quanta, clip, q, n, work)
                    points.append(p)
                cost = bd_rate(base, points)
                costs[n].append(cost)
                print(f"{os.path.basename(clip)}: {count} segments of {n} frames: BD-rate {cost:+.2f} %")
    for n in lengths:
        print(f"mean over {len(costs[n])} clips, segments of {n} frames: {np.mean(costs[n]):+.2f} %")


if __name__ == "__main__":
    main()
