"""Use the second core: work that runs in a forked process while Pelican goes on.

Pelican itself is single-threaded. Two pieces of Colloquy's work do not depend on what
Pelican does at the same moment, so they run in a forked child:
- reading, rendering and threading comment files while Pelican reads the essays;
- writing half of the thread pages and feeds while Pelican writes its own pages.
With one worker configured, or where the system cannot fork (Windows), all of it runs
in Pelican's process instead, one piece after the other.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import sys
import traceback
from typing import Any, Callable


def can_fork(workers: int) -> bool:
    return workers > 1 and "fork" in multiprocessing.get_all_start_methods()


def _run_child(work: Callable[[], Any], out_fd: int) -> None:
    """In the child: do the work, send its result, and never return into Pelican."""
    code = 0
    try:
        # Pickled whole before anything is sent: the parent may still be busy, and a
        # pickler writing into a full pipe would wait for it.
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(out_fd, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Forked:
    """`work()` started now in a forked child (or later inline); `result()` fetches it."""

    def __init__(self, in_background: bool, work: Callable[..., Any], *args: Any):
        self.pid = None
        self._work = lambda: work(*args)
        self._read_fd = None
        if not in_background:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        read_fd, write_fd = os.pipe()
        self._read_fd = read_fd
        # While the child runs, neither process's garbage collector traverses (and so writes
        # to) the objects they share: those pages stay shared instead of being copied.
        # The parent thaws them once the child is done, in result().
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _run_child(self._work, write_fd)
        self.pid = pid
        os.close(write_fd)

    def result(self) -> Any:
        if self.pid is None:
            return self._work()
        with os.fdopen(self._read_fd, "rb") as pipe:  # read before waiting: no deadlock
            payload = pipe.read()
        data = pickle.loads(payload) if payload else None
        _, status = os.waitpid(self.pid, 0)
        gc.unfreeze()
        if os.waitstatus_to_exitcode(status) != 0:
            raise ChildProcessError("a Colloquy build worker failed; its error is shown above")
        return data


class Batches:
    """Hands out the batches of a list to the processes sharing it, each batch once.
    Shared between forked processes when `shared`, else a plain counter."""

    def __init__(self, shared: bool):
        self._shared = multiprocessing.get_context("fork").Value("i", 0) if shared else None
        self._next = 0

    def claim(self, size: int) -> int:
        """The start of the next unclaimed batch of `size` items."""
        if self._shared is None:
            start, self._next = self._next, self._next + size
            return start
        with self._shared.get_lock():
            start = self._shared.value
            self._shared.value += size
        return start
