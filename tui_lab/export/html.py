"""One self-contained HTML page that steps through the frames with the arrow keys."""

from __future__ import annotations

import html
import io
from typing import IO

from engine.session import Session, Shown

from .text import WIDTH, console, heading, print_shown

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ background: #111; color: #ddd; font-family: ui-monospace, Menlo, Consolas, monospace; margin: 1em; }}
header {{ display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }}
h1 {{ font-size: 1.1em; margin: 0; }}
button {{ font: inherit; background: #333; color: #eee; border: 1px solid #555; border-radius: 4px; padding: 0.2em 0.7em; cursor: pointer; }}
#count {{ color: #aaa; }}
pre {{ font-size: 13px; line-height: 1.25; white-space: pre; overflow-x: auto; }}
.frame[hidden] {{ display: none; }}
footer {{ color: #888; font-size: 0.9em; }}
</style></head>
<body>
<header><h1>{title}</h1>
<button id="first" title="Home">first</button><button id="prev" title="←">◀ prev</button>
<span id="count"></span>
<button id="next" title="→ or space">next ▶</button><button id="last" title="End">last</button>
</header>
{frames}
<footer>← → or space to step · Home / End · made by tui-lab replay --format html</footer>
<script>
const frames = document.querySelectorAll('.frame');
let i = 0;
function show(k) {{
  i = Math.max(0, Math.min(frames.length - 1, k));
  frames.forEach((f, j) => f.hidden = j !== i);
  document.getElementById('count').textContent = (i + 1) + ' / ' + frames.length;
}}
document.addEventListener('keydown', e => {{
  if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'n') {{ show(i + 1); e.preventDefault(); }}
  else if (e.key === 'ArrowLeft' || e.key === 'p') show(i - 1);
  else if (e.key === 'Home') show(0);
  else if (e.key === 'End') show(frames.length - 1);
}});
document.getElementById('first').onclick = () => show(0);
document.getElementById('prev').onclick = () => show(i - 1);
document.getElementById('next').onclick = () => show(i + 1);
document.getElementById('last').onclick = () => show(frames.length - 1);
show(0);
</script>
</body></html>
"""


def write_html(session: Session, shows: list[Shown], out: IO[str]) -> None:
    parts = []
    for shown in shows:
        if shown.event != "frame":
            continue
        con = console(io.StringIO(), colour=True, record=True)
        con.print(heading(session))
        print_shown(con, session.scenario.lab, shown, WIDTH)
        body = con.export_html(inline_styles=True, code_format="{code}")
        parts.append(f'<pre class="frame" hidden>{body}</pre>')
    out.write(PAGE.format(title=html.escape(session.scenario.title), frames="\n".join(parts)))
