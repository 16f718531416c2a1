"""The HTML of every report an analyst keeps (evaluation, comparison, drift): one page
shape, and matplotlib figures embedded as PNG so a report is one self-contained file.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


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
    """An <img> holding the figure as a PNG itself (the figure is closed): pages with charts
    need no other file."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def embedded_png(path: Path) -> str:
    """An <img> holding the PNG at `path` itself, so the page needs no other file."""
    return f'<img alt="{_escape(path.stem)}" src="data:image/png;base64,{_base64(path)}">'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
