"""Headless output formats for replay: text, json, svg, cast, html."""

# Named here, apart from the code that writes them, so the command line can list them
# without importing numpy, Rich or any lab.
FORMATS = ("text", "json", "svg", "cast", "html")
