"""Server-rendered SVG charts for the statistics page (no script, no CDN) and the table that follows each one.

A chart is an image with a title (role="img", aria-labelledby); the same figures are in the table after it
(caption, th scope), which is what a screen reader reads. Colours are SVG attributes, never style="" (the CSP
allows this server's stylesheet only)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Distinguishable in colour and in grey (Okabe–Ito, darkened where text sits on them).
PALETTE = ("#0b5fa5", "#d55e00", "#009e73", "#8f6b00", "#cc79a7", "#56b4e9")
Series = tuple[str, Sequence[int | float]]
WIDTH = 720


def _legend(series: Sequence[Series], y: int) -> str:
    parts, x = [], 0
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="{y + 11}" font-size="12" fill="#222">{escape(name)}</text>')  # fmt: skip
        x += 24 + 8 * len(name)
    return "".join(parts)


def _svg(ident: str, title: str, height: int, body: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}">{escape(title)}</title>{body}</svg>'
    )


def columns(ident: str, title: str, labels: Sequence[str], series: Sequence[Series], ticks: int = 6) -> str:
    """Stacked columns over `labels` (e.g. days), with a legend and a few labelled ticks."""
    n = max(1, len(labels))
    top = max([sum(s[1][i] for s in series) for i in range(len(labels))] or [0]) or 1
    left, plot_w, plot_h, base = 48, WIDTH - 56, 180, 200
    step = plot_w / n
    bar = max(step * 0.8, 0.5)
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - 8}" y2="{base}" stroke="#555"/>',
             f'<text x="{left - 6}" y="{base - plot_h + 4}" font-size="11" text-anchor="end" fill="#222">'
             f'{_num(top)}</text>',
             f'<text x="{left - 6}" y="{base}" font-size="11" text-anchor="end" fill="#222">0</text>',
             ]  # fmt: skip
    for i in range(len(labels)):
        y = float(base)
        for k, (_, values) in enumerate(series):
            h = values[i] / top * plot_h
            if h > 0:
                y -= h
                parts.append(f'<rect x="{left + i * step:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"/>')  # fmt: skip
    every = max(1, n // ticks)
    for i in range(0, len(labels), every):
        parts.append(f'<text x="{left + i * step:.1f}" y="{base + 16}" font-size="11" fill="#222">'
                     f'{escape(labels[i])}</text>')  # fmt: skip
    parts.append(_legend(series, base + 28))
    return _svg(ident, title, base + 44, "".join(parts))


def rows(ident: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Stacked horizontal bars, one per label (a top list, offices, statuses), each with its total."""
    label_w, row_h = 260, 22
    top = max([sum(s[1][i] for s in series) for i in range(len(labels))] or [0]) or 1
    plot_w = WIDTH - label_w - 60
    parts = []
    for i, label in enumerate(labels):
        y = 4 + i * row_h
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end" fill="#222">'
                     f'{escape(short)}</text>')  # fmt: skip
        x = float(label_w)
        for k, (_, values) in enumerate(series):
            w = values[i] / top * plot_w
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"/>')  # fmt: skip
                x += w
        total = sum(values[i] for _, values in series)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}" font-size="12" fill="#222">{_num(total)}</text>')
    legend_y = 8 + len(labels) * row_h
    if len(series) > 1:
        parts.append(_legend(series, legend_y))
        legend_y += 18
    return _svg(ident, title, max(legend_y, 30), "".join(parts))


def _num(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    return f"{int(value):,}".replace(",", " ")


def number(value: int | float | None) -> str:
    """A figure as the Center writes it: «12 345», «95,9»; «—» for none."""
    return _num(value)


Row = tuple[str, Sequence[int | float | str | None]]


def table(caption: str, head: Sequence[str], body: Sequence[Row]) -> str:
    """A table of figures: the first column names the row (th scope="row")."""
    ths = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    trs = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        + "".join(f"<td>{escape(v) if isinstance(v, str) else _num(v)}</td>" for v in values)
        + "</tr>"
        for name, values in body
    )
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{ths}</tr></thead><tbody>{trs}</tbody></table>"
