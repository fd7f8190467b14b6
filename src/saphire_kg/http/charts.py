"""Small charts drawn on the server as inline SVG: no script, no library, readable without CSS."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bars(title: str, points: Sequence[tuple[str, float]], unit: str = "", width: int = 320) -> str:
    """A horizontal bar per (label, value), longest = the largest value; values written beside."""
    if not points:
        return ""
    top = max(v for _, v in points) or 1.0
    row, label_w, value_w = 22, 56, 86
    span = width - label_w - value_w
    height = row * len(points) + 26
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="12" font-weight="600">{escape(title)}</text>',
    ]
    for i, (label, v) in enumerate(points):
        y = 24 + i * row
        w = max(1.0, span * v / top)
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="15" fill="#2f6f9f"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{escape(_number(v))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(v: float) -> str:
    if v >= 1000:
        return f"{v:,.0f}".replace(",", "\u2009")
    return f"{v:.1f}" if v != int(v) else f"{v:.0f}"
