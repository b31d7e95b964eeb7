"""What a build keeps between builds in Pelican's cache folder, and the keys that let a
warm build skip work.

`BuildCache` is a small dict: the input hash of each generated file. Entries not looked
up during a build are forgotten when it is saved, so the cache never outgrows the site.
`site_key` is part of every such key: it changes whenever anything a template can see
changes (every setting, the theme's templates, Colloquy's version), so no page is kept
that a rebuild would write differently.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

# Settings that say where files go, not what any page shows.
WHERE_FILES_GO = {"OUTPUT_PATH", "CACHE_PATH"}
ADDRESS_RE = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_repr(value: Any) -> str:
    """A repr that is the same in every build for equal settings: dicts and sets sorted,
    functions and classes by name, no memory addresses."""
    if isinstance(value, dict):
        items = sorted((stable_repr(k), stable_repr(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(stable_repr(v) for v in value) + "]"
    if value is None or isinstance(value, (str, int, float, bool, date, datetime, tzinfo)):
        return repr(value)
    name = getattr(value, "__qualname__", None)
    if name is not None:  # a function, class or module-level object
        return f"{getattr(value, '__module__', '')}.{name}"
    return f"{type(value).__module__}.{type(value).__qualname__}:" + \
        ADDRESS_RE.sub("", repr(value))


def site_key(settings: dict, template_dirs: list[Path], *versions: Any) -> str:
    """A hash of everything a template can see: every setting, every template file, and
    the versions given (Colloquy's and its formats')."""
    digest = hashlib.blake2b(digest_size=16)
    shown = {k: v for k, v in settings.items() if k.isupper() and k not in WHERE_FILES_GO}
    digest.update(stable_repr(shown).encode("utf-8", "surrogatepass"))
    for folder in template_dirs:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogatepass"))
                digest.update(path.read_bytes())
    digest.update(stable_repr(list(versions)).encode())
    return digest.hexdigest()


class BuildCache:
    def __init__(self, path: Path | None, version: str, stored: dict[str, Any] | None = None):
        """Load the entries saved at `path`, or start from `stored` when given."""
        self.path = path
        self.version = version
        self.stored: dict[str, Any] = stored if stored is not None else {}
        self.used: dict[str, Any] = {}
        self.changed = False
        if stored is None and path and path.exists():
            try:
                with path.open("rb") as handle:
                    stored_version, entries = pickle.load(handle)
                if stored_version == version:
                    self.stored = entries
            except Exception:  # a torn or foreign cache only costs a slower build
                self.stored = {}

    def get(self, key: str) -> Any:
        value = self.stored.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value
        if self.stored.get(key) != value:
            self.changed = True

    def save(self) -> None:
        if not self.path or (not self.changed and len(self.used) == len(self.stored)):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with tmp.open("wb") as handle:
            pickle.dump((self.version, self.used), handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.path)
        self.stored, self.changed = dict(self.used), False
