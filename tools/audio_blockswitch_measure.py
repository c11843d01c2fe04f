#!/usr/bin/env python3
"""Measures the audio codec on the 48 kHz stereo corpus: bitrate accuracy, SNR, pre-echo,
ViSQOL and encode speed, to compare settings or builds (docs/BENCH.md, "Block switching").

usage: audio_blockswitch_measure.py QUANTA LABEL [--visqol] [extra encode flags...]

Reads WORK/<name>.wav for the five music files below (WORK: environment variable, default
/tmp/bs), 48 kHz stereo; convert the 44.1 kHz ones first, e.g.
  ffmpeg -i ../shared/corpus/audio/music_amen_drums.wav -ar 48000 -c:a pcm_s16le WORK/amen_drums.wav
For each file, tune (TUNES, default psnr,perceptual) and bitrate (RATES, default 64,96,128)
it encodes with `QUANTA encode --bitrate K --tune T --threads 1` (best time of REPS runs,
default 3), decodes to 32-bit float WAV and prints one JSON line: actual kbit/s and its error,
SNR over all samples, the pre-echo figure, encode speed (x realtime, process wall time), and
with --visqol the ViSQOL v3 MOS-LQO (audio mode, 48 kHz; pip install visqol-python numba)
for the perceptual tune at 64 and 128 kbit/s. Writes WORK/result_LABEL.json.

Pre-echo: the attacks are where the 2.5 ms energy of the source's mono mix is at least 10
times the mean of the 20 ms before and above -40 dBFS (at most one per 50 ms); the figure is
the error energy over the 20 ms before every attack relative to the source's energy there,
in dB (lower is better).
"""
import subprocess, sys, time, os, json
import numpy as np, soundfile as sf

FILES = ["pingus_goin_march", "singularity_nebula", "tecnoballz_fridge", "amen_drums", "tabla_loop"]
D = os.environ.get("WORK", "/tmp/bs")

def onsets(x, rate):
    """Attack positions: 2.5 ms energy of the mono mix at least 10x (10 dB) over the mean of
    the previous 20 ms, and above -40 dBFS; at most one per 50 ms."""
    m = x.mean(axis=1) if x.ndim == 2 else x
    hop = rate // 400
    nb = len(m) // hop
    e = (m[: nb * hop].reshape(nb, hop) ** 2).mean(axis=1) + 1e-12
    out, last = [], -10**9
    for i in range(8, nb):
        past = e[i - 8 : i].mean()
        if e[i] > 10 * past and e[i] > 1e-4 and i - last >= 20:
            out.append(i * hop)
            last = i
    return out

def pre_echo(ref, dec, rate, ons):
    """Noise-to-signal ratio (dB) in the 20 ms before every attack (`ons`, the onsets of
    `ref`), summed over attacks, and the number of attacks."""
    w = rate // 50
    en, es = 0.0, 0.0
    for t in ons:
        if t < w:
            continue
        r = ref[t - w : t]
        d = dec[t - w : t]
        en += ((r - d) ** 2).sum()
        es += (r ** 2).sum()
    if es == 0.0:
        return None, 0
    return 10 * np.log10(en / es), len(ons)

def main():
    binary, label = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    want_visqol = "--visqol" in rest
    rest = [a for a in rest if a != "--visqol"]
    api = None
    if want_visqol:
        from visqol import VisqolApi
        api = VisqolApi()
        api.create(mode="audio")
    rows = []
    for f in FILES:
        src = f"{D}/{f}.wav"
        ref, rate = sf.read(src, dtype="float64")
        secs = len(ref) / rate
        ons = onsets(ref, rate)
        for tune in os.environ.get("TUNES", "psnr,perceptual").split(","):
            for k in [int(v) for v in os.environ.get("RATES", "64,96,128").split(",")]:
                q = f"{D}/out_{label}_{f}_{tune}_{k}.qnt"
                o = f"{D}/out_{label}_{f}_{tune}_{k}.wav"
                best = 1e9
                for _ in range(int(os.environ.get("REPS", "3"))):
                    t0 = time.perf_counter()
                    subprocess.run([binary, "encode", src, "-o", q, "--bitrate", str(k), "--tune", tune, "--threads", "1", *rest], check=True, capture_output=True)
                    best = min(best, time.perf_counter() - t0)
                subprocess.run([binary, "decode", q, "-o", o, "--bits", "32f"], check=True, capture_output=True)
                dec, _ = sf.read(o, dtype="float64")
                kbps = os.path.getsize(q) * 8 / secs / 1000
                snr = 10 * np.log10((ref ** 2).sum() / ((ref - dec) ** 2).sum())
                pe, nons = pre_echo(ref, dec, rate, ons)
                row = dict(file=f, tune=tune, target=k, kbps=round(kbps, 2), err=round(100 * (kbps / k - 1), 2),
                           snr=round(snr, 2), pre_echo=None if pe is None else round(pe, 2), onsets=nons, xrt=round(secs / best, 1))
                if api is not None and tune == "perceptual" and k in (64, 128):
                    row["visqol"] = round(api.measure(src, o).moslqo, 3)
                rows.append(row)
                print(json.dumps(row), flush=True)
                os.remove(o)
    json.dump(rows, open(f"{D}/result_{label}.json", "w"), indent=1)

main()
