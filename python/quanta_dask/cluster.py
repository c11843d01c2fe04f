"""The cluster side: a Dask client (an existing scheduler or a local cluster of worker
processes) and the running of pieces, each one `quanta` command on a worker, with a
progress bar, one retry per piece, and the first piece that fails twice stopping the run."""

import contextlib
import shutil
import subprocess
import tempfile

from distributed import Client, LocalCluster, as_completed
from tqdm import tqdm


class PieceFailed(RuntimeError):
    """A piece failed on its first run and on its retry."""

    def __init__(self, name, message):
        super().__init__(f"{name} failed twice: {message}")
        self.piece = name


def find_quanta(path=None):
    """The quanta binary to run: `path`, else `quanta` on PATH."""
    if path:
        return str(path)
    found = shutil.which("quanta")
    if not found:
        raise SystemExit("quanta_dask: no quanta binary on PATH; give --quanta PATH")
    return found


@contextlib.contextmanager
def open_client(scheduler=None, workers=2):
    """A client of the scheduler at `scheduler` (tcp://HOST:8786), or of a local cluster of
    `workers` single-threaded worker processes that is closed afterwards."""
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with tempfile.TemporaryDirectory(prefix="quanta-dask-") as local:
        with LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            local_directory=local,
        ) as cluster, Client(cluster) as client:
            yield client


def _message(error):
    """What a failed piece said: quanta's own error line when there is one."""
    stderr = getattr(error, "stderr", None)
    if stderr:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return str(error)


def run_pieces(client, pieces, what="pieces", progress=True):
    """Runs every (name, command) of `pieces` on the workers, each at most twice. Returns
    the completed processes (stdout as text) in the order of `pieces`. Raises PieceFailed
    naming the first piece that failed twice; the other pieces are cancelled."""
    futures = {}
    for index, (name, command) in enumerate(pieces):
        future = client.submit(
            subprocess.run,
            command,
            capture_output=True,
            text=True,
            check=True,
            retries=1,
            pure=False,
            key=f"quanta-{what}-{index}-{id(pieces)}",
        )
        futures[future] = (index, name)
    results = [None] * len(pieces)
    bar = tqdm(total=len(pieces), unit=what, disable=not progress)
    try:
        for future in as_completed(list(futures)):
            index, name = futures[future]
            if future.status != "finished":
                raise PieceFailed(name, _message(future.exception()))
            results[index] = future.result()
            bar.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        bar.close()
    return results
