"""Sources as a researcher receives them, made by the tests: web pages, PDFs (typst), scans.

Nothing here is read from the network or from a fixture file: every page and PDF is written
from text below, so the tests say exactly what the extractor must find.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

FONTS = ["/usr/share/fonts"]

EN_PARAGRAPHS = [
    "Shanghai will accelerate integrated circuits and artificial intelligence in 2025, the city "
    "government said in its annual work report on Monday.",
    "Guangdong aims to build a world-class cluster for robotics, and Zhejiang plans to expand "
    "the low-altitude economy with new drone routes between its cities.",
    "Anhui will support quantum computing in Hefei, where several laboratories already work on "
    "the technology, officials said.",
]
ZH_PARAGRAPHS = [
    "广东省将加快发展人工智能和机器人产业，打造具有全球竞争力的产业集群。",
    "浙江省将布局低空经济，推动无人机物流试点。",
    "安徽省将支持量子信息产业发展，建设合肥量子科学中心。",
]
ZH_TRADITIONAL = [
    "廣東省將加快發展人工智能和機器人產業，打造具有全球競爭力的產業集群。",
    "浙江省將布局低空經濟，推動無人機物流試點，這是今年的重點工作。",
    "安徽省將支持量子信息產業發展，建設合肥量子科學中心。",
]
IT_PARAGRAPHS = [
    "Le province cinesi hanno presentato i loro piani di sviluppo economico per il nuovo anno, "
    "con una attenzione particolare per le industrie del futuro e per la tecnologia.",
    "Shanghai punta sui circuiti integrati e sulla intelligenza artificiale, mentre il Guangdong "
    "vuole diventare un centro della robotica per tutta la regione.",
]


def article_html(
    paragraphs: list[str],
    *,
    title: str = "Provinces set their technology plans",
    site: str = "Example News",
    date: str = "2025-02-03",
    url: str = "https://news.example.org/2025/02/03/provinces-plans",
    lang: str = "en",
    padding: int = 0,
) -> bytes:
    """A saved news page: navigation, the article, a comment section and a footer.

    ``padding`` repeats the article's paragraphs that many more times (a long page)."""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs * (1 + padding))
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | {site}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{site}">
<meta name="date" content="{date}">
<link rel="canonical" href="{url}">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/tech">Technology</a></li></ul></nav>
<main><article>
<h1>{title}</h1>
{body}</article></main>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>Great article, thanks for sharing this with us all!</p></div></section>
<footer><p>Copyright 2025 {site}. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>
</body></html>
""".encode()


EMPTY_HTML = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Home | Example News</title>
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<footer>Copyright 2025 Example News</footer></body></html>
"""


def pdf(pages: list[list[str]], *, title: str = "Government work report", lang: str = "en"):
    """A PDF (typst) of ``pages``, each a list of paragraphs, numbered at the foot of each page.

    The paragraphs must hold no typst markup (letters, digits and plain punctuation only)."""
    import typst

    body = "\n#pagebreak()\n".join("\n\n".join(page) for page in pages)
    source = f"""#set document(title: "{title}")
#set page(paper: "a5", numbering: "1")
#set text(font: ("Libertinus Serif", "Noto Serif CJK SC"), lang: "{lang}", size: 10pt)
{body}
"""
    return typst.compile(source.encode(), font_paths=FONTS)


def report_pages(paragraphs: list[str], n_pages: int) -> list[list[str]]:
    """``n_pages`` pages, page ``n`` opening with its number so a test knows where it is."""
    return [
        [f"Page {n} opens here." if paragraphs[0].isascii() else f"第{n}页。", *paragraphs]
        for n in range(1, n_pages + 1)
    ]


def scanned_pdf(folder: Path) -> bytes:
    """A PDF holding one image per page and no text: what a scanner gives."""
    import typst

    (folder / "scan.png").write_bytes(png(200, 280))
    main = folder / "scan.typ"
    main.write_text(
        '#set page(paper: "a5")\n#image("scan.png", width: 100%)\n#pagebreak()\n'
        '#image("scan.png", width: 100%)\n',
        encoding="utf-8",
    )
    return typst.compile(str(main), root=str(folder), font_paths=FONTS)


def png(width: int, height: int) -> bytes:
    """A grey-scale PNG of stripes, written by hand (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
