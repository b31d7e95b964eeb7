"""Use the second core: work that runs in a forked process while Pelican goes on.

Pelican itself is single-threaded. Two pieces of Colloquy's work do not depend on what
Pelican does at the same moment, so they run in a forked child:
- reading, rendering and threading comment files while Pelican reads the essays, then
  writing the thread pages and feeds of each essay Pelican has read (told by a Channel);
- writing the rest of the thread pages and feeds, while Pelican writes its own pages.
With one worker configured (or where fork is unavailable) all of it runs inline instead.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import pickle
import select
import struct
import sys
import traceback
from multiprocessing import get_context
from typing import Any, Callable, Iterator

HEADER = struct.Struct("<I")
PIPE_BYTES = 1 << 20  # the most an unprivileged process may ask for, by default


def can_fork(workers: int) -> bool:
    return workers > 1 and hasattr(os, "fork")


def _run_child(work: Callable[[], Any], out_fd: int) -> None:
    """In the child: do the work, send its result, and never return into Pelican."""
    code = 0
    try:
        result = work()
        with os.fdopen(out_fd, "wb") as pipe:
            pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
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


class Channel:
    """Messages from the main process to a forked worker, sent without ever waiting.

    Pelican must never stall on Colloquy's worker, so a message that does not fit (the
    pipe is full, or the message is too long to be written in one piece) is dropped and
    `send` says so. The worker uses what it hears only to get ahead; whatever it did not
    do, the main process does later.
    """

    def __init__(self):
        self._read_fd, self._write_fd = os.pipe()
        try:
            fcntl.fcntl(self._write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (AttributeError, OSError):  # a smaller pipe only means more dropped messages
            pass
        os.set_blocking(self._write_fd, False)
        self._stopped = get_context("fork").RawValue("b", 0)

    def send(self, value: Any) -> bool:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        message = HEADER.pack(len(data)) + data
        if self._write_fd is None or len(message) > select.PIPE_BUF:
            return False
        try:  # at most PIPE_BUF bytes: the pipe takes all of it or none
            os.write(self._write_fd, message)
        except BlockingIOError:
            return False
        return True

    def stop(self) -> None:
        """The sender is done: the worker stops listening, even with messages unread."""
        self._stopped.value = 1
        self.close_sending_end()

    def close_sending_end(self) -> None:
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def close_receiving_end(self) -> None:
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None

    def receive(self) -> Iterator[Any]:
        """In the worker: each message in turn, until the sender stops or goes away."""
        self.close_sending_end()  # or the pipe would never reach its end
        with os.fdopen(self._read_fd, "rb") as pipe:
            self._read_fd = None
            while not self._stopped.value:
                header = pipe.read(HEADER.size)
                if len(header) < HEADER.size:
                    return
                data = pipe.read(HEADER.unpack(header)[0])
                if self._stopped.value:
                    return
                yield pickle.loads(data)
