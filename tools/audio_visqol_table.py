#!/usr/bin/env python3
"""The perceptual audio table: quanta against Opus, Vorbis, AAC and MP3 in ViSQOL MOS-LQO,
per file and rate, with the bitrates each encoder actually reached.

usage: audio_visqol_table.py QUANTA [--corpus DIR] [--rates 48,64,96,128] [--out DIR]
                                    [--codecs quanta,opus,vorbis,aac,mp3] [--speech]
                                    [--quanta-flags "--tune perceptual"]

Music: the 48 kHz stereo versions of the corpus music files (MUSIC below; the 44.1 kHz ones
are resampled to 48 kHz with ffmpeg's soxr first), each coded at every rate by
  quanta:  QUANTA encode --bitrate K --threads 1  (then QUANTA decode)
  opus:    opusenc --bitrate K                    (opusdec --rate 48000)
  vorbis:  oggenc --managed -b K                 (decoded with ffmpeg)
  aac:     ffmpeg -c:a aac -b:a Kk                (decoded with ffmpeg)
  mp3:     lame -b K                              (lame --decode)
every decode resampled to the source's rate where the encoder chose another (lame codes
low rates at 24 or 32 kHz), and scored with ViSQOL v3 in audio mode (visqol-python: pip install visqol-python numba).
Each decode is aligned to its source by cross-correlation (a lag of up to 0.1 s) and cut to
the source's length, so that encoder delays the decoder does not remove do not count
against a codec. --speech adds the speech table: the corpus speech at 16 kHz mono, 16 and
24 kbit/s, quanta, Opus and AAC, ViSQOL in speech mode.

Writes OUT/visqol.json (every row) and prints the Markdown tables: the mean MOS-LQO per codec
and rate, the mean actual bitrate, and the per-file scores.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile
import numpy as np, soundfile as sf

MUSIC = ["music_pingus_goin_march", "music_singularity_nebula", "music_tecnoballz_fridge",
         "music_amen_drums", "music_tabla_loop"]
SPEECH = ["speech_codec2_orig_16k", "speech_pyannote_2spk_16k"]


def run(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(corpus, name, rate, channels, work):
    """The corpus file as 16-bit PCM WAV at `rate` Hz with `channels` channels."""
    out = os.path.join(work, f"{name}_{rate}_{channels}.wav")
    if not os.path.exists(out):
        run(["ffmpeg", "-nostdin", "-y", "-i", os.path.join(corpus, name + ".wav"),
             "-af", "aresample=resampler=soxr", "-ar", str(rate), "-ac", str(channels),
             "-c:a", "pcm_s16le", out])
    return out


def code(codec, quanta, flags, src, kbps, rate, stem):
    """Encodes `src` at `kbps` with `codec`; returns (encoded path, decoded WAV path)."""
    dec = stem + ".dec.wav"
    if codec == "quanta":
        enc = stem + ".qnt"
        run([quanta, "encode", src, "-o", enc, "--bitrate", str(kbps), "--threads", "1"] + flags)
        run([quanta, "decode", enc, "-o", dec])
    elif codec == "opus":
        enc = stem + ".opus"
        run(["opusenc", "--bitrate", str(kbps), src, enc])
        run(["opusdec", "--rate", str(rate), enc, dec])
    elif codec == "vorbis":
        enc = stem + ".ogg"
        run(["oggenc", "--managed", "-b", str(kbps), "-o", enc, src])
        run(["ffmpeg", "-nostdin", "-y", "-i", enc, "-ar", str(rate), "-c:a", "pcm_s16le", dec])
    elif codec == "aac":
        enc = stem + ".m4a"
        run(["ffmpeg", "-nostdin", "-y", "-i", src, "-c:a", "aac", "-b:a", f"{kbps}k", enc])
        run(["ffmpeg", "-nostdin", "-y", "-i", enc, "-ar", str(rate), "-c:a", "pcm_s16le", dec])
    elif codec == "mp3":
        enc = stem + ".mp3"
        run(["lame", "--silent", "-b", str(kbps), src, enc])
        raw = stem + ".lame.wav"
        run(["lame", "--silent", "--decode", enc, raw])
        run(["ffmpeg", "-nostdin", "-y", "-i", raw, "-af", "aresample=resampler=soxr", "-ar", str(rate), "-c:a", "pcm_s16le", dec])
        os.remove(raw)
    else:
        raise SystemExit(f"unknown codec {codec}")
    return enc, dec


def aligned(ref, dec):
    """`dec` shifted by the lag that best matches `ref` (up to 0.1 s either way at 48 kHz)
    and cut or padded to `ref`'s length."""
    if dec.ndim == 1:
        dec = dec[:, None]
    if ref.ndim == 1:
        ref = ref[:, None]
    dec = dec[:, : ref.shape[1]] if dec.shape[1] >= ref.shape[1] else np.repeat(dec, ref.shape[1], axis=1)
    a, b = ref.mean(axis=1), dec.mean(axis=1)
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    corr = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    limit = 4800
    lags = np.concatenate([np.arange(0, limit), np.arange(-limit, 0)])
    values = np.concatenate([corr[:limit], corr[-limit:]])
    lag = int(lags[np.argmax(values)])
    if lag > 0:
        dec = dec[lag:]
    elif lag < 0:
        dec = np.concatenate([np.zeros((-lag, dec.shape[1])), dec])
    out = np.zeros_like(ref)
    m = min(len(ref), len(dec))
    out[:m] = dec[:m]
    return out, lag


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("quanta")
    p.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "audio"))
    p.add_argument("--rates", default="48,64,96,128")
    p.add_argument("--codecs", default="quanta,opus,vorbis,aac,mp3")
    p.add_argument("--out", default=None)
    p.add_argument("--speech", action="store_true")
    p.add_argument("--quanta-flags", default="")
    a = p.parse_args()
    from visqol import VisqolApi

    work = a.out or tempfile.mkdtemp(prefix="visqol_")
    os.makedirs(work, exist_ok=True)
    codecs = a.codecs.split(",")
    flags = a.quanta_flags.split()
    for tool in {"opus": "opusenc", "vorbis": "oggenc", "aac": "ffmpeg", "mp3": "lame"}.items():
        if tool[0] in codecs and shutil.which(tool[1]) is None:
            raise SystemExit(f"{tool[1]} is not installed (apt-get install opus-tools vorbis-tools ffmpeg lame)")
    tables = [("music", "audio", 48000, 2, MUSIC, [int(r) for r in a.rates.split(",")], codecs)]
    if a.speech:
        tables.append(("speech", "speech", 16000, 1, SPEECH, [16, 24],
                       [c for c in codecs if c in ("quanta", "opus", "aac")]))
    rows = []
    for kind, mode, rate, channels, files, rates, table_codecs in tables:
        api = VisqolApi()
        api.create(mode=mode)
        for name in files:
            src = prepare(a.corpus, name, rate, channels, work)
            ref, _ = sf.read(src, dtype="float64", always_2d=True)
            seconds = len(ref) / rate
            for codec in table_codecs:
                for kbps in rates:
                    stem = os.path.join(work, f"{name}_{codec}_{kbps}")
                    enc, dec = code(codec, a.quanta, flags, src, kbps, rate, stem)
                    out, _ = sf.read(dec, dtype="float64", always_2d=True)
                    out, lag = aligned(ref, out)
                    fixed = stem + ".aligned.wav"
                    sf.write(fixed, out, rate, subtype="FLOAT")
                    score = api.measure(src, fixed).moslqo
                    row = {"table": kind, "file": name, "codec": codec, "target_kbps": kbps,
                           "kbps": round(os.path.getsize(enc) * 8 / seconds / 1000, 2),
                           "lag": lag, "moslqo": round(float(score), 3)}
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    for path in (dec, fixed):
                        os.remove(path)
    with open(os.path.join(work, "visqol.json"), "w") as f:
        json.dump(rows, f, indent=1)
    for kind, _, _, _, files, rates, table_codecs in tables:
        print(f"\n### {kind}: mean ViSQOL MOS-LQO (mean actual kbit/s)\n")
        print("| codec | " + " | ".join(f"{k} kbit/s" for k in rates) + " |")
        print("|---|" + "---|" * len(rates))
        for codec in table_codecs:
            cells = []
            for k in rates:
                sel = [r for r in rows if r["table"] == kind and r["codec"] == codec and r["target_kbps"] == k]
                cells.append(f"{np.mean([r['moslqo'] for r in sel]):.3f} ({np.mean([r['kbps'] for r in sel]):.1f})")
            print(f"| {codec} | " + " | ".join(cells) + " |")
        print(f"\n{kind}, per file (MOS-LQO at " + " / ".join(str(k) for k in rates) + " kbit/s):\n")
        print("| file | " + " | ".join(table_codecs) + " |")
        print("|---|" + "---|" * len(table_codecs))
        for name in files:
            cells = []
            for codec in table_codecs:
                sel = {r["target_kbps"]: r["moslqo"] for r in rows if r["table"] == kind and r["file"] == name and r["codec"] == codec}
                cells.append(" / ".join(f"{sel[k]:.2f}" for k in rates))
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
