"""Build benchmark: a synthetic site, built cold and warm, with and without comments.

    python benchmarks/build.py [--essays 300 1000] [--comments 20] [--depth 5] [--runs 3]

Each build runs `pelican` in its own process so time and peak memory are measured alone.
Peak memory is the highest total PSS of the build's whole process tree (Pelican plus
Colloquy's forked workers), sampled every 50 ms: shared pages are split, not counted
twice. Sampling slows the build it watches (walking a process's page tables contends
with its page faults and forks), so cold-build times come from builds nobody samples,
and memory from one more build of each site that is sampled. Prints, for each size, the
figures and the three ratios Colloquy promises: cold build with comments / without
(≤ 1.3), warm rebuild after one new comment / cold build (≤ 0.35), peak memory with
comments / without (≤ 1.5). The cold ratio is also given round by round (the two builds
of a round run one after the other), as a median and a range.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("conversation attention reply essay reader slow careful listen answer question "
         "thought network platform creation sharing community garden letter voice writing "
         "paragraph argument kindness patience moderation response follow thread digest week "
         "the a of and to in that is was for it with as on be at by this had not are but from").split()


def sentence(rng: random.Random, low=8, high=22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng, sentences=6) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def essay_text(rng, index: int, date: datetime) -> str:
    body = []
    for section in range(5):  # ~1,300 words: long-form, like the real essays
        body.append(f"## Part {section + 1}\n")
        body += [paragraph(rng) for _ in range(3)]
        if section == 2:
            body.append("> " + sentence(rng))
    return (f"Title: Essay number {index}\nDate: {date:%Y-%m-%d %H:%M}\nSlug: essay-{index}\n"
            f"Tags: topic-{index % 12}, theme-{index % 5}\nSummary: {sentence(rng)}\n\n"
            + "\n\n".join(body) + "\n")


def comment_text(rng, cid: str, date: datetime, parent: str | None) -> str:
    header = [f"id: {cid}", f"author: Reader {rng.randint(1, 400)}", f"date: {date.isoformat()}"]
    if rng.random() < 0.3:
        header.append(f"website: https://reader{rng.randint(1, 400)}.example/")
    if parent:
        header.append(f"reply-to: {parent}")
    body = [paragraph(rng, rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        body.insert(0, "> " + sentence(rng))
    if rng.random() < 0.2:
        body.append(f"More at https://example.org/{rng.randint(1, 10**6)}")
    return "\n".join(header) + "\n\n" + "\n\n".join(body) + "\n"


def make_site(root: Path, essays: int, comments: int, depth: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
    (root / "content" / "essays").mkdir(parents=True)
    for index in range(essays):
        date = start + timedelta(hours=13 * index)
        (root / "content" / "essays" / f"essay-{index}.md").write_text(
            essay_text(rng, index, date), encoding="utf-8")
        folder = root / "content" / "comments" / f"essay-{index}"
        folder.mkdir(parents=True)
        chain: list[str] = []
        for number in range(comments):
            when = date + timedelta(hours=number + 1, minutes=rng.randint(0, 59))
            cid = f"{when:%Y%m%d-%H%M%S}-{rng.getrandbits(24):06x}"
            # Threads `depth` deep: each comment replies to the previous until the chain is full.
            parent = chain[-1] if chain and len(chain) < depth else None
            chain = chain + [cid] if parent else [cid]
            (folder / f"{cid}.md").write_text(comment_text(rng, cid, when, parent), "utf-8")
    settings = root / "pelicanconf.py"
    settings.write_text(
        f"exec(open({str(REPO / 'pelicanconf.py')!r}).read())\n"
        f"PATH = {str(root / 'content')!r}\nOUTPUT_PATH = {str(root / 'output')!r}\n"
        f"CACHE_PATH = {str(root / 'cache')!r}\nTHEME = {str(REPO / 'theme')!r}\n"
        "SITEURL = 'https://bench.example'\nDEFAULT_PAGINATION = 20\n", encoding="utf-8")


def tree_pss_kib(pid: int) -> int:
    """Total proportional set size of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def build(root: Path, run: str = "", sample: bool = True) -> tuple[float, float, float]:
    """One pelican build in its own process: (seconds, peak memory in MiB, CPU seconds).

    `run` names a fresh output and cache folder (output-<run>, cache-<run>): a cold
    build. CPU seconds are user + system time of the whole tree (Pelican and its
    workers): less sensitive than wall time to whatever else the machine is doing.
    Without `sample`, memory is not watched (and reported as 0).
    """
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugins"))
    folders = []
    if run:
        folders = ["-o", str(root / f"output-{run}"),
                   "-e", f"CACHE_PATH={json.dumps(str(root / f'cache-{run}'))}"]
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pelican", "-q", "-s",
                                str(root / "pelicanconf.py"), *folders], env=env, cwd=root,
                               stdout=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def watch():
        # Reading PSS walks each process's page tables: at full speed that costs a
        # quarter of a core, taken from a build that uses both. So: every 50 ms (peaks
        # last seconds), at the lowest priority.
        nonlocal peak
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while not done.is_set():
            peak = max(peak, tree_pss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=watch)
    if sample:
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)  # usage covers the workers it waited for
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    if sample:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"build failed in {root}")
    return elapsed, peak / 1024, usage.ru_utime + usage.ru_stime


