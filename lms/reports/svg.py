"""Small server-rendered SVG charts: horizontal bars, a histogram and a funnel.

Charts are inline ``<svg>`` elements that scale to the page (360 px phones included), need no
JavaScript and obey the CSP: no ``style`` attributes, only presentation attributes and CSS
classes (``static/css/reports.css``). Each has ``role="img"`` and ``aria-labelledby``
pointing at its ``<title>`` and ``<desc>``; the figures are also in the table next to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
FONT = 13
LABEL_CHARS = 22


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  #: the value as shown ("45%", "3.8", "—")
    highlight: bool = False  #: drawn in the attention colour (a flagged item, a low score)


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _frame(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    cid = escape(chart_id)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _el(tag: str, content: str | None = None, **attrs) -> str:
    """One SVG element; ``class_`` and ``font_size`` become ``class`` and ``font-size``."""
    rendered = " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{_num(v) if isinstance(v, float) else escape(v)}"'
        for name, v in attrs.items()
    )
    if content is None:
        return f"<{tag} {rendered}/>"
    return f"<{tag} {rendered}>{escape(content)}</{tag}>"


def bar_chart(chart_id: str, title: str, desc: str, bars: list[Bar], max_value: float | None = None) -> Markup:
    """Horizontal bars, one per row: the label above, the bar and its value below."""
    top = max([b.value for b in bars if b.value is not None] + [max_value or 0, 0])
    row, bar_h, value_w = 36, 12, 52
    track = WIDTH - value_w
    body = []
    for i, b in enumerate(bars):
        y = i * row
        width = track * (b.value / top) if b.value is not None and top > 0 else 0
        body.append(f"<g><title>{escape(b.label)}: {escape(b.text)}</title>")
        body.append(_el("text", _short(b.label), class_="label", x=0, y=y + FONT, font_size=FONT))
        body.append(_el("rect", class_="track", x=0, y=y + 17, width=track, height=bar_h))
        if width > 0:
            cls = "bar attention" if b.highlight else "bar"
            body.append(_el("rect", class_=cls, x=0, y=y + 17, width=max(width, 1.0), height=bar_h))
        body.append(_el("text", b.text, class_="value", x=WIDTH, y=y + 28, font_size=FONT - 1, text_anchor="end"))
        body.append("</g>")
    return _frame(chart_id, title, desc, max(len(bars), 1) * row, body)


def histogram(chart_id: str, title: str, desc: str, bins: list[tuple[str, int]]) -> Markup:
    """Vertical bars with their counts above and bin labels below."""
    height, base, top_pad = 180, 150, 18
    slot = WIDTH / max(len(bins), 1)
    peak = max([c for _, c in bins] + [0])
    body = [_el("line", class_="axis", x1=0, y1=base, x2=WIDTH, y2=base)]
    for i, (label, count) in enumerate(bins):
        x = i * slot
        h = (base - top_pad) * count / peak if peak else 0.0
        middle = x + slot / 2
        body.append(f"<g><title>{escape(label)}: {count}</title>")
        if h > 0:
            body.append(_el("rect", class_="bar", x=x + 2, y=base - h, width=slot - 4, height=h))
        body.append(
            _el("text", str(count), class_="value", x=middle, y=base - h - 3, font_size=FONT - 1, text_anchor="middle")
        )
        body.append(_el("text", label, class_="label", x=middle, y=base + 16, font_size=FONT - 3, text_anchor="middle"))
        body.append("</g>")
    return _frame(chart_id, title, desc, height, body)


def funnel(chart_id: str, title: str, desc: str, stages: list[tuple[str, int, str]]) -> Markup:
    """Centred bars narrowing stage by stage: (label, count, share text)."""
    row, bar_h = 40, 18
    first = stages[0][1] if stages else 0
    body = []
    for i, (label, count, share) in enumerate(stages):
        y = i * row
        width = WIDTH * count / first if first else 0
        body.append(f"<g><title>{escape(label)}: {count} ({escape(share)})</title>")
        body.append(_el("text", label, class_="label", x=0, y=y + FONT, font_size=FONT))
        body.append(
            _el("text", f"{count} · {share}", class_="value", x=WIDTH, y=y + FONT, font_size=FONT, text_anchor="end")
        )
        if width > 0:
            body.append(_el("rect", class_="bar", x=(WIDTH - width) / 2, y=y + 17, width=max(width, 1.0), height=bar_h))
        body.append("</g>")
    return _frame(chart_id, title, desc, max(len(stages), 1) * row, body)
