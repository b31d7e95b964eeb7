"""ISO weeks in the site's time zone (settings.site_timezone), and the digest's "now"."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

logger = logging.getLogger(__name__)

WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{2})")


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: Monday 00:00 to the next Monday 00:00, in the site's time zone."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        """'2026-W37' (or 2026-w37) → Week; ValueError with a message naming the fix."""
        match = WEEK_RE.fullmatch(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a week; write it like 2026-W37 "
                             "(ISO year, W, two-digit week)")
        return cls.checked(int(match.group(1)), int(match.group(2)))

    @classmethod
    def checked(cls, year: int, number: int) -> "Week":
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {number} (weeks run 01 to 52, "
                             "or 53 in some years)") from None
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime, tz) -> "Week":
        year, number, _ = moment.astimezone(tz).isocalendar()
        return cls(year, number)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def slug(self) -> str:
        return f"{self.year}-w{self.number:02d}"

    @property
    def url(self) -> str:
        return f"digest/{self.slug}/"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def start(self, tz) -> datetime:
        return datetime.combine(self.monday, time(0), tzinfo=tz)

    def end(self, tz) -> datetime:
        """The first moment after the week: the next Monday, 00:00 local time."""
        return datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=tz)

    def last_moment(self, tz) -> datetime:
        """Sunday 23:59:59 local: the stable date of the week's feed entry."""
        return datetime.combine(self.monday + timedelta(days=6), time(23, 59, 59), tzinfo=tz)

    def previous(self) -> "Week":
        return Week(*(self.monday - timedelta(days=7)).isocalendar()[:2])

    @property
    def span(self) -> str:
        """'7–13 September 2026', or across months and years as needed."""
        first, last = self.monday, self.monday + timedelta(days=6)
        if first.year != last.year:
            return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
        if first.month != last.month:
            return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
        return f"{first.day}–{last.day} {last:%B %Y}"


def site_now(settings: dict, tz) -> datetime:
    """COLLOQUY_DIGEST_NOW (ISO 8601, for tests and reproducible builds) or the clock."""
    value = settings.get("COLLOQUY_DIGEST_NOW")
    if value:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                logger.error("colloquy: Invalid 'COLLOQUY_DIGEST_NOW' value: %r; using the "
                             "clock. Write it like 2026-09-21T08:00:00+02:00", value)
                return datetime.now(timezone.utc)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.now(timezone.utc)
