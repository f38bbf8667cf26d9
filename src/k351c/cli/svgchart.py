"""A small SVG line-chart writer (panels of polylines, dashed limits, shaded bands), no plotting library."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


@dataclass(frozen=True)
class Line:
    """A polyline through (xs, ys)."""

    xs: list[float]
    ys: list[float]
    colour: str
    dashed: bool


@dataclass(frozen=True)
class Band:
    """A shaded area between the curves low and high over xs."""

    xs: list[float]
    low: list[float]
    high: list[float]
    colour: str


@dataclass
class Panel:
    """One chart: a title, axis ranges (x optionally logarithmic) and what is drawn on it."""

    title: str
    xlabel: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_ticks: tuple[float, ...]
    y_step: float
    log_x: bool = False
    items: list[Line | Band] = field(default_factory=list)
    legend: list[tuple[str, str, bool]] = field(default_factory=list)
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # set by Chart.render

    def _fx(self, x: float) -> float:
        x0, x1 = self.x_range
        left, _, width, _ = self.box
        if self.log_x:
            return left + width * (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
        return left + width * (x - x0) / (x1 - x0)

    def _fy(self, y: float) -> float:
        y0, y1 = self.y_range
        _, top, _, height = self.box
        y = min(max(y, y0), y1)
        return top + height * (y1 - y) / (y1 - y0)

    def _points(self, xs, ys) -> str:
        return " ".join(f"{self._fx(x):.1f},{self._fy(y):.1f}" for x, y in zip(xs, ys, strict=True))

    def line(self, xs, ys, label: str, colour: str, dashed: bool = False) -> None:
        """A polyline (queued until the panel has its place on the page)."""
        self.items.append(Line(list(xs), list(ys), colour, dashed))
        if label:
            self.legend.append((label, colour, dashed))

    def band(self, xs, low, high, colour: str) -> None:
        """A shaded area between two curves (the spread of a fleet)."""
        self.items.append(Band(list(xs), list(low), list(high), colour))

    def svg(self) -> str:
        """The panel's SVG elements (axes, grid, items, legend)."""
        left, top, width, height = self.box
        out = [
            f'<text x="{left + width / 2:.1f}" y="{top - 8:.1f}" class="t">{escape(self.title)}</text>'
        ]
        y0, y1 = self.y_range
        steps = int(round((y1 - y0) / self.y_step))
        for k in range(steps + 1):
            y = y0 + k * self.y_step
            py = self._fy(y)
            out.append(
                f'<line x1="{left}" y1="{py:.1f}" x2="{left + width}" y2="{py:.1f}" class="g"/>'
            )
            out.append(f'<text x="{left - 4}" y="{py + 3:.1f}" class="yl">{y:+.1f}</text>')
        for x in self.x_ticks:
            px = self._fx(x)
            out.append(
                f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{top + height}" class="g"/>'
            )
            out.append(f'<text x="{px:.1f}" y="{top + height + 12:.1f}" class="xl">{x:g}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{width}" height="{height}" class="f"/>')
        out.append(
            f'<text x="{left + width / 2:.1f}" y="{top + height + 26:.1f}" class="xl">'
            f"{escape(self.xlabel)}</text>"
        )
        for item in self.items:
            if isinstance(item, Band):
                pts = self._points(item.xs + item.xs[::-1], item.low + item.high[::-1])
                out.append(
                    f'<polygon points="{pts}" fill="{item.colour}" fill-opacity="0.18" stroke="none"/>'
                )
            else:
                dash = ' stroke-dasharray="5,3"' if item.dashed else ""
                out.append(
                    f'<polyline points="{self._points(item.xs, item.ys)}" fill="none"'
                    f' stroke="{item.colour}" stroke-width="1.5"{dash}/>'
                )
        if self.legend:
            longest = max(len(label) for label, _, _ in self.legend)
            out.append(
                f'<rect x="{left + 4}" y="{top + 3}" width="{32 + 5.2 * longest:.1f}"'
                f' height="{13 * len(self.legend) + 4}" fill="white" fill-opacity="0.85"/>'
            )
        for j, (label, colour, dashed) in enumerate(self.legend):
            ly = top + 12 + 13 * j
            dash = ' stroke-dasharray="5,3"' if dashed else ""
            out.append(
                f'<line x1="{left + 8}" y1="{ly - 3}" x2="{left + 26}" y2="{ly - 3}" stroke="{colour}"'
                f' stroke-width="1.5"{dash}/>'
            )
            out.append(f'<text x="{left + 30}" y="{ly}" class="lg">{escape(label)}</text>')
        return "\n".join(out)


@dataclass
class Chart:
    """Panels laid out in a grid on one SVG page with a heading."""

    heading: str
    panels: list[Panel]
    columns: int = 2
    cell: tuple[int, int] = (430, 250)

    def render(self) -> str:
        """The whole SVG document as text (deterministic: same data, same bytes)."""
        cw, ch = self.cell
        rows = -(-len(self.panels) // self.columns)
        width, height = cw * self.columns, ch * rows + 30
        body = []
        for j, panel in enumerate(self.panels):
            col, row = j % self.columns, j // self.columns
            panel.box = (col * cw + 50.0, row * ch + 60.0, cw - 70.0, ch - 85.0)
            body.append(panel.svg())
        style = (
            "text{font-family:sans-serif;font-size:10px;fill:#222}"
            ".t{font-size:12px;font-weight:bold;text-anchor:middle}"
            ".h{font-size:14px;font-weight:bold}.xl{text-anchor:middle}.yl{text-anchor:end}"
            ".g{stroke:#ddd;stroke-width:0.6}.f{fill:none;stroke:#888}.lg{font-size:9px}"
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}">\n<style>{style}</style>\n'
            f'<rect width="{width}" height="{height}" fill="white"/>\n'
            f'<text x="12" y="20" class="h">{escape(self.heading)}</text>\n'
            + "\n".join(body)
            + "\n</svg>\n"
        )
