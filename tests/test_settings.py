"""COLLOQUY_* settings: each checked in one place, a bad value named with its fix."""

from __future__ import annotations

import logging

import pytest

from colloquy import settings
from colloquy.errors import SettingError


def test_every_setting_declares_a_kind_its_default_satisfies():
    assert [s.name for s in settings.SETTINGS if not s.kind.accepts(s.default)] == []


@pytest.mark.parametrize("name, value", [
    ("COLLOQUY_MAX_DEPTH", "deep"), ("COLLOQUY_MAX_DEPTH", 0), ("COLLOQUY_STRICT", "yes"),
    ("COLLOQUY_FEED_ITEMS", -1), ("COLLOQUY_DIGEST_NOW", "next tuesday"),
    ("COLLOQUY_ALLOWED_ORIGINS", "https://a.example"), ("COLLOQUY_WORKERS", 2.5),
])
def test_a_bad_value_is_logged_with_key_value_and_fix_and_the_default_used(caplog, name, value):
    with caplog.at_level(logging.ERROR, logger="colloquy"):
        resolved = settings.resolve({name: value})
    assert resolved[name] == settings.DEFAULTS[name]
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"colloquy: Invalid '{name}' value: {value!r}; it must be ")
    assert f"using the default, {settings.DEFAULTS[name]!r}" in line


def test_strict_resolve_refuses_instead():
    with pytest.raises(SettingError, match="COLLOQUY_RATE_LIMIT.*'five'.*whole number"):
        settings.resolve({"COLLOQUY_RATE_LIMIT": "five"}, strict=True)


def test_good_values_and_undeclared_keys_pass_through(caplog):
    with caplog.at_level(logging.ERROR, logger="colloquy"):
        resolved = settings.resolve({"COLLOQUY_MAX_DEPTH": 6, "COLLOQUY_SOMETHING_NEW": "x",
                                     "SITENAME": "not ours"})
    assert resolved["COLLOQUY_MAX_DEPTH"] == 6 and resolved["COLLOQUY_SOMETHING_NEW"] == "x"
    assert "SITENAME" not in resolved and caplog.records == []


def test_a_build_with_a_bad_value_logs_it_and_goes_on(site, caplog):
    site.essay("slow")
    site.comment("slow", "a0")
    with caplog.at_level(logging.ERROR, logger="colloquy"):
        site.build(COLLOQUY_MAX_DEPTH="deep")
    assert site.html("essays/slow/index.html").cssselect("#c-a0")
    assert any("Invalid 'COLLOQUY_MAX_DEPTH' value: 'deep'" in r.getMessage()
               for r in caplog.records)


def test_an_unknown_time_zone_is_logged_and_utc_used(caplog):
    with caplog.at_level(logging.ERROR, logger="colloquy"):
        zone = settings.site_timezone({"TIMEZONE": "Mars/Olympus"})
    assert str(zone) == "UTC" and "Mars/Olympus" in caplog.text
