"""The terminal lab: command line, Textual app and the renderers both share."""

__version__ = "0.1.0"
