"""Headless output formats for replay: text, json, svg, cast, html."""

# Named here, apart from the code that writes them, so the command line can list them
# without importing numpy, Rich or any lab. Each with what it writes, for --help.
FORMATS = {
    "text": "what the screen shows, frame after frame (the default)",
    "json": "JSON Lines, one object per frame (jsonl is another name for it)",
    "svg": "a picture of the app's screen per frame, into a folder (--out, else SCENARIO-svg)",
    "cast": "an asciicast v2 recording (asciinema play)",
    "html": "one page that steps through the frames with the arrow keys",
}
# Other names a format is known by: `--format jsonl` is json, whose lines are JSON Lines.
ALIASES = {"jsonl": "json"}


def format_named(name: str) -> str:
    """The format `name` stands for: itself, or the one it is another name for."""
    return ALIASES.get(name, name)
