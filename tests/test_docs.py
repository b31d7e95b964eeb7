"""Docs move with the code: every setting and command is documented."""

from __future__ import annotations

import re

from colloquy.cli import build_parser
from colloquy.settings import SETTINGS
from conftest import REPO

DOCS = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md"))


def test_every_setting_is_documented_in_a_table():
    documented = set(re.findall(r"^\| `(COLLOQUY_[A-Z_]+)`", DOCS, re.MULTILINE))
    assert {s.name for s in SETTINGS} - documented == set()


def test_every_setting_has_help_text():
    assert [s.name for s in SETTINGS if len(s.help) < 20] == []


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices
    assert [name for name in commands if f"colloquy {name}" not in readme
            and f"`{name} " not in readme and f"/ `{name}" not in readme] == []


def test_docs_link_to_files_that_exist():
    for page in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        text = re.sub(r"`[^`\n]*`", "", page.read_text(encoding="utf-8"))  # examples in code
        for target in re.findall(r"\]\(((?!https?:)[^)#]+)", text):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
