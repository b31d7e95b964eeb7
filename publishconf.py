"""Settings for publishing: `pelican -s publishconf.py`."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("COLLOQUY_SITEURL", "https://slowreplies.example")
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
LOAD_CONTENT_CACHE = False
COLLOQUY_STRICT = True
