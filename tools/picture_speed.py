#!/usr/bin/env python3
"""Picture encode speed on one thread, side by side in one run: quanta at every --speed
(and the 8×8 tile syntax) against `avifenc -s 6 -j 1` and `cjpeg -optimize` on the same
photo at quality 75 (AVIF with --min 24 --max 26, near quanta's default size).

CPU time is user + system of the encoder process (getrusage of the children), the best of
`--runs` runs; MP/s = pixels / CPU time. Every encoder reads its input from a file: quanta
and avifenc the PNG, cjpeg a PPM made from it (it reads no PNG).

Usage: tools/picture_speed.py QUANTA_BINARY PHOTO.png [--runs 3]
"""
import argparse
import os
import resource
import subprocess
import tempfile

from PIL import Image


def cpu_seconds(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("quanta")
    parser.add_argument("photo")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    picture = Image.open(args.photo)
    pixels = picture.size[0] * picture.size[1]
    with tempfile.TemporaryDirectory() as scratch:
        ppm = os.path.join(scratch, "in.ppm")
        picture.convert("RGB").save(ppm)
        out = lambda name: os.path.join(scratch, name)
        rows = []
        for speed in range(4):
            rows.append((f"quanta --speed {speed}", [args.quanta, "encode", args.photo, "-o", out("q.qnt"),
                         "--quality", "75", "--threads", "1", "--speed", str(speed)], out("q.qnt")))
        rows.append(("quanta --blocks-8x8", [args.quanta, "encode", args.photo, "-o", out("q8.qnt"),
                     "--quality", "75", "--threads", "1", "--blocks-8x8"], out("q8.qnt")))
        rows.append(("avifenc -s 6 -j 1", ["avifenc", "-s", "6", "-j", "1", "--min", "24", "--max", "26",
                     args.photo, out("a.avif")], out("a.avif")))
        rows.append(("cjpeg -optimize -quality 75", ["cjpeg", "-optimize", "-quality", "75", "-outfile",
                     out("j.jpg"), ppm], out("j.jpg")))
        print(f"{args.photo}: {picture.size[0]}x{picture.size[1]}, best of {args.runs}")
        print("| encoder | CPU s | MP/s | bytes |")
        print("|---|---:|---:|---:|")
        for name, command, path in rows:
            best = min(cpu_seconds(command) for _ in range(args.runs))
            print(f"| {name} | {best:.3f} | {pixels / 1e6 / best:.2f} | {os.path.getsize(path)} |")


if __name__ == "__main__":
    main()
