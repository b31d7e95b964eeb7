"""Rendering one comment: Python-Markdown (what essays use) against Colloquy's renderer.

    python benchmarks/render.py [--count 3000]

Prints microseconds per comment for each and the ratio. Colloquy's renderer is cmark-gfm
in safe mode followed by nh3 sanitising (plugins/colloquy/markup.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

import markdown  # noqa: E402

from colloquy.markup import render  # noqa: E402

BODY = """> The slow reply is a reply that has been lived with.

I disagree *a little*: speed is not the enemy, **inattention** is. See
https://example.org/post-42 and [this](https://x.example/y).

- one
- two
"""


def per_call(function, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function(BODY)
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--count", type=int, default=3000)
    count = parser.parse_args().count
    md = markdown.Markdown()
    slow = per_call(lambda body: md.reset().convert(body), count)
    fast = per_call(render, count)
    print(f"Python-Markdown         {slow * 1e6:6.0f} µs per comment")
    print(f"cmark-gfm + nh3        {fast * 1e6:6.0f} µs per comment")
    print(f"ratio                  {slow / fast:6.1f} ×")


if __name__ == "__main__":
    main()
