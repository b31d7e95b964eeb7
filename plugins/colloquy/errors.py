"""The few exceptions Colloquy raises; each message names the input and the fix."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


class ColloquyError(Exception):
    """Base class: a problem the user can fix. The CLI prints it without a traceback."""


class CommentFileError(ColloquyError):
    """One comment file cannot be used as it is."""

    def __init__(self, path: str, line: int, problem: str, fix: str, fatal: bool = True):
        self.path = str(path)
        self.fatal = fatal  # False: the comment is still shown, one field was dropped
        self.line = line
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}:{line}: {problem}; {fix}")

    def __reduce__(self):  # travels between build processes
        return (type(self), (self.path, self.line, self.problem, self.fix, self.fatal))


class SettingError(ColloquyError):
    """A COLLOQUY_* setting (or an environment secret) is missing or malformed."""


def display_path(path: str) -> str:
    """Relative to the working folder when inside it (as authors type paths), else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def log_problems(problems: list[CommentFileError]) -> None:
    for problem in problems:
        line = f"colloquy: {display_path(problem.path)}:{problem.line}: {problem.problem}; {problem.fix}"
        # Errors are above Pelican's duplicate filter, so each shows on every rebuild.
        logger.error(line) if problem.fatal else logger.warning(line)
