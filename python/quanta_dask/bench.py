"""`bench`: a `quanta bench` cut into one job per (file, codec, setting) on the workers.

The client writes the plan (`quanta bench INPUTS --plan`), the workers run one job line
each (`quanta bench --run-job LINE`, whose record comes back as its standard output), and
the client merges the records (`quanta bench --merge`) into the tables, BD-rates, JSON,
CSV and plots a one-machine run gives. Only the inputs must be on a path every worker can
read; the jobs and records travel through Dask.
"""

import os
import subprocess
import tempfile

from .cluster import find_quanta, run_pieces


def bench(client, inputs, options=(), outputs=(), quanta=None, progress=True):
    """Runs the bench of `inputs` with `options` (sweep options of `quanta bench`) on the
    workers of `client` and merges it; `outputs` are the merge's output options (--json F,
    --csv F, --plot F). Returns the merge's standard output (the markdown report)."""
    quanta = find_quanta(quanta)
    inputs = [os.path.abspath(i) for i in inputs]
    with tempfile.TemporaryDirectory(prefix="quanta-dask-bench-") as work:
        plan_file = os.path.join(work, "jobs.jsonl")
        planned = subprocess.run(
            [quanta, "bench", *inputs, *options, "--plan", plan_file],
            capture_output=True,
            text=True,
        )
        if planned.returncode != 0:
            raise SystemExit(f"quanta_dask: quanta bench --plan failed: {planned.stderr.strip()}")
        with open(plan_file, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        pieces = [
            (f"bench job {n}", [quanta, "bench", "--run-job", line])
            for n, line in enumerate(lines)
        ]
        done = run_pieces(client, pieces, what="jobs", progress=progress)
        records = os.path.join(work, "records.jsonl")
        with open(records, "w", encoding="utf-8") as f:
            for result in done:
                f.write(result.stdout.strip() + "\n")
        merged = subprocess.run(
            [quanta, "bench", "--merge", records, *outputs], capture_output=True, text=True
        )
        if merged.returncode != 0:
            raise SystemExit(f"quanta_dask: quanta bench --merge failed: {merged.stderr.strip()}")
        return merged.stdout
