"""Writing files: one atomic write, and one way to make a path from input.

Every file Colloquy writes (comment files, digest notes, imported essays, reports, the
intake's secret) goes through `atomic_write`: readers see the old file or the new one,
never half of one, and a crash after it returns loses nothing. Every path made from
text that came from outside (a slug, an id, an export's post name) goes through
`inside`, which cannot leave its root.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ColloquyError


class UnsafePath(ColloquyError):
    """A name from input would leave the folder it belongs in."""


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, data: str | bytes, *, mode: int | None = None,
                 exclusive: bool = False) -> Path:
    """Write `data` to `path` atomically: temp file, fsync, rename, fsync the folder.

    The file gets `mode`, by default what the umask gives a new file (0666 & ~umask):
    mkstemp's 0600 would keep the author from reading what the server wrote, or the
    other way round. With `exclusive`, an existing file is never replaced
    (FileExistsError): what the author may have edited by hand stays.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask() if mode is None else mode)
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, target)  # fails if the target exists, atomically
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def fsync_dir(directory: str | Path) -> None:
    """Make a rename in `directory` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def inside(root: str | Path, *names: str) -> Path:
    """`root/name/...`, refusing any name that is empty, absolute, `.`/`..`, holds a
    path separator or a control character, or would otherwise resolve outside root."""
    base = Path(root)
    path = base
    for name in names:
        name = str(name)
        if (not name or name in (".", "..") or "/" in name or "\\" in name
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in name)):
            raise UnsafePath(f"{name!r} cannot be a file or folder name under {base}; "
                             "it was made from input and would leave its folder")
        path = path / name
    resolved_root = base.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise UnsafePath(f"{path} is outside {base}; a link or name leads out of it")
    return path
