"""`encode`: a Y4M clip or an audio file coded in segments on the workers and joined into
one stream.

The client runs `quanta plan` (video: boundaries every N frames, moved to nearby scene cuts;
audio: ranges of N samples), the workers run `quanta encode IN --segment START:COUNT -o SEG`
for one segment each into a
work folder every worker can write (by default a hidden folder beside the output), and the
client joins the segments with `quanta concat`, which writes the output under a temporary
name and renames it when complete. The work folder is removed whatever happens.
"""

import json
import os
import shutil
import subprocess
import time
import uuid

from .cluster import find_quanta, run_pieces


def is_y4m(path):
    with open(path, "rb") as f:
        return f.read(10) == b"YUV4MPEG2 "


def plan(quanta, source, segment_frames=None, segment_seconds=None):
    """The segments of `source` as `quanta plan` gives them (a dict, see its JSON). Without
    a length: 250 frames for video, 10 seconds for audio."""
    command = [quanta, "plan", source]
    if segment_frames is None and segment_seconds is None:
        if is_y4m(source):
            segment_frames = 250
        else:
            segment_seconds = 10
    if segment_seconds is not None:
        command += ["--segment-seconds", str(segment_seconds)]
    else:
        command += ["--segment-frames", str(segment_frames)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"quanta_dask: quanta plan failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def encode(
    client,
    source,
    output,
    segment_frames=None,
    segment_seconds=None,
    quanta=None,
    options=(),
    work_dir=None,
    progress=True,
):
    """Codes `source` (a Y4M clip or an audio file) into `output` on the workers of
    `client`. `options` are
    more `quanta encode` options (the same for every segment); without `--threads` each
    segment is coded single-threaded (one worker process per core), and video without
    `--lookahead` with the lookahead inline (the same bytes). Returns the plan."""
    quanta = find_quanta(quanta)
    source = os.path.abspath(source)
    output = os.path.abspath(output)
    segments = plan(quanta, source, segment_frames, segment_seconds)
    unit = "frames" if segments["media"] == "video" else "samples"
    options = list(options)
    if not any(o == "--threads" or o.startswith("--threads=") for o in options):
        options += ["--threads", "1"]
    # The video lookahead runs on a thread of its own; one core per worker has none to spare.
    # Its depth never changes the bytes, so a segment is coded inline unless asked otherwise.
    if segments["media"] == "video" and not any(
        o == "--lookahead" or o.startswith("--lookahead=") for o in options
    ):
        options += ["--lookahead", "0"]
    parent = work_dir or os.path.dirname(output)
    work = os.path.join(parent, f".{os.path.basename(output)}.quanta-dask-{uuid.uuid4().hex[:8]}")
    os.makedirs(work)
    try:
        pieces = []
        paths = []
        for i, seg in enumerate(segments["segments"]):
            path = os.path.join(work, f"segment-{i:05}.qnt")
            paths.append(path)
            span = f"{seg['start']}:{seg[unit]}"
            command = [quanta, "encode", source, "--segment", span, "-o", path] + options
            pieces.append((f"segment {i} ({unit} {span})", command))
        run_pieces(client, pieces, what="segments", progress=progress)
        joined = subprocess.run(
            [quanta, "concat", *paths, "-o", output], capture_output=True, text=True
        )
        if joined.returncode != 0:
            raise SystemExit(f"quanta_dask: quanta concat failed: {joined.stderr.strip()}")
    finally:
        remove_work_dir(work)
    return segments


def remove_work_dir(work, tries=50):
    """Removes the segment directory. After a failed run, pieces still running on the
    workers (a cancel does not stop them) may create a file in it while it is being removed,
    so that removing the directory itself fails; removing again until it is gone settles
    it, since once it is gone no piece can write into it."""
    for _ in range(tries):
        shutil.rmtree(work, ignore_errors=True)
        if not os.path.exists(work):
            return
        time.sleep(0.1)
