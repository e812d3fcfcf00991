"""Headless output formats for replay: text, json, svg, cast, html."""
