"""The few exceptions Colloquy raises, and the one way a file problem is shown.

Library modules raise these and never print; the build logs them (`log_problems`) and the
`colloquy` command turns them into one-line messages. Each message names the input and
the fix.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


class ColloquyError(Exception):
    """Base class: a problem the user can fix. The CLI prints it without a traceback."""


class FileProblem(ColloquyError):
    """One file (a comment, a digest note, an essay's metadata, an export) cannot be used
    as it is. `fatal=False`: the file is still used, one field of it was dropped."""

    def __init__(self, path: str, line: int | None, problem: str, fix: str,
                 fatal: bool = True):
        self.path = str(path)
        self.fatal = fatal
        self.line = line
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.where()}: {problem}; {fix}")

    def where(self, path: str | None = None) -> str:
        path = self.path if path is None else path
        return f"{path}:{self.line}" if self.line else path

    def show(self, severity: bool = False) -> str:
        """`file:line: problem; fix`, the file as the author would type it; with
        `severity`, `error:` or `warning:` before the problem."""
        kind = ("error: " if self.fatal else "warning: ") if severity else ""
        return f"{self.where(display_path(self.path))}: {kind}{self.problem}; {self.fix}"

    def __reduce__(self):  # travels between build processes
        return (type(self), (self.path, self.line, self.problem, self.fix, self.fatal))


# The comment pipeline's name for a file problem.
CommentFileError = FileProblem


class SettingError(ColloquyError):
    """A setting (or an environment secret) is missing or malformed."""


def display_path(path: str) -> str:
    """Relative to the working folder when inside it (as authors type paths), else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def log_problems(problems: list[FileProblem]) -> None:
    """Log each problem in one line: errors as errors, dropped fields as warnings."""
    for problem in problems:
        line = f"colloquy: {problem.show()}"
        # Errors are above Pelican's duplicate filter, so each shows on every rebuild.
        logger.error(line) if problem.fatal else logger.warning(line)
