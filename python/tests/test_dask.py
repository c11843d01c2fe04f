"""quanta_dask on a local cluster of two worker processes: a segmented video encode equals
the same segments coded on one machine and decodes to the segments' frames, a segmented
audio encode equals the one-machine segments and, lossless, decodes to the source, a piece that
keeps failing stops the run naming it and leaves nothing behind, a piece that fails once is
retried, and a bench of four files run as jobs merges into the one-machine report.

Run with `python tests/test_dask.py` or `pytest tests/`; QUANTA_BIN names the quanta
binary (default: the crate's target/release or target/debug build).
"""

import json
import math
import os
import shutil
import stat
import struct
import wave
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import quanta_dask  # noqa: F401  (installed)
except ImportError:
    sys.path.insert(0, os.path.dirname(HERE))

from quanta_dask import PieceFailed, bench, encode, open_client  # noqa: E402


def quanta_binary():
    given = os.environ.get("QUANTA_BIN")
    if given:
        return os.path.abspath(given)
    root = os.path.dirname(os.path.dirname(HERE))
    for build in ("release", "debug"):
        path = os.path.join(root, "target", build, "quanta")
        if os.path.exists(path):
            return path
    raise SystemExit("no quanta binary: build it or set QUANTA_BIN")


QUANTA = quanta_binary()


def run(*args):
    done = subprocess.run([QUANTA, *args], capture_output=True, text=True)
    assert done.returncode == 0, f"quanta {args}: {done.stderr}"
    return done.stdout


