"""Adversarial comment bodies: scoring and rendering time must grow linearly.

    python benchmarks/adversarial.py [--size 10000] [--repeat 3]

For each hostile body (a unit repeated to SIZE characters, the intake's default length
limit, and to 4 × SIZE; rendering also at 2.5 × and 10 × SIZE, up to markup's
MAX_RENDER_CHARS), prints the best of REPEAT times for `substance.analyse` (scoring) and
`markup.render`, and the ratio of the 4× time to the 1× time. Linear code gives a ratio
near 4; quadratic code near 16. Then the time of bodies far past the render cap, which
must stay flat. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from colloquy import markup, substance  # noqa: E402

UNITS = {
    "[](": "[](", "[": "[", "<a": "<a", "<http://": "<http://", "](": "](",
    "> ": "> ", ">\\n": ">\n", "- ": "- ", "1. ": "1. ", "> - ": "> - ",
    "`": "`", "``a`": "``a`", "*a": "*a", "_a": "_a", "~~a": "~~a", "www.a ": "www.a ",
    "[a](b ": "[a](b ", "[x]: ": "[x]: /u\n", "&#": "&#", "prose": "Slow words here. ",
}


def best(function, body: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        substance.analyse.cache_clear()
        started = time.perf_counter()
        function(body)
        times.append(time.perf_counter() - started)
    return min(times)


def body_of(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def row(name: str, function, unit: str, size: int, repeat: int) -> tuple[float, float]:
    small = best(function, body_of(unit, size), repeat)
    large = best(function, body_of(unit, 4 * size), repeat)
    ratio = large / small if small > 0 else float("nan")
    print(f"  {name:<10} {size:>8,} chars {small * 1000:9.2f} ms   ×4: "
          f"{large * 1000:9.2f} ms   ratio {ratio:5.1f}")
    return small, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    worst = 0.0
    for title, function, sizes in (("scoring (substance.analyse)", substance.analyse, (1,)),
                                   ("rendering (markup.render)", markup.render, (1, 2.5))):
        print(title)
        for name, unit in UNITS.items():
            for factor in sizes:
                _, ratio = row(repr(name), function, unit, int(args.size * factor), args.repeat)
                worst = max(worst, ratio)
    print(f"worst ratio for 4 × the length: {worst:.1f} (linear: about 4; quadratic: 16)")
    print(f"past the render cap ({markup.MAX_RENDER_CHARS:,} chars), the slowest units:")
    for unit in ("&#", "*a", "> "):
        times = [best(markup.render, body_of(unit, size), 1) for size in (400_000, 1_600_000)]
        print(f"  {unit!r:<6} 400,000 chars {times[0] * 1000:8.1f} ms   "
              f"1,600,000 chars {times[1] * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
