"""The build and `colloquy check` find the same problems, through the same functions."""

from __future__ import annotations

import logging

from colloquy.checks import check_site


def test_build_and_check_report_the_same_cross_folder_problems(site, caplog):
    site.essay("one")
    site.essay("two")
    site.comment("one", "same", author="First")
    site.comment("two", "same", author="Second")      # an id used twice
    site.comment("nowhere", "lost")                    # a folder that is no essay's
    site.comment("nowhere", "same")                    # both at once
    with caplog.at_level(logging.WARNING, logger="colloquy"):
        site.build()
    logged = sorted(r.getMessage().removeprefix("colloquy: ") for r in caplog.records
                    if r.name.startswith("colloquy") and "comments/" in r.getMessage())
    checked = sorted(p.show() for p in check_site(site.settings()))
    assert logged == checked and len(checked) == 3
    assert any("duplicate id 'same'" in line and "two/same.md" in line for line in checked)
    assert sum("no essay has the slug 'nowhere'" in line for line in checked) == 2
