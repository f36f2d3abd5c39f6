"""Server-side SVG charts for the dashboard: no JavaScript library, no network, readable without a script."""

from __future__ import annotations

from markupsafe import Markup, escape

GOOD, WARN, BAD, BLUE, GREY = "#2f8f5b", "#d08a1f", "#c2413b", "#3b6fd1", "#8a94a6"


def bar_chart(points: list[tuple[str, float]], *, chart_id: str, width: int = 920, height: int = 160,
              colour: str = BLUE, label: str = "") -> Markup:
    """Vertical bars, one per (label, value), scaled to the largest value; each bar has a tooltip."""
    if not points:
        return Markup(f'<p class="muted" id="{escape(chart_id)}">no data yet</p>')
    top = max(v for _, v in points) or 1
    plot_h = height - 30
    slot = (width - 40) / len(points)
    bar_w = max(2.0, slot * 0.7)
    parts = [f'<svg id="{escape(chart_id)}" class="chart" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label or chart_id)}">',
             f'<text x="0" y="12" font-size="11" fill="{GREY}">{_fmt(top)}</text>',
             f'<line x1="40" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#dde3ee"/>']
    every = max(1, len(points) // 8)
    for i, (name, value) in enumerate(points):
        h = round(value / top * (plot_h - 16), 1)
        x = round(40 + i * slot + (slot - bar_w) / 2, 1)
        parts.append(f'<rect x="{x}" y="{round(plot_h - h, 1)}" width="{round(bar_w, 1)}" height="{h}" '
                     f'fill="{colour}"><title>{escape(name)}: {_fmt(value)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x}" y="{height - 8}" font-size="10" fill="{GREY}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(used: float, limit: float | None, *, chart_id: str, width: int = 280) -> Markup:
    """A horizontal gauge of used vs limit (green below 70%, amber below 90%, red above)."""
    if not limit:
        return Markup(f'<span id="{escape(chart_id)}" class="muted">no budget set</span>')
    share = min(used / limit, 1.0)
    colour = GOOD if share < 0.7 else WARN if share < 0.9 else BAD
    return Markup(f'<svg id="{escape(chart_id)}" width="{width}" height="14" role="img" aria-label="{share:.0%} used">'
                  f'<rect width="{width}" height="14" rx="3" fill="#eef1f6"/>'
                  f'<rect width="{round(share * width, 1)}" height="14" rx="3" fill="{colour}">'
                  f'<title>{_fmt(used)} of {_fmt(limit)}</title></rect></svg>')


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
