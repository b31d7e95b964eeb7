"""The site's settings as the `colloquy` command loads them: Pelican's own reading of
the settings file, plus where the site lives."""

from __future__ import annotations

from pathlib import Path

from .errors import ColloquyError


def load_site_settings(settings_file: str = "pelicanconf.py") -> dict:
    """Pelican's settings for this site, as `pelican` itself would read them."""
    from pelican.settings import read_settings

    path = Path(settings_file)
    if not path.exists():
        raise ColloquyError(f"{settings_file} not found; run colloquy from the site's folder "
                            "or pass --settings PATH")
    settings = read_settings(str(path))
    # Where the site lives, for var/ paths (store, secret) and for rebuilds.
    settings.setdefault("COLLOQUY_SITE_DIR", str(path.resolve().parent))
    settings["colloquy_settings_file"] = str(path.resolve())
    return settings
