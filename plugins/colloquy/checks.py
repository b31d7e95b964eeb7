"""`colloquy check`: every problem in comment, essay and digest files, without building."""

from __future__ import annotations

from .errors import FileProblem


def check_site(settings: dict) -> list[FileProblem]:
    """Every problem in comment files, essays' follow-up lines and the author's digest files."""
    from .site import load_site  # comments → threads → scores → follow-ups → weeks

    # One file's problems together, in line order: the header's and the thread's.
    return sorted(load_site(settings).problems, key=lambda p: (p.path, p.line or 0))
