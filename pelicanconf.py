"""Site settings for local work. publishconf.py adds what publishing needs."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The plugin lives in plugins/; make it importable even without `pip install -e .`.
sys.path.insert(0, str(HERE / "plugins"))

AUTHOR = "Mara Ellison"
SITENAME = "Slow Replies"
SITESUBTITLE = "Essays that listen, and the conversations they started"
SITEURL = ""
TIMEZONE = "Europe/Berlin"
DEFAULT_LANG = "en"

PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["colloquy"]

# Essays live in content/essays; comments and digest notes are read by Colloquy itself.
ARTICLE_PATHS = ["essays"]
ARTICLE_EXCLUDES = ["comments", "digests"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = []
DEFAULT_CATEGORY = "essays"

ARTICLE_URL = "essays/{slug}/"
ARTICLE_SAVE_AS = "essays/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_SAVE_AS = "archives/index.html"
DIRECT_TEMPLATES = ["index", "archives", "tags", "404"]  # 404: the theme's not-found page
# Pelican gives an essay its DEFAULT_CATEGORY only while category pages are on
# (and fails on drafts without one), so they stay on.
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
DEFAULT_PAGINATION = 20

# Colloquy writes the feeds (with feedgen); Pelican's own are off.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
# Feed ids are tag: URIs under this authority, the same in local and published builds.
# Set once, never changed; fixed up front, it also lets thread feeds be written while
# Pelican is still reading the essays.
COLLOQUY_TAG_AUTHORITY = "slowreplies.example,2026"

# Fast rebuilds: reuse parsed essays and rendered comments between builds.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
# Kept uncompressed: compressing Pelican's content cache took a fifth of a warm rebuild.
GZIP_CACHE = False
DELETE_OUTPUT_DIRECTORY = False

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.smarty": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

COLLOQUY_STRICT = False
