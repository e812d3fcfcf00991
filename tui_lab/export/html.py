"""One self-contained HTML page that steps through the frames with the arrow keys.

Frames are written into the page as they are made. The counter at the top reads each
frame's own `step k / last`, the numbering the status bar, text and JSON use.

Monospace fonts (DejaVu Sans Mono, Menlo, Consolas) lack braille and some symbols, and
the browser takes those glyphs from another font with another width, so a plot would drift
out of its columns. Every such character (look.NOT_IN_EVERY_FONT) sits in a box exactly one
cell wide (`1ch`, two for wide characters): columns hold whatever font draws the glyph.
"""

from __future__ import annotations

import html
import io
from typing import IO, Iterable

from rich.cells import cell_len

from engine.core.files import MARKS
from engine.core.fmt import visible
from engine.session import Session, Shown

from .look import COLOUR, NOT_IN_EVERY_FONT
from .text import WIDTH, console, counter, print_heading, print_shown

HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{marker}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ background: #111; color: #ddd; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; margin: 1em; }}
header {{ display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }}
h1 {{ font-size: 1.1em; margin: 0; }}
button {{ font: inherit; background: #333; color: #eee; border: 1px solid #555; border-radius: 4px; padding: 0.2em 0.7em; cursor: pointer; }}
#count {{ color: #aaa; }}
pre {{ font-size: 13px; line-height: 16px; white-space: pre; overflow-x: auto; }}
pre i {{ font-style: inherit; display: inline-block; width: 1ch; text-align: center; }}
pre i.w {{ width: 2ch; }}
.frame[hidden] {{ display: none; }}
footer {{ color: #888; font-size: 0.9em; }}
</style></head>
<body>
<header><h1>{title}</h1>
<button id="first" title="Home">first</button><button id="prev" title="←">◀ prev</button>
<span id="count"></span>
<button id="next" title="→ or space">next ▶</button><button id="last" title="End">last</button>
</header>
"""

TAIL = """<footer>← → or space to step · Home / End · made by tui-lab replay --format html</footer>
<script>
const frames = document.querySelectorAll('.frame');
let i = 0;
function show(k) {
  i = Math.max(0, Math.min(frames.length - 1, k));
  frames.forEach((f, j) => f.hidden = j !== i);
  document.getElementById('count').textContent = frames[i].dataset.step;
}
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'n') { show(i + 1); e.preventDefault(); }
  else if (e.key === 'ArrowLeft' || e.key === 'p') show(i - 1);
  else if (e.key === 'Home') show(0);
  else if (e.key === 'End') show(frames.length - 1);
});
document.getElementById('first').onclick = () => show(0);
document.getElementById('prev').onclick = () => show(i - 1);
document.getElementById('next').onclick = () => show(i + 1);
document.getElementById('last').onclick = () => show(frames.length - 1);
show(0);
</script>
</body></html>
"""



def _cell(m) -> str:
    ch = m.group()
    width = cell_len(ch)
    if width == 0:
        return ch  # a combining mark rides on the character before it
    return f'<i class="w">{ch}</i>' if width == 2 else f"<i>{ch}</i>"


def in_cells(body: str) -> str:
    """Rich's HTML for a frame, with every unsure glyph in a box one cell wide."""
    return NOT_IN_EVERY_FONT.sub(_cell, body)


def frame_html(session: Session, shown: Shown) -> str:
    con = console(io.StringIO(), record=True, look=COLOUR)
    print_heading(con, session)
    print_shown(con, session.scenario.lab, shown, WIDTH)
    body = in_cells(con.export_html(inline_styles=True, code_format="{code}"))
    return f'<pre class="frame" data-step="{html.escape(counter(shown))}" hidden>{body}</pre>\n'


def write_html(session: Session, shows: Iterable[Shown], out: IO[str]) -> None:
    out.write(HEAD.format(title=html.escape(visible(session.scenario.title)), marker=MARKS["html"]))
    for shown in shows:
        if shown.event == "frame":
            out.write(frame_html(session, shown))
            out.flush()
    out.write(TAIL)
