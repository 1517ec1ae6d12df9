"""Add a source with one command: ``make add-source FROM=<file or URL>``.

``python -m helpers.ingest.add FROM [--id ID] [--kind KIND] [--period PERIOD] ...`` stores the
bytes exactly as received in the raw folder (a web page, a PDF, a UTF-8 text), computes their
SHA-256 and appends the manifest entry from what the file says: title, outlet or site name,
publication date and URL (a page's own metadata, read by ``trafilatura``; a PDF's), language
(detected: English or Chinese, simplified or traditional; any other is refused), ``kind`` and
``period`` defaulted. Every field it guessed is listed under the entry's ``review:``, for a
researcher to check and then delete. It prints the entry, and refuses a file or a URL the
manifest already holds (the same SHA-256, or the same URL).

A URL is fetched with a timeout, a size cap and a content-type check (a web page, a PDF or
plain text), following at most a few redirects and only to http(s); its access date is
recorded as ``accessed``. The file's text is extracted before anything is written, so a scan
(a PDF without a text layer) or a page without main text is refused at once. The raw file and
the manifest are written atomically, and both are rolled back if the new manifest does not load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.engine.paths import regular_size
from helpers.engine.storage import write_bytes, write_text
from helpers.ingest import language
from helpers.ingest.extract import extract, html_metadata, pdf_metadata
from helpers.ingest.sources import (
    DOCUMENT_FORMATS,
    FORMATS,
    MAX_DOCUMENT_BYTES,
    MAX_SOURCE_BYTES,
    TEXT_FORMATS,
    load_manifest,
)

TIMEOUT_SECONDS = 20
MAX_REDIRECTS = 5
# What a fetched answer may be, by its Content-Type, and the format it is kept as
CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/markdown": "md",
}
EXTENSIONS = {"html": ".html", "pdf": ".pdf", "txt": ".txt", "md": ".md"}
_SLUG = re.compile(r"[^a-z0-9]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Received:
    """Bytes as received, the format they are, where from, and (fetched) when."""

    data: bytes
    fmt: str
    origin: str  # the URL after redirects, or the file's path
    url: str | None = None
    asked: str | None = None  # the URL as given, before redirects
    accessed: str | None = None


# -- receiving -------------------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows at most ``MAX_REDIRECTS`` redirects, and only to http(s)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise InputError(req.full_url, f"redirected to {clip(newurl)}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_DOCUMENT_BYTES):
    """The answer to ``url`` as :class:`Received`; every failure is one ``InputError``."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise InputError(url, "only http and https URLs are fetched")
    opener = urllib.request.build_opener(_Redirects())
    request = urllib.request.Request(url, headers={"User-Agent": "add-source (research report)"})
    accessed = dt.datetime.now(dt.UTC).date().isoformat()
    try:
        with opener.open(request, timeout=timeout) as answer:
            final = answer.geturl()
            kind = answer.headers.get_content_type()
            fmt = CONTENT_TYPES.get(kind)
            if fmt is None:
                raise InputError(
                    url,
                    f"the answer is {clip(kind, 60)}, not a web page, a PDF or plain text "
                    f"(accepted: {', '.join(CONTENT_TYPES)})",
                )
            length = answer.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise InputError(url, _too_big(int(length), max_bytes))
            data = answer.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise InputError(url, _too_big(None, max_bytes))
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:  # urllib refused to follow it: a loop, or not http(s)
            raise InputError(
                url,
                f"redirected ({exc.code}) to {clip(exc.headers.get('Location'))}, which is not "
                f"followed (only http(s), at most {MAX_REDIRECTS} redirects, no loops)",
            ) from None
        reason = "".join(ch for ch in str(exc.reason) if ch.isprintable())[:60]  # bounded
        raise InputError(url, f"the server answered {exc.code} {reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise InputError(url, f"no answer within {timeout:g} s") from None
        raise InputError(url, f"cannot fetch: {clip(str(reason), 120)}") from None
    except TimeoutError:
        raise InputError(url, f"no answer within {timeout:g} s") from None
    except OSError as exc:
        raise InputError(url, f"cannot fetch: {clip(str(exc), 120)}") from None
    _check_bytes(data, fmt, url)
    return Received(data, fmt, final, url=final, asked=url, accessed=accessed)


def _too_big(size: int | None, limit: int) -> str:
    said = f"{size:,} bytes" if size is not None else "larger"
    return f"the answer is {said}, more than the limit of {limit:,}"


def read_file(path: Path | str) -> Received:
    """A local file as :class:`Received`, its format from its name, checked against its bytes."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(path, "not a .txt, .md, .html, .htm or .pdf file")
    limit = MAX_DOCUMENT_BYTES if fmt in DOCUMENT_FORMATS.values() else MAX_SOURCE_BYTES
    size = regular_size(path, path)
    try:
        if size > limit:
            raise InputError(path, f"file is {size:,} bytes, more than the limit of {limit:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror}") from None
    _check_bytes(data, fmt, path)
    return Received(data, fmt, str(path))


def _check_bytes(data: bytes, fmt: str, where: Path | str) -> None:
    """The bytes are what their name or content type says."""
    if not data.strip():
        raise InputError(where, "is empty")
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    if fmt == "pdf" and not is_pdf:
        raise InputError(where, "is said to be a PDF but does not start with %PDF-")
    if fmt != "pdf" and is_pdf:
        raise InputError(where, f"is a PDF, not {fmt}; name it .pdf")
    if fmt in TEXT_FORMATS.values():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(where, f"text is not valid UTF-8 at byte {exc.start}") from None


# -- the entry -------------------------------------------------------------------------------


def propose(received: Received, given: dict[str, str | None]) -> dict:
    """The manifest entry for ``received`` (without ``id``, ``file`` and ``sha256``): what the
    file says, the defaults, and the ``given`` fields (not guessed); ``review`` lists the rest.

    Raises ``InputError`` when the file has no text to read or is in another language.
    """
    origin = received.origin
    extracted = extract(received.data, received.fmt, origin)
    found = language.detect(extracted.text)
    if found.language not in (*schemas.LANGUAGES, "unsure"):
        raise InputError(
            origin,
            f"the text is in {found.name}; only English or Chinese sources are coded "
            "(add a translation as the source, with the original under `original:`)",
        )
    if received.fmt == "html":
        meta = html_metadata(received.data)
    elif received.fmt == "pdf":
        meta = pdf_metadata(received.data)
    else:
        meta = {}
    first_line = next((line.strip() for line in extracted.text.splitlines() if line.strip()), "")
    url = received.url or meta.get("url")
    guessed = {
        "title": meta.get("title") or clip(first_line, 200).strip("'\""),
        "outlet": meta.get("outlet") or _host(url) or "unknown",
        "url": url or "unknown",
        "date": _day(meta.get("date")) or received.accessed or _today(),
        "language": "en" if found.language == "unsure" else found.language,
        "kind": "primary" if received.fmt == "pdf" else "secondary",
    }
    entry = {name: given.get(name) or value for name, value in guessed.items()}
    entry["period"] = given.get("period") or entry["date"][:4]
    review = [name for name in (*guessed, "period") if not given.get(name)]
    if received.url is not None and not given.get("url"):
        review.remove("url")  # fetched from there: not a guess
    order = ["title", "outlet", "url", "date", "period", "language", "kind"]
    entry = {name: entry[name] for name in order}
    if given.get("retells"):
        entry["retells"] = given["retells"]
    if found.script:
        entry["note"] = f"Detected as Chinese in {found.script} characters."
    if received.accessed:
        entry["accessed"] = received.accessed
    entry["review"] = [name for name in order if name in review]
    return entry


def _host(url: str | None) -> str | None:
    host = urllib.parse.urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _day(value: str | None) -> str | None:
    return value[:10] if value and _DAY.match(value) else None


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _same_url(a: str, b: str) -> bool:
    def key(url: str) -> tuple:
        parts = urllib.parse.urlsplit(url.strip())
        return (parts.hostname or "", parts.path.rstrip("/"), parts.query)

    return key(a) == key(b)


def _new_id(entry: dict, taken: set[str], raw_dir: Path, ext: str) -> str:
    outlet = _SLUG.sub("-", entry["outlet"].lower()).strip("-")[:40].strip("-") or "source"
    base = f"{outlet}-{entry['date']}"
    candidate, n = base, 1
    while candidate in taken or (raw_dir / f"{candidate}{ext}").exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# -- adding ----------------------------------------------------------------------------------


def add_source(
    origin: str,
    manifest_path: Path | str,
    raw_dir: Path | str,
    given: dict[str, str | None] | None = None,
) -> dict:
    """Receive ``origin`` (a URL or a file), store it and append its manifest entry; returns it.

    Every refusal (duplicate, unreadable, no text, another language, a fetch that fails) is
    one ``InputError``, and nothing is written.
    """
    manifest_path, raw_dir = Path(manifest_path), Path(raw_dir)
    given = {k: v for k, v in (given or {}).items() if v}
    received = fetch(origin) if re.match(r"https?://", origin) else read_file(origin)
    sources = load_manifest(manifest_path, raw_dir)
    digest = hashlib.sha256(received.data).hexdigest()
    for source in sources:
        if source.sha256 == digest:
            raise InputError(
                origin, f"already in the manifest as entry {clip(source.id)} (same SHA-256)"
            )
        for url in {received.url, received.asked, given.get("url")} - {None}:
            if _same_url(source.url, url):
                raise InputError(
                    origin, f"already in the manifest as entry {clip(source.id)} (same URL)"
                )
    proposed = propose(received, given)
    ext = EXTENSIONS[received.fmt]
    source_id = given.get("id") or _new_id(proposed, {s.id for s in sources}, raw_dir, ext)
    if source_id in {s.id for s in sources}:
        raise InputError(manifest_path, f"id {clip(source_id)} is already in the manifest")
    file = f"{source_id}{ext}"
    target = raw_dir / file
    if target.exists():
        raise InputError(target, "a file of that name is already in the raw folder")
    fields = {k: v for k, v in proposed.items() if k != "review"}
    entry = {"id": source_id, **fields, "file": file, "sha256": digest}
    if proposed["review"]:
        entry["review"] = proposed["review"]

    before = manifest_path.read_text(encoding="utf-8")
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100)
    indented = "".join(f"  {line}" if line.strip() else line for line in block.splitlines(True))
    after = before.rstrip("\n") + "\n\n" + indented
    write_bytes(target, received.data)
    try:
        write_text(manifest_path, after)
        load_manifest(manifest_path, raw_dir)
    except BaseException:
        write_text(manifest_path, before)
        target.unlink(missing_ok=True)
        raise
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make add-source FROM=...",
        description="Store a source as received in the raw folder and append its manifest entry.",
    )
    parser.add_argument("origin", metavar="FROM", help="a file (.html, .pdf, .txt, .md) or a URL")
    for name in ("id", "title", "outlet", "url", "date", "period", "language", "kind", "retells"):
        parser.add_argument(f"--{name}", help=f"the entry's {name} (else guessed)")
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.origin:
        parser.error("say what to add: make add-source FROM=<file or URL>")
    from helpers.engine import catalogue

    manifest = Path(args.manifest) if args.manifest else catalogue.path("manifest")
    raw = Path(args.raw) if args.raw else catalogue.path("raw")
    given = {k: v for k, v in vars(args).items() if k not in ("origin", "manifest", "raw")}
    try:
        entry = add_source(args.origin, manifest, raw, given)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100), end="")
    review = ", ".join(entry.get("review", [])) or "nothing"
    print(
        f"added {entry['id']} to {manifest}; guessed, to check: {review} "
        "(then delete the `review:` list)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