def write_clip(path, frames=36, width=64, height=48):
    """A 4:2:0 clip drifting across a texture, another texture from the middle on."""
    out = bytearray(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode())
    for f in range(frames):
        scale = 0.21 if f < frames // 2 else 0.5
        out += b"FRAME\n"
        for w, h, shift in ((width, height, 0), (width // 2, height // 2, 1), (width // 2, height // 2, 1)):
            for y in range(h):
                for x in range(w):
                    gx, gy = (x << shift) + 2 * f, (y << shift) + f
                    v = 128 + 60 * math.sin(gx * scale) * math.cos(gy * 0.13) - 7 * shift
                    out.append(max(0, min(255, int(v))))
    with open(path, "wb") as f:
        f.write(out)


def write_png(path, width, height, seed):
    """An RGB PNG with a smooth pattern and some detail."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            for c in range(3):
                v = 128 + 90 * math.sin((x + seed * 7) * 0.15 + c) * math.cos(y * 0.11 - seed)
                rows.append(max(0, min(255, int(v) ^ ((x * y + seed) & 7))))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b""))


def y4m_frames(path):
    """The frames of a Y4M file as byte strings."""
    with open(path, "rb") as f:
        data = f.read()
    body = data[data.index(b"\n") + 1 :]
    parts = body.split(b"FRAME\n")
    assert parts[0] == b""
    return parts[1:]


def test_segmented_encode_equals_the_one_machine_segments(client):
    with tempfile.TemporaryDirectory() as d:
        clip = os.path.join(d, "clip.y4m")
        write_clip(clip)
        out = os.path.join(d, "out.qnt")
        options = ["-q", "60", "--preset", "fast"]
        plan = encode(client, clip, out, segment_frames=10, quanta=QUANTA, options=options, progress=False)
        spans = [(s["start"], s["frames"]) for s in plan["segments"]]
        # The cut at frame 18 pulls the boundary from 20.
        assert spans == [(0, 10), (10, 8), (18, 12), (30, 6)], spans
        # The same segments coded one after the other on this machine, then joined.
        pieces = []
        for i, (start, frames) in enumerate(spans):
            piece = os.path.join(d, f"one{i}.qnt")
            run("encode", clip, "--segment", f"{start}:{frames}", "-o", piece, "--threads", "1", *options)
            pieces.append(piece)
        single = os.path.join(d, "single.qnt")
        run("concat", *pieces, "-o", single)
        with open(out, "rb") as a, open(single, "rb") as b:
            assert a.read() == b.read(), "the cluster's stream differs from the one-machine one"
        decoded = os.path.join(d, "out.y4m")
        run("decode", out, "-o", decoded)
        expected = []
        for i, piece in enumerate(pieces):
            run("decode", piece, "-o", os.path.join(d, f"one{i}.y4m"))
            expected += y4m_frames(os.path.join(d, f"one{i}.y4m"))
        frames = y4m_frames(decoded)
        assert len(frames) == 36 and frames == expected
        comparison = json.loads(run("compare", clip, decoded, "--json"))
        assert comparison["frames"] == 36 and comparison["psnr_yuv_611"] > 30, comparison
        assert sorted(os.listdir(d)) == sorted(
            ["clip.y4m", "out.qnt", "out.y4m", "single.qnt"]
            + [f"one{i}.qnt" for i in range(4)]
            + [f"one{i}.y4m" for i in range(4)]
        ), os.listdir(d)


def write_wav(path, frames=40000, rate=16000):
    """A 16-bit mono WAV: a tone with a little detail."""
    data = bytearray()
    for i in range(frames):
        v = 9000 * math.sin(i * 0.07) + 800 * math.sin(i * 1.3) + (i * 7919 % 97) - 48
        data += struct.pack("<h", int(v))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(data))


def wav_frames(path):
    with wave.open(path, "rb") as w:
        return w.readframes(w.getnframes())


def test_segmented_audio_encode_equals_the_one_machine_segments(client):
    with tempfile.TemporaryDirectory() as d:
        sound = os.path.join(d, "sound.wav")
        write_wav(sound)
        for mode in (["-q", "60"], ["--lossless"]):
            out = os.path.join(d, "out.qnt")
            plan = encode(client, sound, out, segment_frames=12000, quanta=QUANTA, options=mode, progress=False)
            spans = [(s["start"], s["samples"]) for s in plan["segments"]]
            assert spans == [(0, 12000), (12000, 12000), (24000, 12000), (36000, 4000)], spans
            pieces = []
            for i, (start, length) in enumerate(spans):
                piece = os.path.join(d, f"one{i}.qnt")
                run("encode", sound, "--segment", f"{start}:{length}", "-o", piece, "--threads", "1", *mode)
                pieces.append(piece)
            single = os.path.join(d, "single.qnt")
            run("concat", *pieces, "-o", single)
            with open(out, "rb") as a, open(single, "rb") as b:
                assert a.read() == b.read(), f"{mode}: the cluster's stream differs"
            decoded = os.path.join(d, "out.wav")
            run("decode", out, "-o", decoded)
            if mode == ["--lossless"]:
                assert wav_frames(decoded) == wav_frames(sound)
            else:
                comparison = json.loads(run("compare", sound, decoded, "--json"))
                assert comparison["snr"] > 20, comparison


def wrapper(directory, fail_times):
    """A quanta stand-in that fails the encode of the segment starting at frame 10 the
    first `fail_times` times, counting attempts in a file."""
    count = os.path.join(directory, "attempts")
    script = os.path.join(directory, "flaky-quanta")
    with open(script, "w") as f:
        f.write(
            "#!/bin/sh\n"
            'case " $* " in *" --segment 10:"*)\n'
            f'  n=$(cat "{count}" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "{count}"\n'
            f'  if [ $n -le {fail_times} ]; then echo "quanta: error: disk on fire" >&2; exit 1; fi;;\n'
            "esac\n"
            f'exec "{QUANTA}" "$@"\n'
        )
    os.chmod(script, os.stat(script).st_mode | stat.S_IEXEC)
    return script, count


def test_a_piece_failing_twice_stops_the_run_and_leaves_nothing(client):
    with tempfile.TemporaryDirectory() as d:
        clip = os.path.join(d, "clip.y4m")
        write_clip(clip, frames=30)
        script, count = wrapper(d, fail_times=2)
        out = os.path.join(d, "out.qnt")
        try:
            encode(client, clip, out, segment_frames=10, quanta=script, progress=False)
        except PieceFailed as failed:
            message = str(failed)
            assert "segment 1 (frames 10:" in message and "disk on fire" in message, message
        else:
            raise AssertionError("the run did not fail")
        with open(count) as f:
            assert f.read().strip() == "2"
        assert sorted(os.listdir(d)) == ["attempts", "clip.y4m", "flaky-quanta"], os.listdir(d)
        # Failing once is not failing: the retry codes the segment.
        os.remove(count)
        script, count = wrapper(d, fail_times=1)
        encode(client, clip, out, segment_frames=10, quanta=script, progress=False)
        with open(count) as f:
            assert f.read().strip() == "2"
        assert json.loads(run("info", out, "--json"))["packets"] == 30


def untimed(path):
    with open(path) as f:
        report = json.load(f)
    del report["elapsed_seconds"]
    for file in report["files"]:
        for r in file["runs"]:
            del r["encode"], r["decode"]
    return report


def test_bench_as_jobs_merges_into_the_direct_report(client):
    with tempfile.TemporaryDirectory() as d:
        pictures = os.path.join(d, "pictures")
        os.mkdir(pictures)
        for i, (w, h) in enumerate([(40, 32), (48, 40), (64, 24), (32, 32)]):
            write_png(os.path.join(pictures, f"p{i}.png"), w, h, i)
        options = ["--quality", "20,50,80", "--threads", "1"]
        direct = os.path.join(d, "direct.json")
        run("bench", pictures, *options, "--json", direct)
        merged = os.path.join(d, "merged.json")
        table = bench(client, [pictures], options=options, outputs=["--json", merged], quanta=QUANTA, progress=False)
        assert "p3.png" in table, table  # the markdown report comes back
        a, b = untimed(direct), untimed(merged)
        assert len(a["files"]) == 4 and a == b


def _all_tests():
    return [v for k, v in sorted(globals().items()) if k.startswith("test_")]


try:
    import pytest

    @pytest.fixture(scope="module")
    def client():
        with open_client(None, workers=2) as c:
            yield c

except ImportError:
    pass


if __name__ == "__main__":
    with open_client(None, workers=2) as shared:
        for test in _all_tests():
            test(shared)
            print(f"ok {test.__name__}")
    shutil.rmtree(os.path.join(HERE, "__pycache__"), ignore_errors=True)
