"""quanta on a Dask cluster: video encodes cut into segments and benches cut into jobs,
spread over the workers, each piece run by the quanta binary, joined or merged at the end."""

from .cluster import PieceFailed, open_client, run_pieces
from .encode import encode
from .bench import bench

__all__ = ["PieceFailed", "open_client", "run_pieces", "encode", "bench"]
