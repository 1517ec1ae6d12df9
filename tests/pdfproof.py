"""A proof reader's checks of a rendered PDF, as a reader would find the faults on paper.

Word boxes come from poppler (``pdftotext -bbox``), the page as pixels from ``pdftoppm``
(greyscale PGM, read here without an imaging library), link annotations from pypdf. Shared by
test_render.py (the fixture project) and test_end_to_end.py (the report for 1 and 10 sources).
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

# The report's page: A4 with 2.2 cm side and 2.4 cm top and bottom margins
# (helpers/engine/report.typ), in points.
MARGIN_X = 2.2 / 2.54 * 72
MARGIN_Y = 2.4 / 2.54 * 72
DPI = 36  # pages drawn at this resolution for the ink checks
INK = 200  # a grey darker than this is ink
_LIGHT = bytes(range(INK, 256))  # deleted from a row of pixels, what is left is ink
INVISIBLE = {"\u200b": "zero-width space", "\u00ad": "soft hyphen", "\u2060": "word joiner"}
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float  # from the top of the page, as poppler measures
    x1: float
    y1: float
    text: str


def words(pdf: Path) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word of ``pdf`` with its box, and each page's (width, height) in points."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found, sizes = [], []
    for n, page in enumerate(out.split("<page ")[1:], start=1):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        sizes.append((float(size.group(1)), float(size.group(2))))
        for x0, y0, x1, y1, text in _WORD.findall(page):
            found.append(Word(n, float(x0), float(y0), float(x1), float(y1), html.unescape(text)))
    return found, sizes


def overlapping_words(found: list[Word]) -> list[str]:
    """Pairs of words on one page whose boxes overlap (more than half a point across and a
    third of the lower word's height): one prints over the other."""
    pairs = []
    by_page: dict[int, list[Word]] = {}
    for w in found:
        by_page.setdefault(w.page, []).append(w)
    for page, items in by_page.items():
        items.sort(key=lambda w: w.x0)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.x0 >= a.x1 - 0.5:
                    break
                across = min(a.x1, b.x1) - max(a.x0, b.x0)
                down = min(a.y1, b.y1) - max(a.y0, b.y0)
                if across > 0.5 and down > min(a.y1 - a.y0, b.y1 - b.y0) / 3:
                    pairs.append(f"page {page}: {a.text!r} over {b.text!r}")
    return pairs


def words_outside_text_block(found: list[Word], sizes) -> list[str]:
    """Words that reach into the side margins (a table or figure wider than the text)."""
    return [
        f"page {w.page}: {w.text!r} at x {w.x0:.0f}-{w.x1:.0f} pt"
        for w in found
        if w.x0 < MARGIN_X - 2 or w.x1 > sizes[w.page - 1][0] - MARGIN_X + 2
    ]


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary greyscale PGM (pdftoppm -gray)."""
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5", "pdftoppm did not write a binary PGM"
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1 : pos + 1 + width * height]


def page_pixels(pdf: Path, dpi: int = DPI) -> list[tuple[int, int, bytes]]:
    """Each page drawn as greyscale pixels (width, height, pixels): lines and marks of an SVG
    count as ink, not only its words."""
    with tempfile.TemporaryDirectory() as tmp:  # one pdftoppm for all pages: each call parses
        subprocess.run(  # the whole PDF again
            ["pdftoppm", "-gray", "-r", str(dpi), str(pdf), str(Path(tmp) / "page")],
            capture_output=True,
            check=True,
        )
        # page-01.pgm ... page-80.pgm: the number is padded to the page count's width
        drawn = sorted(Path(tmp).glob("page-*.pgm"), key=lambda f: int(f.stem.split("-")[-1]))
        return [_pgm(f.read_bytes()) for f in drawn]


def _inked_rows(page: tuple[int, int, bytes]) -> list[float]:
    """The heights (pt from the top) of the page's pixel rows that hold ink."""
    width, height, pixels = page
    return [y / DPI * 72 for y in range(height) if min(pixels[y * width : (y + 1) * width]) < INK]


def ink_in_side_margins(pixels: list[tuple[int, int, bytes]]) -> list[str]:
    """Pages with ink in a side margin (a figure or table drawn wider than the text block)."""
    faults = []
    for n, (width, height, data) in enumerate(pixels, start=1):
        margin = int((MARGIN_X - 3) / 72 * DPI)
        for y in range(height):
            row = data[y * width : (y + 1) * width]
            if min(row[:margin]) < INK or min(row[width - margin :]) < INK:
                faults.append(f"page {n}: ink in a side margin at {y / DPI * 72:.0f} pt")
                break
    return faults


def _caption_starts(found: list[Word], kind: str) -> list[Word]:
    """The first word of each caption of ``kind`` ("Figure 3: ...", "Table 2: ...")."""
    return [
        w
        for w, after in zip(found, found[1:], strict=False)
        if w.text == kind and after.page == w.page and re.fullmatch(r"\d+:", after.text)
    ]


def captions_apart_from_their_figures(found, pixels) -> list[str]:
    """A figure's caption (set below it) that begins a page with no ink above it, or a table's
    caption (set above it) that ends a page with no ink below it: the reader sees the caption
    on one page and what it describes on another."""
    faults = []
    for w in _caption_starts(found, "Figure"):
        if not [y for y in _inked_rows(pixels[w.page - 1]) if y < w.y0 - 3]:
            faults.append(
                f"page {w.page}: a figure caption starts the page, its chart on the one before"
            )
    for w in _caption_starts(found, "Table"):
        bottom = pixels[w.page - 1][1] / DPI * 72 - MARGIN_Y
        line = [o for o in found if o.page == w.page and abs(o.y0 - w.y0) < 2]
        below = max(o.y1 for o in line) + 3
        if not [y for y in _inked_rows(pixels[w.page - 1]) if below < y < bottom]:
            faults.append(f"page {w.page}: a table caption ends the page, its table on the next")
    return faults


def half_empty_pages(found, pixels) -> list[str]:
    """Pages before the appendix whose ink stops above the middle of the text block (a figure
    or table pushed to the next page leaves a gap a reader sees at once)."""
    heights = sorted(w.y1 - w.y0 for w in found)
    median = heights[len(heights) // 2] if heights else 0
    appendix = [w.page for w in found if w.text == "Appendix" and w.y1 - w.y0 > 1.2 * median]
    last = appendix[0] if appendix else len(pixels)
    faults = []
    for n in range(1, last):
        height = pixels[n - 1][1] / DPI * 72
        middle = MARGIN_Y + (height - 2 * MARGIN_Y) / 2
        body = [y for y in _inked_rows(pixels[n - 1]) if y < height - MARGIN_Y]
        if not body or max(body) < middle:
            faults.append(f"page {n}: more than half of the page is empty")
    return faults


def invisible_characters(pdf: Path) -> dict[str, int]:
    """Zero-width and soft-hyphen characters a reader would copy out of the PDF's text.

    poppler's text is what a viewer copies; it keeps all three (pypdf's extraction, tried
    beside it, drops the word joiner and took 15 s on a report of 80 pages)."""
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return {name: text.count(c) for c, name in INVISIBLE.items() if c in text}


def unlinked_urls(pdf: Path, found: list[Word], sizes) -> list[str]:
    """Words that start a URL (http:// or https://) not covered by a link annotation."""
    links: dict[int, list[tuple[float, float, float, float]]] = {}
    for n, page in enumerate(PdfReader(pdf).pages, start=1):
        height = sizes[n - 1][1]
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            if annot.get("/Subtype") == "/Link" and action.get("/URI"):
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                links.setdefault(n, []).append((x0, height - y1, x1, height - y0))

    def covered(w: Word) -> bool:
        cx, cy = (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2
        return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in links.get(w.page, []))

    return [
        f"page {w.page}: {w.text!r}"
        for w in found
        if re.match(r"https?://", w.text) and not covered(w)
    ]


def proof(pdf: Path) -> dict[str, list | dict]:
    """Every fault the checks find, by kind (each empty for a good PDF)."""
    found, sizes = words(pdf)
    pixels = page_pixels(pdf)
    return {
        "overlapping words": overlapping_words(found),
        "words outside the text block": words_outside_text_block(found, sizes),
        "ink in the side margins": ink_in_side_margins(pixels),
        "captions apart from their figures": captions_apart_from_their_figures(found, pixels),
        "pages more than half empty": half_empty_pages(found, pixels),
        "invisible characters": invisible_characters(pdf),
        "URLs without a link": unlinked_urls(pdf, found, sizes),
    }


def assert_proof(pdf: Path) -> None:
    faults = {kind: found for kind, found in proof(pdf).items() if found}
    assert not faults, "\n".join(f"{kind}: {found}" for kind, found in faults.items())
