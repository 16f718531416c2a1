"""Charts drawn on the server as SVG (no charting library, nothing fetched from the internet).

`competency_bars` draws a person's level against a standard, one row per competency: a bar for
the level (solid when measured, hatched when estimated) and a mark at the required level.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from markupsafe import Markup

from service.web.labels import decimal

ROW, LABEL, WIDTH, TOP = 26, 190, 260, 10
NAME_CHARS = 27  # of a competency's label, to stay clear of the bars
DASHED = ' stroke-dasharray="4 2"'  # the mark of the post in view
KEY = 17  # height of a legend line
LEVELS = 5


def competency_bars(
    rows: list[dict[str, object]],
    legend: dict[str, str],
    target: dict[str, float] | None = None,
    target_label: str = "",
    language: str = "id",
) -> Markup:
    """SVG of levels (0–5) against the required level, with a legend in the page's language
    (`legend` names "level", "estimated" and "required"). Measured levels are solid, estimates
    of never-assessed competencies hatched. `target` (competency code → level) adds a dashed
    mark: the standard of the post the person is looking at next, so the gap to the next step
    reads beside today's. A row whose required level is 0 (a competency only the post in view
    asks for) has no solid mark. Levels in tooltips are written in `language`'s notation."""
    keys = [
        ('<rect x="{x}" y="{y0}" width="12" height="12" fill="#2f6fde"/>', legend["level"]),
        ('<rect x="{x}" y="{y0}" width="12" height="12" fill="url(#hatch)"/>', legend["estimated"]),
        (
            '<line x1="{xm}" x2="{xm}" y1="{y0}" y2="{y1}" stroke="#d9480f" stroke-width="3"/>',
            legend["required"],
        ),
    ]
    if target is not None:
        keys.append(
            (
                f'<line x1="{{xm}}" x2="{{xm}}" y1="{{y0}}" y2="{{y1}}" stroke="#7048e8" '
                f'stroke-width="3"{DASHED}/>',
                target_label[:40],
            )
        )
    height = TOP + ROW * len(rows) + KEY * len(keys) + 10
    scale = WIDTH / LEVELS
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {LABEL + WIDTH + 20} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(legend["level"])} / '
        f"{escape(legend['required'])}</title>",
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="3" height="6" fill="#5b8def"/>'
        "</pattern></defs>",
    ]
    for i, row in enumerate(rows):
        y = TOP + i * ROW
        code = str(row["competency_code"])
        value = float(row["estimated_level"])  # type: ignore[arg-type]
        need = float(row["required_level"])  # type: ignore[arg-type]
        fill = "#2f6fde" if row.get("measured_level") is not None else "url(#hatch)"
        name = f"{code} {row['name']}"
        short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        parts += [
            f'<text x="0" y="{y + 15}" font-size="12">{escape(short)}'
            f"<title>{escape(name)}</title></text>",
            f'<rect x="{LABEL}" y="{y + 4}" width="{WIDTH}" height="14" fill="#eef1f6"/>',
            f'<rect class="level" x="{LABEL}" y="{y + 4}" width="{value * scale:.1f}" '
            f'height="14" fill="{fill}"><title>{decimal(value, language)}</title></rect>',
        ]
        if need > 0:
            parts.append(_mark("required", LABEL + need * scale, y, need, "#d9480f", ""))
        goal = (target or {}).get(code, 0.0)
        if goal > 0:
            parts.append(_mark("target", LABEL + goal * scale, y, goal, "#7048e8", DASHED))
    top = TOP + ROW * len(rows) + 8
    for i, (symbol, label) in enumerate(keys):
        y0 = top + i * KEY
        parts += [
            symbol.format(x=LABEL, xm=LABEL + 6, y0=y0, y1=y0 + 13),
            f'<text x="{LABEL + 18}" y="{y0 + 11}" font-size="12">{escape(label)}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def _mark(kind: str, x: float, y: int, value: float, colour: str, dash: str) -> str:
    """A vertical mark at a required level (its value as the tooltip)."""
    return (
        f'<line class="{kind}" x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 22}" '
        f'stroke="{colour}" stroke-width="3"{dash}><title>{value:.0f}</title></line>'
    )


def progress(done: float, right: float) -> Markup:
    """A horizontal bar of `done` out of `right` (capped at full)."""
    share = max(0.0, min(1.0, done / right)) if right else 0.0
    return Markup(
        '<svg class="progress" viewBox="0 0 300 16" xmlns="http://www.w3.org/2000/svg" '
        f'role="img"><title>{done:.0f} / {right:.0f}</title>'
        '<rect width="300" height="16" rx="4" fill="#eef1f6"/>'
        f'<rect width="{300 * share:.1f}" height="16" rx="4" fill="#2b8a3e"/></svg>'
    )


#: How a withheld count reads (a small cell, or one hiding it: not "<5", which the second
#: kind may not be), as statistical offices mark such cells.
WITHHELD = "x"
PERFORMANCE = ("di_bawah", "sesuai", "di_atas")
POTENTIAL = ("rendah", "menengah", "tinggi")


def nine_box(
    counts: Mapping[int, int | None],
    places: dict[int, tuple[str, str]],
    axes: tuple[str, str],
    withheld: str = WITHHELD,
) -> Markup:
    """The 9-box grid: performance across, potential up, each cell its box number and head
    count. `places` maps a box to its (performance tier, potential tier). A count of None is
    withheld (`service.access.disclosure`): grey, marked `withheld`, never drawn as 0."""
    cell, margin = 90, 24
    side = margin + 3 * cell
    parts = [
        f'<svg class="chart ninebox" role="img" viewBox="0 0 {side + 4} {side + margin}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(axes[0])} × {escape(axes[1])}</title>",
    ]
    most = max([*(c for c in counts.values() if c is not None), 1])
    for box, (performance, potential) in sorted(places.items()):
        x = margin + PERFORMANCE.index(performance) * cell
        y = (2 - POTENTIAL.index(potential)) * cell
        people = counts.get(box, 0)
        fill = "#adb5bd" if people is None else "#2f6fde"
        shade = 0.5 if people is None else 0.12 + 0.75 * people / most
        shown = escape(withheld) if people is None else str(people)
        parts += [
            f'<rect class="box" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
            f'fill="{fill}" fill-opacity="{shade:.2f}"><title>{box}: {shown}</title></rect>',
            f'<text x="{x + 6}" y="{y + 16}" font-size="12">{box}</text>',
            f'<text x="{x + cell / 2 - 10}" y="{y + cell / 2 + 8}" font-size="20">{shown}</text>',
        ]
    parts += [
        f'<text x="{margin}" y="{side + 16}" font-size="12">{escape(axes[0])} →</text>',
        f'<text x="14" y="{side - 4}" font-size="12" transform="rotate(-90 14 {side - 4})">'
        f"{escape(axes[1])} →</text>",
        "</svg>",
    ]
    return Markup("".join(parts))
