"""Comments → conversations: threads, responses, mentions and tallies per essay.

Everything here is about structure. Problems that involve more than one file (an
unknown essay folder, a duplicate id, a missing parent, a reply cycle) are found here
and reported as CommentFileErrors; nothing is dropped that can still be shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .comments import Comment
from .errors import CommentFileError, display_path
from .text import for_terminal


@dataclass
class Conversation:
    """What readers said about one essay."""

    essay: str
    threads: list[Comment] = field(default_factory=list)    # roots of kind comment
    responses: list[Comment] = field(default_factory=list)  # roots of kind response
    mentions: list[Comment] = field(default_factory=list)   # roots of kind mention
    likes: list[Comment] = field(default_factory=list)
    reposts: list[Comment] = field(default_factory=list)
    by_id: dict[str, Comment] = field(default_factory=dict)

    @property
    def roots(self) -> list[Comment]:
        """Every comment that starts a thread page: responses, threads, mentions."""
        return self.responses + self.threads + self.mentions

    @property
    def written(self) -> list[Comment]:
        """Every comment with words in it (not likes or reposts), oldest first."""
        return sorted((c for c in self.by_id.values() if not c.is_tally),
                      key=lambda c: (c.date, c.id))

    @property
    def count(self) -> int:
        return sum(1 for c in self.by_id.values() if not c.is_tally)


def build_conversations(comments: list[Comment], essays: set[str]
                        ) -> tuple[dict[str, Conversation], list[CommentFileError]]:
    """Group comments by essay and thread them. Returns conversations and problems."""
    ordered = sorted(comments, key=lambda c: c.path)
    problems, rejected = folder_problems([(c.essay, c.id, c.path) for c in ordered], essays)
    per_essay: dict[str, list[Comment]] = defaultdict(list)
    for position, comment in enumerate(ordered):
        if position not in rejected:
            per_essay[comment.essay].append(comment)
    conversations = {}
    for essay, essay_comments in per_essay.items():
        conversations[essay] = _thread(essay, essay_comments, problems)
    return conversations, problems


def folder_problems(files, essays: set[str]
                    ) -> tuple[list[CommentFileError], set[int]]:
    """Problems across comment folders, for the build and `colloquy check` alike.

    `files` is (essay, id, path) per comment file, in the order that decides which of two
    files with the same id yields (the later one); a file in a folder that is not one of
    `essays` is a problem too. Returns the problems and the positions in `files` of the
    comments to leave out.
    """
    problems: list[CommentFileError] = []
    rejected: set[int] = set()
    owner: dict[str, str] = {}
    for position, (essay, comment_id, path) in enumerate(files):
        if essay not in essays:
            problems.append(CommentFileError(
                path, 1, f"no essay has the slug '{essay}'",
                "move the file into the folder of an existing essay (or add that essay)"))
            rejected.add(position)
        elif comment_id in owner:
            problems.append(CommentFileError(
                path, 1, f"duplicate id '{comment_id}' (also in {display_path(owner[comment_id])})",
                "give one of the two comments a new id and file name"))
            rejected.add(position)
        else:
            owner[comment_id] = path
    return problems, rejected


def _thread(essay: str, comments: list[Comment], problems: list[CommentFileError]
            ) -> Conversation:
    conversation = Conversation(essay, by_id={c.id: c for c in comments})
    comments.sort(key=lambda c: (c.date, c.id))
    for comment in comments:
        comment.parent, comment.replies, comment.orphaned = None, [], False
    for comment in comments:
        if comment.is_tally:
            if comment.reply_to:
                problems.append(CommentFileError(
                    comment.path, _line(comment, "reply-to"),
                    f"a {comment.kind} cannot reply to a comment",
                    f"remove 'reply-to'; it is counted as a {comment.kind} of the essay",
                    fatal=False))
            (conversation.likes if comment.kind == "like" else conversation.reposts).append(comment)
            continue
        if comment.reply_to is None:
            continue
        parent = conversation.by_id.get(comment.reply_to)
        if parent is None or parent.is_tally:
            comment.orphaned = True
            problems.append(CommentFileError(
                comment.path, _line(comment, "reply-to"),
                f"reply-to '{comment.reply_to}' is not a comment on essay '{for_terminal(essay)}'",
                "fix the parent id; meanwhile it is shown as a top-level comment", fatal=False))
            continue
        comment.parent = parent
    _break_cycles(comments, problems)
    for comment in comments:
        if comment.is_tally:
            continue
        if comment.parent is not None:
            comment.parent.replies.append(comment)
        elif comment.kind == "response":
            conversation.responses.append(comment)
        elif comment.kind == "mention":
            conversation.mentions.append(comment)
        else:
            conversation.threads.append(comment)
    for root in conversation.roots:
        _set_depths(root)
    return conversation


def reply_cycles(comments: list[Comment], parent_of) -> list[list[Comment]]:
    """Every chain of replies that comes back on itself, each once, in the order found.

    `parent_of(comment)` is the comment it replies to, or None. The build and the
    importers both cut each cycle at its oldest comment, which then shows top level.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = known to reach a root
    cycles = []
    for start in comments:
        path = []
        node = start
        while node is not None and state.get(node.id) is None:
            state[node.id] = 1
            path.append(node)
            node = parent_of(node)
        if node is not None and state[node.id] == 1:
            cycles.append(path[path.index(node):])
        for member in path:
            state[member.id] = 2
    return cycles


def _break_cycles(comments: list[Comment], problems: list[CommentFileError]) -> None:
    """A reply cycle has no root; cut it at its oldest comment, shown top level."""
    for cycle in reply_cycles(comments, lambda c: c.parent):
        ids = " → ".join(c.id for c in cycle)
        for member in cycle:
            problems.append(CommentFileError(
                member.path, _line(member, "reply-to"), f"reply cycle: {ids} → {cycle[0].id}",
                "make one of these reply to a comment outside the cycle; "
                "meanwhile the oldest is shown top level", fatal=False))
        oldest = min(cycle, key=lambda c: (c.date, c.id))
        oldest.parent = None
        oldest.orphaned = True


def _line(comment: Comment, key: str) -> int:
    """The line of a header key in the comment's file (1 when not read from a file)."""
    return getattr(comment, "lines", {}).get(key, 1)


def _set_depths(root: Comment) -> None:
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        node.thread_id = root.id
        stack.extend((reply, depth + 1) for reply in node.replies)
