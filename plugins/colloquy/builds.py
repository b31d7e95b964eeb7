"""Builds that reach readers whole, or not at all.

`build(settings)` is how `colloquy build`, `colloquy approve --rebuild` and the intake
server's background rebuild build a site. Pelican writes into a fresh folder beside
OUTPUT_PATH (`.<name>.next`); only when it finishes without error is that folder swapped
in for OUTPUT_PATH, in one atomic rename (Linux's renameat2 RENAME_EXCHANGE: at every
instant OUTPUT_PATH is the old site or the new one, so `colloquy serve` never answers
from half a site). A build that fails leaves OUTPUT_PATH untouched; its cause is logged
and written to var/last-build-failure, which `colloquy pending` and `colloquy check`
show until a build succeeds.

The fresh folder starts as a copy of the current site, so Pelican's and Colloquy's
"unchanged, not rewritten" shortcuts keep working. With DELETE_OUTPUT_DIRECTORY = True
(publishconf.py) it starts empty instead, but for the names in OUTPUT_RETENTION, and
Pelican empties only that fresh folder: the site being served is never emptied.
Builds are serialised by a lock file (var/build.lock), so the author's build and the
server's rebuild never write the same fresh folder.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import text
from .files import atomic_write, fsync_dir
from .store import site_path

logger = logging.getLogger("colloquy.builds")

FAILURE_FILE = "var/last-build-failure"
LOCK_FILE = "var/build.lock"
TAIL_LINES = 40
RENAME_EXCHANGE = 2  # linux/fs.h


def build(settings: dict, echo: bool = True) -> bool:
    """Build the site into a fresh folder and swap it in; False (and a recorded failure)
    if the build failed, with the served site left as it was. `echo`: pass Pelican's
    messages on to stderr as they come (the server's rebuild only logs the outcome)."""
    output = Path(settings.get("OUTPUT_PATH") or "output").absolute()
    fresh = output.parent / f".{output.name}.next"
    with _locked(site_path(settings, LOCK_FILE)):
        _remove(fresh)
        _prepare(output, fresh, settings)
        ok, cause = _run_pelican(settings, fresh, echo)
        if ok:
            try:
                swap(fresh, output)
            except OSError as exc:  # e.g. OUTPUT_PATH is a mount point: nothing moved
                ok, cause = False, (f"the new site could not be moved into place ({exc}); "
                                    "OUTPUT_PATH must be a folder inside a writable folder")
        if ok:
            _remove(fresh)  # the previous site, after the exchange
            site_path(settings, FAILURE_FILE).unlink(missing_ok=True)
            return True
        _remove(fresh)
        record_failure(settings, cause)
        logger.error("the build failed; the site being served is unchanged. %s",
                     text.for_terminal(cause.splitlines()[-1] if cause else ""))
        return False


def _prepare(output: Path, fresh: Path, settings: dict) -> None:
    if not output.is_dir():
        fresh.mkdir(parents=True)
        return
    if settings.get("DELETE_OUTPUT_DIRECTORY"):
        fresh.mkdir()
        for name in settings.get("OUTPUT_RETENTION") or ():
            kept = output / name
            if kept.is_dir():
                shutil.copytree(kept, fresh / name, symlinks=True)
            elif kept.exists():
                shutil.copy2(kept, fresh / name)
        return
    shutil.copytree(output, fresh, symlinks=True)


def _run_pelican(settings: dict, fresh: Path, echo: bool) -> tuple[bool, str]:
    """Pelican into `fresh`: in its own process when the settings came from a file
    (as `pelican -s FILE -o DIR` would), else in this one. Returns (ok, cause)."""
    settings_file = settings.get("colloquy_settings_file")
    if not settings_file:
        from pelican import Pelican

        try:
            Pelican({**settings, "OUTPUT_PATH": str(fresh)}).run()
        except Exception as exc:  # any failure: the served site must stay as it was
            logger.debug("build failed", exc_info=True)
            return False, f"{type(exc).__name__}: {exc}"
        return True, ""
    command = [sys.executable, "-m", "pelican", "-s", settings_file, "-o", str(fresh)]
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    # From the settings file's folder: publishconf.py imports pelicanconf from there.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, encoding="utf-8", errors="replace",
                               cwd=Path(settings_file).parent)
    for line in process.stdout:
        tail.append(line.rstrip("\n"))
        if echo:
            sys.stderr.write(line)
            sys.stderr.flush()
    code = process.wait()
    if code == 0:
        return True, ""
    return False, f"pelican exited with status {code}\n" + "\n".join(tail)


def swap(fresh: Path, output: Path) -> None:
    """Put `fresh` where `output` is, atomically; the old site ends up at `fresh`."""
    if not output.exists():
        os.rename(fresh, output)
    elif not _exchange(fresh, output):
        # No atomic exchange here (not Linux, or an old kernel): two renames, with a
        # moment in between when OUTPUT_PATH does not exist.
        old = output.parent / f".{output.name}.old"
        _remove(old)
        os.rename(output, old)
        os.rename(fresh, output)
        os.rename(old, fresh)
    fsync_dir(output.parent)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    return result == 0


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no advisory locks here: builds are not serialised
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- the record of the last failure ------------------------------------------------------------

def record_failure(settings: dict, cause: str) -> None:
    record = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cause": cause}
    atomic_write(site_path(settings, FAILURE_FILE), json.dumps(record, indent=2) + "\n")


def last_failure(settings: dict) -> dict | None:
    """The last build's failure ({"when", "cause"}) if the last build failed, else None."""
    path = site_path(settings, FAILURE_FILE)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def failure_note(settings: dict) -> str | None:
    """A few lines for `colloquy pending` and `colloquy check`, or None."""
    record = last_failure(settings)
    if record is None:
        return None
    cause = [line for line in str(record.get("cause", "")).splitlines() if line.strip()]
    lines = [f"The last build failed ({record.get('when', 'at an unknown time')}); the site "
             "being served is the one before it. Fix the cause and run `colloquy build`."]
    lines += ["  " + line for line in cause[-8:]]
    return "\n".join(text.for_terminal(line) for line in lines)


def cmd_build(args) -> int:
    """`colloquy build`: build once, swapping the new site in only if the build succeeded."""
    from .config import load_site_settings

    started = time.monotonic()
    if build(load_site_settings(args.settings)):
        print(f"Built in {time.monotonic() - started:.1f} s.")
        return 0
    print("colloquy: the build failed; the site in the output folder is the previous one. "
          "The cause is above (and in var/last-build-failure).", file=sys.stderr)
    return 1
