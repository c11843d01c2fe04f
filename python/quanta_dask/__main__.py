"""Command line: `python -m quanta_dask encode ...` and `python -m quanta_dask bench ...`."""

import argparse
import sys

from .bench import bench
from .cluster import PieceFailed, open_client
from .encode import encode


def _cluster_options(parser):
    parser.add_argument(
        "--scheduler",
        help="address of a running Dask scheduler (tcp://HOST:8786); "
        "without it a local cluster is started",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of the local cluster (default 2)"
    )
    parser.add_argument(
        "--quanta", help="the quanta binary, the same path on every worker (default: quanta on PATH)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m quanta_dask",
        description="Run quanta encodes and benches on a Dask cluster.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    enc = commands.add_parser(
        "encode",
        help="code a Y4M clip or an audio file in segments on the workers and join them",
        description="Other options are passed to every `quanta encode` (for example -q 60, --preset slow).",
    )
    enc.add_argument("input", help="Y4M clip or audio file, on a path every worker can read")
    enc.add_argument("-o", "--output", required=True, help="the joined stream")
    length = enc.add_mutually_exclusive_group()
    length.add_argument(
        "--segment-frames",
        type=int,
        help="frames per segment, audio: samples (default: 250 frames, 10 s of audio)",
    )
    length.add_argument("--segment-seconds", type=float, help="seconds per segment")
    enc.add_argument(
        "--work-dir",
        help="folder for the segments, writable by every worker (default: beside the output)",
    )
    _cluster_options(enc)
    ben = commands.add_parser(
        "bench",
        help="run a quanta bench as one job per run on the workers and merge it",
        description="Other options are passed to `quanta bench --plan` (--quality, --anchors, ...).",
    )
    ben.add_argument("inputs", nargs="+", help="files or folders every worker can read")
    for name in ("--json", "--csv", "--plot"):
        ben.add_argument(name, help=f"{name} of the merged report")
    _cluster_options(ben)
    return parser


# Options of the driver itself and whether they take a value; every other option is passed
# on to quanta, with the word after it unless it is one of quanta's flags below.
_DRIVER = {
    "-o": True,
    "--output": True,
    "--segment-frames": True,
    "--segment-seconds": True,
    "--work-dir": True,
    "--json": True,
    "--csv": True,
    "--plot": True,
    "--scheduler": True,
    "--workers": True,
    "--quanta": True,
    "--no-progress": False,
    "-h": False,
    "--help": False,
}
_QUANTA_FLAGS = {"--no-deblock", "--no-scene-cut", "--no-block-switching", "--lossless"}


def split_arguments(argv):
    """(the driver's words, the words passed on to quanta). Words after `--` are passed on."""
    mine, theirs = [], []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0]
        if word == "--":
            theirs += words[i + 1 :]
            break
        if name in _DRIVER:
            takes = _DRIVER[name] and "=" not in word
            mine += words[i : i + 1 + takes]
            i += 1 + takes
        elif word.startswith("-") and len(word) > 1:
            takes = name not in _QUANTA_FLAGS and "=" not in word
            theirs += words[i : i + 1 + takes]
            i += 1 + takes
        else:
            mine.append(word)
            i += 1
    return mine, theirs


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    mine, rest = split_arguments(argv)
    args = _parser().parse_args(mine)
    try:
        with open_client(args.scheduler, args.workers) as client:
            if args.command == "encode":
                encode(
                    client,
                    args.input,
                    args.output,
                    segment_frames=args.segment_frames,
                    segment_seconds=args.segment_seconds,
                    quanta=args.quanta,
                    options=rest,
                    work_dir=args.work_dir,
                    progress=not args.no_progress,
                )
            else:
                outputs = []
                for name in ("json", "csv", "plot"):
                    value = getattr(args, name)
                    if value:
                        outputs += [f"--{name}", value]
                report = bench(
                    client,
                    args.inputs,
                    options=rest,
                    outputs=outputs,
                    quanta=args.quanta,
                    progress=not args.no_progress,
                )
                sys.stdout.write(report)
    except PieceFailed as failed:
        print(f"quanta_dask: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
