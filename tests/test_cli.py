"""The `colloquy` command speaks to users: every command, option and argument explained."""

from __future__ import annotations

import argparse
import re

import pytest

from colloquy import __version__
from colloquy.cli import build_parser, main

JARGON = re.compile(r"library|edge|exception|traceback|ColloquyError|stderr|module",
                    re.IGNORECASE)


def every_parser(parser: argparse.ArgumentParser, path=("colloquy",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_parser(sub, path + (name,))


def help_text(capsys, args) -> str:
    with pytest.raises(SystemExit) as exit:
        main([*args, "--help"])
    assert exit.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_lists_every_command_in_plain_words(capsys):
    text = help_text(capsys, [])
    assert not JARGON.search(text), text
    commands = build_parser()._subparsers._group_actions[0]
    listed = {a.dest: a.help for a in commands._choices_actions}
    assert set(listed) == set(commands.choices)
    for name, help in listed.items():
        assert help and re.search(rf"^\s+{re.escape(name)}\s+\S", text, re.MULTILINE), name


def test_every_command_has_a_description_and_every_option_help(capsys):
    for path, parser in every_parser(build_parser()):
        text = help_text(capsys, list(path[1:]))
        assert parser.description, f"{' '.join(path)} has no description"
        assert " ".join(parser.description.split()[:4]) in " ".join(text.split()), path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{' '.join(path)}: {action.option_strings or action.dest}"
        if path[-1] in ("serve", "dev"):
            assert re.search(r"--host HOST\s+the address", text)
            assert re.search(r"--port PORT\s+the port", text)
        if path[-1] in ("approve", "reject"):
            assert re.search(r"^\s+ID\s+the id of a pending comment", text, re.MULTILINE)


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.strip() == f"colloquy {__version__}"


def test_library_errors_become_one_line_messages(capsys, tmp_path):
    assert main(["--settings", str(tmp_path / "missing.py"), "check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("colloquy: ") and "--settings" in err
