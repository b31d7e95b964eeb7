"""The one rule for text that comes from outside, at every way in.

Comment files, the intake, importers, digest notes and webmentions all pass what they
read through these functions, so a build, a feed or a terminal never meets a character
it cannot carry:

- `clean` normalises to NFC, turns CRLF and CR into LF, and removes every character
  XML 1.0 cannot carry (C0 controls but tab and newline, lone surrogates, U+FFFE/U+FFFF).
  Feeds are XML: one such character in a comment would otherwise fail the whole build.
- `clean_line` is `clean` on one line: header values and names never span lines.
- `clean_name` also removes bidirectional controls (a name must not reorder the text
  around it) and invisible characters (a zero-width space must not make "Ma<ZWSP>ra"
  a new name), and returns "" when nothing visible is left.
- `comparable` is what duplicate detection compares: invisible characters, case,
  spacing and trailing punctuation do not make a text new.
- `for_terminal` shows text that a commenter or an export wrote on a terminal: every
  control and escape character is written as a visible escape, never sent raw.
"""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 cannot carry (its `Char` production), plus DEL and the C1 controls,
# which XML allows but no reader's text needs and terminals obey.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Explicit directional embeddings, overrides and isolates, and the marks: in a name
# they can make "Mara Ellison" of other letters, or flip the text that follows.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Invisible format characters a name has no use for (zero-width space, word joiner, BOM,
# soft hyphen...); ZWJ and ZWNJ stay, since scripts and emoji need them.
_INVISIBLE_KEEP = {"\u200c", "\u200d"}
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                       "\u2066-\u2069\u2028\u2029\ud800-\udfff]")
_TRAILING_PUNCTUATION = re.compile(r"[\s.!?,;:…]+$")


def clean(text: str) -> str:
    """NFC, LF line ends, and nothing XML 1.0 cannot carry."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _NOT_XML.sub("", text)
    # After removal: NFC of a string with lone surrogates would raise.
    return unicodedata.normalize("NFC", text)


def clean_line(text: str) -> str:
    """`clean`, on one line with single spaces (header values, names, titles)."""
    return " ".join(clean(text).split())


def clean_name(text: str) -> str:
    """A display name: one clean line, no bidi controls; "" if nothing visible is left."""
    name = "".join(ch for ch in _BIDI.sub("", text)
                   if ch in _INVISIBLE_KEEP or unicodedata.category(ch) != "Cf")
    name = clean_line(name)
    return name if is_visible(name) else ""


def is_visible(text: str) -> bool:
    """True when the text has a character that draws something (not space or format)."""
    return any(unicodedata.category(ch)[0] not in "ZC" for ch in text)


def comparable(text: str) -> str:
    """The form duplicate detection compares: NFKC, case-folded, invisible characters
    and runs of space removed, trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", clean(text)).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _TRAILING_PUNCTUATION.sub("", " ".join(text.split()))


def unclean_lines(text: str) -> list[int]:
    """Line numbers (1-based) holding characters that `clean` would remove or change."""
    # Almost every text is clean: one look at the whole of it (NFC never joins across a
    # line end, so the whole is normalised exactly when every line is).
    if not _NOT_XML.search(text) and "\r" not in text and unicodedata.is_normalized("NFC", text):
        return []
    return [number for number, line in enumerate(text.split("\n"), 1)
            if _NOT_XML.search(line) or "\r" in line
            or not unicodedata.is_normalized("NFC", _NOT_XML.sub("", line))]


def for_terminal(text: str) -> str:
    """Text safe to print: control, escape and bidi characters shown as escapes."""
    return _TERMINAL.sub(_escape, str(text))


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