def settle() -> None:
    """Let the disk finish what came before (writing the last build's files), so a build
    is not timed while the kernel is still writing back someone else's work."""
    os.sync()
    time.sleep(2)


def add_one_comment(root: Path) -> None:
    folder = root / "content" / "comments" / "essay-0"
    parent = sorted(folder.iterdir())[0].stem
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    cid = f"{when:%Y%m%d-%H%M%S}-abcdef"
    (folder / f"{cid}.md").write_text(
        comment_text(random.Random(1), cid, when, parent), encoding="utf-8")


def warm_rebuilds(full: Path, runs: int) -> tuple[float, float, float]:
    """The best of `runs` rebuilds of the last cold build's output and cache, each after
    one new comment."""
    last = str(runs - 1)
    for name in ("output", "cache"):
        (full / f"{name}-{last}").rename(full / name)
    warm = []
    for _ in range(runs):
        add_one_comment(full)
        settle()
        warm.append(build(full))
        # Remove it again so each run adds one new comment to the same cached site.
        for extra in (full / "content/comments/essay-0").glob("20300101-*.md"):
            extra.unlink()
        build(full)
    return min(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--essays", type=int, nargs="+", default=[300, 1000],
                        help="site sizes, measured side by side (default: 300 1000)")
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="repeat and keep the best time")
    parser.add_argument("--workdir", default=str(REPO / "benchmarks" / ".sites"))
    args = parser.parse_args()

    work = Path(args.workdir)
    # Nothing is deleted while builds are timed: on ext4 without a journal, files created
    # within a minute of deleting many others (five, while the disk has not caught up)
    # cost several times the kernel time, as the inode allocator steps over each recently
    # freed inode. So last run's sites go first, then the disk is synced and left alone
    # for a minute. docs/benchmarks.md shows the effect.
    deleted = work.exists()
    shutil.rmtree(work, ignore_errors=True)
    os.sync()
    quiet_from = time.monotonic() + (61 if deleted else 0)
    sites = {}
    for essays in args.essays:
        plain, full = work / f"{essays}-without-comments", work / f"{essays}-with-comments"
        make_site(plain, essays, 0, args.depth)
        make_site(full, essays, args.comments, args.depth)
        sites[essays] = (plain, full)
    print(f"sites: {' and '.join(map(str, args.essays))} essays, {args.comments} comments "
          f"each, threads {args.depth} deep, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, best of {args.runs}")

    time.sleep(max(0.0, quiet_from - time.monotonic()))
    # Cold builds, each into fresh folders, every site taking its turn in each round so
    # that a slow spell of the machine hits all alike. The best of the runs counts. Then
    # one more cold build of each site, watched, for its peak memory.
    cold_runs = {root: [] for pair in sites.values() for root in pair}
    for run in range(args.runs):
        for root in cold_runs:
            settle()
            cold_runs[root].append(build(root, str(run), sample=False))
    peak = {}
    for root in cold_runs:
        settle()
        peak[root] = build(root, "memory")[1]
    warm = {essays: warm_rebuilds(full, args.runs) for essays, (_, full) in sites.items()}

    for essays, (plain, full) in sites.items():
        (cold_plain, _, cpu_plain), (cold_full, _, cpu_full) = (
            min(cold_runs[plain]), min(cold_runs[full]))
        mem_plain, mem_full = peak[plain], peak[full]
        warm_full, mem_warm, cpu_warm = warm[essays]
        print(f"\n{essays} essays")
        rows = [("cold build, no comments", cold_plain, mem_plain, cpu_plain),
                ("cold build, with comments", cold_full, mem_full, cpu_full),
                ("warm rebuild, one new comment", warm_full, mem_warm, cpu_warm)]
        for name, seconds, mib, cpu in rows:
            print(f"{name:32} {seconds:7.2f} s   peak {mib:7.1f} MiB   CPU {cpu:6.2f} s")
        print(f"ratio cold with/without comments   {cold_full / cold_plain:5.2f}  (goal ≤ 1.30)")
        # Builds next to each other share the machine's mood: the ratio within each round
        # is steadier than the ratio of two bests taken from different moments.
        rounds = sorted(f[0] / p[0] for p, f in zip(cold_runs[plain], cold_runs[full]))
        print(f"  the same, round by round          {statistics.median(rounds):5.2f}  median "
              f"({rounds[0]:.2f}–{rounds[-1]:.2f} over {len(rounds)} rounds)")
        print(f"ratio warm rebuild / cold build     {warm_full / cold_full:5.2f}  (goal ≤ 0.35)")
        print(f"ratio peak memory with/without      {mem_full / mem_plain:5.2f}  (goal ≤ 1.50)")
        print(f"ratio CPU time cold with/without    {cpu_full / cpu_plain:5.2f}  (for reference)")


if __name__ == "__main__":
    main()
