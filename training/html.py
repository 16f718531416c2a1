"""The HTML of every report an analyst keeps (evaluation, comparison, drift): one page
shape, and matplotlib figures embedded as PNG so a report is one self-contained file.

Figures are made with `figure()`, not pyplot: no global backend is set (a notebook importing a
report keeps showing its own charts) and nothing is left open between reports.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from matplotlib.figure import Figure

#: Resolution of every report chart.
DPI = 110


def figure(width: float, height: float) -> Figure:
    """A figure of its own (inches), drawn off screen whatever backend the process uses."""
    return Figure(figsize=(width, height))


def save_figure(fig: Figure, path: Path) -> Path:
    """Write `fig` as the PNG `path` (laid out tightly) and return the path."""
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path


def html_page(markdown: str, charts: list[Path], title: str) -> str:
    """A self-contained HTML page: the Markdown as preformatted text, the charts embedded."""
    images = "".join(embedded_png(c) for c in charts)
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{_escape(title)}</title>"
        f"<body><pre>{_escape(markdown)}</pre>{images}</body></html>"
    )


def _base64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def embedded_figure(fig: Figure) -> str:
    """An <img> holding the figure as a PNG itself: pages with charts need no other file."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def embedded_png(path: Path) -> str:
    """An <img> holding the PNG at `path` itself, so the page needs no other file."""
    return f'<img alt="{_escape(path.stem)}" src="data:image/png;base64,{_base64(path)}">'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
