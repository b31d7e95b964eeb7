"""Colloquy: threaded reader conversations, feeds and a weekly digest for Pelican."""

__version__ = "0.1.0"


def register():
    """Connect Colloquy to Pelican's signals."""
    from pelican import signals

    from .plugin import cache_templates, get_generators, require_autoescape

    # initialized: before any generator builds its Jinja environment, switch autoescaping
    # on, because comment authors, names and links are hostile text.
    signals.initialized.connect(require_autoescape)
    # initialized, too: compiled templates are kept in the cache folder, so a rebuild
    # does not compile every template again.
    signals.initialized.connect(cache_templates)
    # get_generators: our generator runs after the articles generator, so essays are known
    # when comments are threaded onto them, and before any page is written.
    signals.get_generators.connect(get_generators)
