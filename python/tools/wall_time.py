"""Wall time of a segmented encode on a local cluster of 1 and of 2 worker processes, the
cluster started before the clock starts (its start-up is reported apart).

    python tools/wall_time.py CLIP.y4m [--segment-frames N] [--repeat R] [--quanta PATH]
        [quanta encode options...]
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from quanta_dask import encode, open_client  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("--segment-frames", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quanta", default="quanta")
    args, options = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "out.qnt")
        for workers in (1, 2):
            start = time.perf_counter()
            with open_client(None, workers) as client:
                ready = time.perf_counter() - start
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    plan = encode(client, args.clip, out, args.segment_frames, quanta=args.quanta,
                                  options=options, progress=False)
                    times.append(time.perf_counter() - t)
            print(f"{workers} worker(s): {len(plan['segments'])} segments, encode "
                  + ", ".join(f"{t:.2f}" for t in times)
                  + f" s (cluster start {ready:.2f} s)", flush=True)


if __name__ == "__main__":
    main()
