"""Reading export files safely: bytes, gzip, UTF-8, JSON and YAML, and a progress bar.

Exports come from elsewhere and may be hostile. Gzip is unpacked while streaming,
counting as it goes, so a small file that unpacks to gigabytes is refused after a
bounded amount of memory; YAML is read with a loader that refuses aliases, so a 1 KB
file of nested aliases cannot grow without end. Every refusal names the file and the fix.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path

import yaml

from .items import ImportFileError

# An export may unpack to at most this much (real exports of large blogs are tens of MB).
MAX_UNPACKED = 256 * 1024 * 1024
# Past this much, an unpacking ratio above MAX_RATIO is a bomb, not an export: text
# compresses 5-20 times, a bomb of zeros about 1,000 times.
RATIO_AFTER = 16 * 1024 * 1024
MAX_RATIO = 200
CHUNK = 1024 * 1024
# Inputs at least this big get a progress bar (when stderr is a terminal).
PROGRESS_MIN_BYTES = 2_000_000
PROGRESS_MIN_ITEMS = 2_000


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise ImportFileError(path, None, "is a folder, not an export file",
                              "give the path of the exported file") from None
    except FileNotFoundError:
        raise ImportFileError(path, None, "no such file", "check the path") from None
    except OSError as exc:
        raise ImportFileError(path, None, f"cannot read it ({exc.strerror})",
                              "check its permissions") from None


def read_export(path: Path, limit: int | None = None) -> bytes:
    """An export file's bytes, unpacked while streaming when gzipped (Disqus and
    Commento send .gz files), refused as soon as the count passes `limit` or the
    unpacking ratio says it is a bomb."""
    try:
        with path.open("rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return read_bytes(path)
    except (IsADirectoryError, FileNotFoundError, PermissionError):
        return read_bytes(path)  # for its message
    limit = limit or MAX_UNPACKED
    chunks, total = [], 0
    try:
        with path.open("rb") as packed, gzip.GzipFile(fileobj=packed) as stream:
            while chunk := stream.read(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _bomb(path, f"it unpacks to more than {limit // 2**20} MB")
                if total > RATIO_AFTER and total > MAX_RATIO * max(packed.tell(), 1):
                    raise _bomb(path, f"it unpacks more than {MAX_RATIO} times its size")
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFileError(path, None, f"a damaged gzip file ({exc})",
                              "download the export again") from None
    return b"".join(chunks)


def _bomb(path: Path, why: str) -> ImportFileError:
    return ImportFileError(path, None, f"refused: {why} (a genuine export does not; possible "
                           "gzip bomb)", "unpack it yourself, check what it holds, and import "
                           "the unpacked file")


def decode_utf8(raw: bytes, path: Path) -> str:
    """The text of a UTF-8 file; invalid bytes are an error naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(path, line, f"invalid UTF-8 (byte {exc.start})",
                              "export the file again, or re-save it as UTF-8") from None


def load_json(path: Path, what: str, hint: str, raw: bytes | None = None):
    """JSON from a file (or its unpacked bytes), errors naming the line and column."""
    text = decode_utf8(read_export(path) if raw is None else raw, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        fix = (f"the file ends too early (truncated?) or a quote is never closed; {hint}"
               if at_end else f"the {what} file is damaged there; {hint}")
        raise ImportFileError(path, exc.lineno, f"not valid JSON ({exc.msg}, column "
                              f"{exc.colno})", fix) from None
    except RecursionError:
        raise ImportFileError(path, None, "refused: the JSON is nested too deeply",
                              f"a genuine {what} export is shallow; {hint}") from None


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases (`*name`) the moment it meets one.

    Aliases are how a kilobyte of YAML becomes gigabytes ("billion laughs"); no comment
    file needs them. Refusing at the scanner stops before anything is built.
    """

    def fetch_alias(self):
        raise yaml.MarkedYAMLError(problem="refused: YAML aliases (*name) are not read",
                                   problem_mark=self.get_mark())


def load_yaml(text: str):
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a safe loader, no aliases


# -- progress ----------------------------------------------------------------------------------


class _NoProgress:
    def advance(self, amount: int = 1) -> None:
        pass


class _RichProgress:
    def __init__(self, progress, task):
        self.progress, self.task = progress, task

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)


def wants_progress(size: int = 0, items: int = 0) -> bool:
    return sys.stderr.isatty() and (size >= PROGRESS_MIN_BYTES or items >= PROGRESS_MIN_ITEMS)


@contextmanager
def progress_bar(description: str, total: int, enabled: bool):
    """A rich progress bar on stderr, or nothing when not wanted (pipes, small inputs)."""
    if not enabled:
        yield _NoProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        yield _RichProgress(progress, progress.add_task(description, total=total))
