"""A small dict kept between builds in Pelican's cache folder.

Used for rendered comment bodies, rendered thread fragments and the input hash of each
generated file. Entries not looked up during a build are forgotten when it is saved, so
the cache never outgrows the site.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any


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
