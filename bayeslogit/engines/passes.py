"""Passes over row blocks held on a Dask cluster: one task per block, in block order.

:func:`run_pass` is how :mod:`bayeslogit.engines.distributed` reads the data: blocks
persisted on a ``distributed`` cluster are handed to one task each on the worker that holds
them (no graph is built per pass, and no block is copied between workers); blocks that are
not persisted, or Dask's local schedulers, go through ``dask.compute``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

LOG = logging.getLogger("bayeslogit.distributed")

__all__ = ["run_pass"]


#: an argument larger than this (bytes) is sent to the cluster once per pass, not per block
_SCATTER_BYTES = 2**16


def _block_futures(blocks: Sequence[Any]) -> list[Any] | None:
    """Return the futures of blocks persisted on a ``distributed`` cluster, else None."""
    try:
        from distributed import futures_of
    except ImportError:  # Dask without distributed: the local schedulers
        return None
    futures = []
    for block in blocks:
        found = futures_of(block)
        if len(found) != 1 or found[0].key != getattr(block, "key", None):
            return None
        futures.append(found[0])
    return futures


def _apply(block: tuple, fn: Callable[..., Any], args: tuple) -> Any:
    return fn(block, *args)


#: seconds between checks that the workers a pass is pinned to are still there
_LIVENESS_CHECK = 10.0


def _pinned_map(client: Any, futures: list[Any], fn: Callable[..., Any],
                args: tuple) -> list[Any]:
    """Run ``fn(block, *args)`` for every block future on the worker that holds it.

    The tasks are restricted to their block's worker: without the restriction the
    scheduler's work stealing moves blocks between workers whenever one is idle (a copy of
    the block on the thief, and its transfer, at every pass). A task whose worker left the
    cluster during the pass is submitted again without restriction (its block is then
    recomputed from its lineage, as Dask does for any lost key).
    """
    from distributed import wait

    holders = client.who_has(futures)
    groups: dict[str | None, list[int]] = {}
    for i, fut in enumerate(futures):
        where = holders.get(fut.key) or [None]
        groups.setdefault(where[0], []).append(i)
    tasks: list[Any] = [None] * len(futures)
    pinned: dict[int, str] = {}
    for addr, index in groups.items():
        submitted = client.map(_apply, [futures[i] for i in index], fn=fn, args=args,
                               pure=False, workers=None if addr is None else [addr],
                               allow_other_workers=addr is None)
        for i, task in zip(index, submitted, strict=True):
            tasks[i] = task
            if addr is not None:
                pinned[i] = addr
    while True:
        try:
            wait(tasks, timeout=_LIVENESS_CHECK)
            break
        except TimeoutError:
            alive = set(client.scheduler_info()["workers"])
            for i, addr in list(pinned.items()):
                if addr not in alive and not tasks[i].done():
                    tasks[i].cancel()
                    tasks[i] = client.submit(_apply, futures[i], fn=fn, args=args, pure=False)
                    del pinned[i]
    return client.gather(tasks)


def run_pass(blocks: Sequence[Any], fn: Callable[..., Any], *args: Any,
             what: str = "pass") -> list[Any]:
    """``[fn(block, *args) for block in blocks]`` on the cluster, in block order.

    Blocks persisted on a ``distributed`` cluster are passed as their futures to one task
    each, run where the block is (no graph is built, no block moves); otherwise
    (``persist=False``, or Dask's local schedulers) the pass is ``dask.compute`` over the
    blocks' graphs. Large arguments
    (the proposals of importance sampling) are scattered to the workers once per pass.
    """
    import dask

    start = time.perf_counter()
    futures = _block_futures(blocks)
    if futures:
        client = futures[0].client
        sent = tuple(client.scatter(a, broadcast=True, hash=False)
                     if isinstance(a, np.ndarray) and a.nbytes > _SCATTER_BYTES else a
                     for a in args)
        parts = _pinned_map(client, futures, fn, sent)
    else:
        parts = dask.compute(*[dask.delayed(fn)(b, *args) for b in blocks])
    LOG.info("%s over %d blocks: %.3f s", what, len(blocks), time.perf_counter() - start)
    return list(parts)
