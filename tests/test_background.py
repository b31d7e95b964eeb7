"""The second core is used where the system can fork; elsewhere everything runs inline."""

from __future__ import annotations

import multiprocessing
import os

from colloquy import background


def test_without_fork_the_build_runs_in_one_process(site, monkeypatch):
    # A system without fork (Windows): the start methods it offers, and no os.fork.
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.delattr(os, "fork")
    assert not background.can_fork(2)
    site.essay("slow")
    site.comment("slow", "a0")
    site.build(COLLOQUY_WORKERS=2)
    assert site.html("essays/slow/threads/a0/index.html").cssselect("#c-a0")


def test_batches_are_each_claimed_once():
    batches = background.Batches(shared=False)
    assert [batches.claim(25) for _ in range(3)] == [0, 25, 50]
