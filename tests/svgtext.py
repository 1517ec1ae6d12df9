"""The text of a chart's SVG as boxes on the drawing, to find labels that print over each other.

Each ``<text>`` (each ``<tspan>`` line of it) gets a box from its position (the translations of
its groups, its own translate and rotate, its anchor) and its font size; the width is the
house estimate of the label's advance (``helpers.figures.theme.text_width``: CJK characters
one em, Latin letters by class). Vega writes the alphabetic baseline as the text's position,
so the box runs from 0.8 em above it to 0.2 em below.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from helpers.figures.theme import text_width

SVG = "{http://www.w3.org/2000/svg}"
_TRANSLATE = re.compile(r"translate\(\s*([-\d.e]+)[ ,]+([-\d.e]+)\s*\)")
_ROTATE = re.compile(r"rotate\(\s*([-\d.e]+)\s*\)")


@dataclass(frozen=True)
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlap(self, other: Box) -> float:
        """How far the two boxes overlap, in px (the lesser of the two directions)."""
        across = min(self.x1, other.x1) - max(self.x0, other.x0)
        down = min(self.y1, other.y1) - max(self.y0, other.y0)
        return min(across, down)


def _translation(element) -> tuple[float, float]:
    m = _TRANSLATE.search(element.get("transform") or "")
    return (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)


def text_boxes(svg: str) -> list[Box]:
    """Every line of text in ``svg`` as a box in the drawing's coordinates."""
    boxes: list[Box] = []

    def walk(element, ox: float, oy: float) -> None:
        dx, dy = _translation(element)
        ox, oy = ox + dx, oy + dy
        if element.tag == f"{SVG}text":
            boxes.extend(_boxes_of(element, ox, oy))
            return
        for child in element:
            walk(child, ox, oy)

    walk(ET.fromstring(svg), 0.0, 0.0)
    return [b for b in boxes if b.text.strip()]


def _boxes_of(element, x: float, y: float) -> list[Box]:
    size = float((element.get("font-size") or "11px").removesuffix("px"))
    rotate = _ROTATE.search(element.get("transform") or "")
    angle = math.radians(float(rotate.group(1))) if rotate else 0.0
    anchor = element.get("text-anchor") or "start"
    spans = element.findall(f"{SVG}tspan")
    lines, offsets, offset = [], [], 0.0
    if spans:
        for span in spans:
            offset += float(span.get("dy") or 0)
            lines.append("".join(span.itertext()))
            offsets.append(offset)
    else:
        lines, offsets = ["".join(element.itertext())], [0.0]
    out = []
    for line, down in zip(lines, offsets, strict=True):
        width = text_width(line, size)
        start = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
        corners = [
            (start, down - 0.8 * size),
            (start + width, down - 0.8 * size),
            (start, down + 0.2 * size),
            (start + width, down + 0.2 * size),
        ]
        cos, sin = math.cos(angle), math.sin(angle)
        xs = [x + cx * cos - cy * sin for cx, cy in corners]
        ys = [y + cx * sin + cy * cos for cx, cy in corners]
        out.append(Box(line, min(xs), min(ys), max(xs), max(ys)))
    return out


def overlapping_labels(svg: str, tolerance: float = 1.0) -> list[str]:
    """Pairs of text lines whose boxes overlap by more than ``tolerance`` px both ways."""
    boxes = sorted(text_boxes(svg), key=lambda b: b.x0)
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if b.x0 >= a.x1:
                break
            if a.overlap(b) > tolerance:
                found.append(f"{a.text!r} over {b.text!r}")
    return found
