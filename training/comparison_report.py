"""The champion/challenger comparison as a page an analyst can keep: the gate's verdict first,
then the gated metrics on the same held-out cycle as a chart and a table, then what each
version's own run recorded per slice and for fairness, side by side.

The gate's table comes from `training.promotion.compare` (both versions evaluated on the
challenger's held-out cycle). The per-slice and fairness figures are those each run logged on
its own test cycle, as the analyst's model page shows them; the page says so.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from training.html import embedded_figure, figure
from training.promotion import Comparison


def comparison_page(name: str, comparison: Comparison, versions: list[dict[str, Any]]) -> str:
    """The whole report as one self-contained HTML page (charts embedded)."""
    verdict = "PASSES" if comparison.passed else "FAILS"
    title = (
        f"{name}: challenger v{comparison.challenger} against champion v{comparison.champion} "
        f"on cycle {comparison.test_year}: {verdict} the gate"
    )
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Tolerance {comparison.tolerance:.0%}: every gated metric of the challenger must "
        "reach the champion's less the tolerance.</p>",
    ]
    table = comparison.metrics.rename_axis("metric").reset_index()
    if comparison.champion is not None and len(table):
        parts += [
            "<h2>Gated metrics on the same held-out cycle</h2>",
            _gate_chart(comparison),
            table.to_html(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
    else:
        parts.append("<p>No champion yet: the challenger's own run holds its metrics.</p>")
    shown = [v for v in versions if v["version"] in (comparison.champion, comparison.challenger)]
    for heading, prefix in (("Per slice", ("family.", "agency.")), ("Fairness", ("fairness.",))):
        side = _side_by_side(shown, prefix)
        if not side.empty:
            parts += [
                f"<h2>{heading} (each version on its own test cycle)</h2>",
                side.to_html(float_format=lambda v: f"{v:.3f}"),
            ]
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><body>{''.join(parts)}</body></html>"
    )


def _gate_chart(comparison: Comparison) -> str:
    """Champion and challenger bars per gated metric, as an embedded PNG."""
    metrics = comparison.metrics[["champion", "challenger"]]
    fig = figure(6, 3)
    ax = fig.subplots()
    metrics.plot(kind="bar", ax=ax, rot=0)
    ax.set_ylabel("value on the same cycle")
    ax.set_title(f"v{comparison.champion} (champion) vs v{comparison.challenger} (challenger)")
    fig.tight_layout()
    return embedded_figure(fig)


def _side_by_side(versions: list[dict[str, Any]], prefixes: tuple[str, ...]) -> pd.DataFrame:
    """Metrics starting with `prefixes`, one column per version."""
    columns = {
        f"v{v['version']} ({', '.join(v['aliases']) or '-'})": {
            k: value for k, value in v["metrics"].items() if k.startswith(prefixes)
        }
        for v in versions
    }
    return pd.DataFrame(columns).sort_index()
