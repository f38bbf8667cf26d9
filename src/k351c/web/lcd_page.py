"""The display page as served: index.html with the LCD already showing the meter's state.

lcd.js keeps the page live (server-sent events) and renders the same state the same way; rendering it
on the server as well means the digits and their aria-labels are there before any script runs, for
screen readers, tests and clients without JavaScript (DESIGN.md: the LCD's fields carry their text in
an aria-label).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

DIRECTIONS = {"+": "→", "-": "←", "±": "↔"}


def _tag(html: str, element_id: str) -> re.Match[str]:
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    if match is None:
        raise KeyError(element_id)
    return match


def set_attribute(html: str, element_id: str, name: str, value: str) -> str:
    """Set (or add) attribute ``name`` of the element with ``element_id``."""
    match = _tag(html, element_id)
    tag, quoted = match.group(0), escape(value, quote=True)
    pattern = rf'\b{re.escape(name)}="[^"]*"'
    if re.search(pattern, tag):
        new = re.sub(pattern, lambda _: f'{name}="{quoted}"', tag, count=1)
    else:
        new = tag[:-1] + f' {name}="{quoted}">'
    return html[: match.start()] + new + html[match.end() :]


def set_text(html: str, element_id: str, text: str) -> str:
    """Replace the text content of a leaf element (up to its closing tag)."""
    match = _tag(html, element_id)
    close = html.index("</", match.end())
    return html[: match.end()] + escape(text, quote=False) + html[close:]


def light(html: str, element_id: str, on: bool, name: str = "on") -> str:
    """Add class ``name`` ("on": a lit segment) to the element when ``on``."""
    if not on:
        return html
    match = _tag(html, element_id)
    classes = re.search(r'\bclass="([^"]*)"', match.group(0))
    return set_attribute(html, element_id, "class", f"{classes.group(1)} {name}" if classes else name)


def _field(html: str, element_id: str, text: str) -> str:
    return set_attribute(set_text(html, element_id, text), element_id, "aria-label", text)


def _phases(html: str, s: dict[str, Any]) -> str:
    for i in range(3):
        direction = s["directions"][i]
        arrow = DIRECTIONS.get(direction, "")
        html = light(html, f"phase-{i + 1}-label", s["phases"][i])
        html = light(set_text(html, f"phase-{i + 1}-dir", arrow), f"phase-{i + 1}-dir", arrow != "")
        words = f"L{i + 1} {'voltage present' if s['phases'][i] else 'no voltage'}"
        if arrow:
            words += ", export" if direction == "-" else ", import"
        if i + 1 in (s.get("overcurrent") or ()):
            words += ", overcurrent"
        html = set_attribute(html, f"phase-{i + 1}", "aria-label", words)
    return html


def _indicators(html: str, s: dict[str, Any]) -> str:
    for t in range(1, 5):
        html = light(html, f"tariff-{t}", t in s["tariffs"])
    tariffs = "tariff " + " ".join(map(str, s["tariffs"])) if s["tariffs"] else "no tariff"
    html = set_attribute(html, "tariffs", "aria-label", tariffs)
    for q in range(1, 5):
        html = light(html, f"quadrant-{q}", q in s["quadrants"])
    quadrants = "quadrant " + " ".join(map(str, s["quadrants"])) if s["quadrants"] else "quadrant none"
    html = set_attribute(html, "quadrants", "aria-label", quadrants)
    html = light(light(html, "error-triangle", s["error"]), "error-mark", s["error"])
    causes = ", ".join(s["error_causes"]) or "all segments"
    return set_attribute(html, "error", "aria-label", f"error: {causes}" if s["error"] else "no error")


def _led(html: str, s: dict[str, Any]) -> str:
    hz = s["led_hz"] * (s.get("rate") or 1)
    if s["test"] or (s["led_on"] and hz == 0):
        return set_attribute(light(html, "led", True, "steady"), "led", "aria-label", "LED on")
    if hz > 0:
        return set_attribute(html, "led", "aria-label", f"LED flashing {hz:.2f} Hz")
    return set_attribute(html, "led", "aria-label", "LED off")


def render_lcd_page(html: str, s: dict[str, Any]) -> str:
    """index.html showing LCD state ``s`` (the /api/lcd JSON) as lcd.js's render() would."""
    html = _field(html, "lcd-value", s["value"])
    html = _field(html, "lcd-unit", s["unit"])
    html = _field(html, "lcd-obis", s["obis"])
    html = _field(html, "lcd-text", s["text"])
    html = _field(html, "lcd-mode", "" if s["mode"] == "auto" else s["mode"].upper())
    html = set_attribute(html, "lcd", "data-reading", s["reading"])
    html = set_attribute(html, "lcd", "data-mode", s["mode"])
    html = set_text(html, "serial", "· " + s["serial"] if s.get("serial") else "")
    return _led(_indicators(_phases(html, s), s), s)
