"""The source manifest: what was received, checked before anything reads it.

``data/raw/manifest.yaml`` lists every source (top-level key ``sources``). Loading it validates
each entry and each file (exists, non-empty, UTF-8, SHA-256 as recorded), so a renamed, edited
or truncated raw file stops the build with one message naming the file instead of silently
changing the report. Every problem raises :class:`helpers.engine.errors.InputError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import AfterValidator, field_validator, model_validator

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.engine.models import HIDDEN, INVISIBLE, Items, Model, Text, parse
from helpers.engine.paths import inside, regular_size
from helpers.engine.yamlio import read_yaml

TEXT_FORMATS = {".txt": "txt", ".md": "md"}
# Sources kept as received and turned into text at ingest (helpers.ingest.extract)
DOCUMENT_FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
FORMATS = {**TEXT_FORMATS, **DOCUMENT_FORMATS}
BOM = "\ufeff"
MAX_SOURCE_BYTES = 2_000_000  # ~1,000 pages of English; a larger file is a dump, not an article
# A saved web page carries markup, scripts and styles; a PDF fonts and images
MAX_DOCUMENT_BYTES = 20_000_000
# How a step of a source's chain passed the text on (``via:``)
VIA_ROLES = ["translation", "republication"]
_VISIBLE = re.compile(rf"[^\s{INVISIBLE}\x00-\x1f\x7f-\x9f]")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # no ':' — it separates parts of row ids
_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")
_SHA = re.compile(r"[0-9a-f]{64}")
_PERIOD = re.compile(r"(\d{4})(?:-(\d{4}))?")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")  # ISO 639-1 (or -3) code: it, en, zh


def _language_code(value: str) -> str:
    if not _LANGUAGE_CODE.fullmatch(value):
        raise ValueError(f"language {clip(value)} is not an ISO 639 code such as it, en or zh")
    return value


LanguageCode = Annotated[Text, AfterValidator(_language_code)]


class Original(Model):
    """Who wrote the text first, when the source is a translation or a republication.

    ``language`` is any ISO 639 code (the original may be Italian even though only English and
    Chinese sources are coded); ``url`` is where the original, or a copy of it, can be read.
    """

    outlet: Text
    language: LanguageCode
    author: Text | None = None
    title: Text | None = None
    url: Text | None = None


class Via(Model):
    """One step between the original and the file received, in order.

    A ``translation`` gives the ``language`` it translated into (``machine: true`` for a machine
    translation); a ``republication`` passes the text on in the language it had.
    """

    outlet: Text
    role: Literal[tuple(VIA_ROLES)]
    language: LanguageCode | None = None
    machine: bool = False
    url: Text | None = None


class Source(Model):
    """One manifest entry, validated; ``file`` is a name inside the raw folder.

    Required: id, title, outlet, url, date, period, language, kind, file, sha256. Optional:
    ``retells``, ``note``; ``accessed`` (the day a fetched page was read); ``original`` and
    ``via`` (who wrote the text first, and who translated or republished it: the chain the
    report names when it credits a framing); ``review`` (the fields `make add-source` guessed,
    which a researcher checks and then removes from the list). Text fields are stripped and
    must not hold invisible or control characters (they would pass ingest's normalisation).
    """

    id: Text
    title: Text
    outlet: Text
    url: Text
    date: Text
    period: Text
    language: Literal[tuple(schemas.LANGUAGES)]
    kind: Literal[tuple(schemas.SOURCE_KINDS)]
    file: Text
    sha256: Text
    retells: Text | None = None
    note: Text | None = None
    accessed: Text | None = None
    original: Original | None = None
    via: Items[Via] | None = None
    review: Items[Text] | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, entry: object) -> object:
        """Unquoted YAML dates and years are text here (``Text`` refuses hidden characters)."""
        if not isinstance(entry, dict):
            return entry
        entry = dict(entry)
        for name in ("date", "accessed"):
            if isinstance(entry.get(name), dt.date):
                entry[name] = entry[name].isoformat()
        if isinstance(entry.get("period"), int) and not isinstance(entry["period"], bool):
            entry["period"] = str(entry["period"])
        return entry

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("id must use letters, digits, '.', '_' or '-' only")
        return value

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        if not _valid_date(value):
            raise ValueError(f"date {clip(value)} is not YYYY-MM-DD or YYYY-MM")
        return value

    @field_validator("accessed")
    @classmethod
    def _accessed(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 10 and _valid_date(value)):
            raise ValueError(f"accessed {clip(value)} is not a day, YYYY-MM-DD")
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not valid_period(value):
            raise ValueError(
                f"period {clip(value)} is not a year (2025) or a range of years (2026-2030)"
            )
        return value

    @field_validator("sha256")
    @classmethod
    def _sha256(cls, value: str) -> str:
        if not _SHA.fullmatch(value):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError(f"file {clip(value)} must be a path inside the raw folder")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        """Checks between fields, every failing one reported together."""
        problems = []
        if self.is_text and not self.fmt:
            problems.append(
                f"a {self.kind} source must be a .txt, .md, .html or .pdf file, "
                f"got {clip(self.file)}"
            )
        problems += self._chain_problems()
        fields = set(type(self).model_fields) - {"review"}
        for name in self.review or ():
            if name not in fields:
                near = difflib.get_close_matches(name, sorted(fields), n=1)
                problems.append(
                    f"review names {clip(name)}, which is no field of an entry"
                    + (f" (closest known field: {near[0]})" if near else "")
                )
            elif getattr(self, name) is None:
                problems.append(f"review names {clip(name)}, which the entry does not set")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _chain_problems(self) -> list[str]:
        """The chain original -> via -> this file must end in the source's language."""
        if self.original is None:
            return ["`via` needs `original`: who wrote the text first"] if self.via else []
        problems, language = [], self.original.language
        for n, step in enumerate(self.via or (), 1):
            where = f"via #{n} ({clip(step.outlet, 40)})"
            if step.role == "translation":
                if step.language is None:
                    problems.append(f"{where}: a translation names the `language` it gives")
                elif step.language == language:
                    problems.append(f"{where}: translates {language} into {language}")
                else:
                    language = step.language
            else:
                if step.machine:
                    problems.append(f"{where}: `machine` applies to a translation only")
                if step.language not in (None, language):
                    problems.append(
                        f"{where}: a republication keeps the language {language}, "
                        f"not {step.language}"
                    )
        if not problems and language != self.language:
            problems.append(
                f"the original is in {self.original.language} and the chain ends in {language}, "
                f"but the source's language is {self.language}; add the translation to `via`"
            )
        return problems

    @property
    def is_text(self) -> bool:
        """Reference entries are hand-coded tables: checked and listed, never segmented."""
        return self.kind != "reference"

    @property
    def fmt(self) -> str:
        """``txt``, ``md``, ``html`` or ``pdf`` for text sources (decides how text is found)."""
        return FORMATS.get(Path(self.file).suffix.lower(), "")

    @property
    def author_outlet(self) -> str:
        """Whose words the text carries: the original's outlet, else the outlet's own."""
        return self.original.outlet if self.original is not None else self.outlet

    def by_role(self, role: str) -> str | None:
        """The outlets of the chain with ``role``, ``;``-separated, or None."""
        names = [step.outlet for step in self.via or () if step.role == role]
        return ";".join(names) or None


class Manifest(Model):
    """The manifest file: its one top-level key."""

    sources: list[Source]


def load_manifest(path: Path | str, raw_dir: Path | str | None = None) -> list[Source]:
    """Read and validate the manifest and the files it lists (``raw_dir`` defaults to its folder).

    Entries keep the manifest's order; every check that fails raises ``InputError``.
    """
    path = Path(path)
    raw_dir = Path(raw_dir) if raw_dir is not None else path.parent
    data = read_yaml(path, "manifest")
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise InputError(path, "expected a top-level key `sources` holding a list of entries")
    sources = parse(Manifest, data, path, nouns={"sources": "entry"}).sources
    problems = _id_problems(sources)
    if problems:
        raise InputError(path, "; ".join(problems))
    for source in sources:
        _read_checked(source, raw_dir)
    problems = _same_source_twice(sources, raw_dir)
    if problems:
        raise InputError(path, "; ".join(problems))
    return sources


def _id_problems(sources: list[Source]) -> list[str]:
    """Ids given twice, and retellings of no other entry or in a circle (which no reference
    could end, so none would be triangulated), all at once."""
    problems, seen = [], set()
    for source in sources:
        if source.id in seen:
            problems.append(f"duplicate id {clip(source.id)}")
        seen.add(source.id)
    retells = {s.id: s.retells for s in sources if s.retells is not None}
    for source in sources:
        if source.retells is not None and (
            source.retells not in seen or source.retells == source.id
        ):
            problems.append(
                f"entry {clip(source.id)}: retells {clip(source.retells)}, which is not another "
                "id in the manifest"
            )
    reported: set[str] = set()
    for start in retells:
        chain, at = [start], retells[start]
        while at in retells and at not in chain:
            chain.append(at)
            at = retells[at]
        if at != start or len(chain) < 2 or start in reported:  # no circle through start
            continue
        reported |= set(chain)
        circle = " -> ".join(clip(i) for i in [*chain, start])
        problems.append(f"retells go round in a circle ({circle}); one must be the original")
    return problems


def _same_source_twice(sources: list[Source], raw_dir: Path) -> list[str]:
    """Two entries for one file, or for the same bytes: one source, which would otherwise
    count as two corroborating ones."""
    problems, first = [], {}
    for source in sources:
        for key in (("file", source_path(source, raw_dir)), ("content", source.sha256)):
            other = first.setdefault(key, source.id)
            if other != source.id:
                what = "the same file" if key[0] == "file" else "a file of the same content"
                problems.append(
                    f"entries {clip(other)} and {clip(source.id)} name {what} "
                    f"({source.file}): one source, give it one entry"
                )
                break
    return problems


def read_text(source: Source, raw_dir: Path | str) -> str:
    """The source's text as received (checked again, decoded as UTF-8, a leading BOM removed).

    For a ``.txt`` or ``.md`` file, raw offsets in the tables are character offsets into
    exactly this string (for a web page or a PDF, into the text extracted from it).
    """
    text = _read_checked(source, Path(raw_dir)).decode("utf-8")
    return text[1:] if text.startswith(BOM) else text


def read_bytes(source: Source, raw_dir: Path | str) -> bytes:
    """The source's file exactly as received, once it passes the manifest's checks."""
    return _read_checked(source, Path(raw_dir))


def sources_table(
    sources: list[Source],
    n_chars: Mapping[str, int],
    paragraphs: pd.DataFrame,
    sentences: pd.DataFrame,
    n_pages: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The SOURCES table: manifest fields, the source's chain and sizes (0 for sources not
    segmented), by id."""
    n_par = paragraphs.groupby("source_id").size() if len(paragraphs) else pd.Series(dtype=int)
    n_sen = sentences.groupby("source_id").size() if len(sentences) else pd.Series(dtype=int)
    n_pages = n_pages or {}
    rows = [
        {
            "source_id": s.id,
            "title": s.title,
            "outlet": s.outlet,
            "url": s.url,
            "date": s.date,
            "period": s.period,
            "language": s.language,
            "kind": s.kind,
            "retells": s.retells,
            "file": s.file,
            "sha256": s.sha256,
            "n_chars": int(n_chars.get(s.id, 0)),
            "n_paragraphs": int(n_par.get(s.id, 0)),
            "n_sentences": int(n_sen.get(s.id, 0)),
            "format": FORMATS.get(Path(s.file).suffix.lower(), Path(s.file).suffix[1:].lower()),
            "n_pages": int(n_pages.get(s.id, 0)),
            "accessed": s.accessed,
            "author_outlet": s.author_outlet,
            "original_outlet": s.original.outlet if s.original else None,
            "original_language": s.original.language if s.original else None,
            "original_author": s.original.author if s.original else None,
            "translated_by": s.by_role("translation"),
            "machine_translation": any(v.machine for v in s.via or ()),
            "republished_by": s.by_role("republication"),
        }
        for s in sorted(sources, key=lambda s: s.id)
    ]
    df = pd.DataFrame(rows, columns=list(schemas.SOURCES.columns))
    for col in ("n_chars", "n_paragraphs", "n_sentences", "n_pages"):
        df[col] = df[col].astype("int64")
    df["machine_translation"] = df["machine_translation"].astype(bool)
    for col in (
        "accessed",
        "original_outlet",
        "original_language",
        "original_author",
        "translated_by",
        "republished_by",
    ):
        df[col] = df[col].astype(object)
    return schemas.SOURCES.validate(df)


# -- internals ------------------------------------------------------------------------------


def refuse_hidden(entry: Mapping, names: Iterable[str]) -> None:
    """A validator's ``ValueError`` when one of the entry's text fields ``names`` holds a
    hidden character (``HIDDEN``)."""
    for name in names:
        value = entry.get(name)
        hidden = HIDDEN.search(value) if isinstance(value, str) else None
        if hidden:
            raise ValueError(
                f"field `{name}` holds the invisible or control character "
                f"U+{ord(hidden.group()):04X} at position {hidden.start()}; remove it"
            )


def valid_period(value: str) -> bool:
    """A year (``2025``) or an increasing range of years (``2026-2030``)."""
    match = _PERIOD.fullmatch(value)
    return bool(match) and (match[2] is None or int(match[1]) < int(match[2]))


def period_years(value: str) -> tuple[int, int]:
    """First and last year of a valid period (``2025`` -> (2025, 2025))."""
    match = _PERIOD.fullmatch(value)
    if match is None:
        raise ValueError(f"not a period: {value!r}")
    return int(match[1]), int(match[2] or match[1])


def _valid_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value if len(value) == 10 else value + "-01")
    except ValueError:
        return False
    return True


def source_path(source: Source, raw_dir: Path | str) -> Path:
    """The real path of the source's file, refused when a symlink leads it out of ``raw_dir``."""
    return inside(Path(raw_dir) / source.file, raw_dir, f"file of manifest entry {clip(source.id)}")


def _read_checked(source: Source, raw_dir: Path) -> bytes:
    """The file's bytes, once they pass every check the manifest promises."""
    path = raw_dir / source.file
    label = f"manifest entry {clip(source.id)}"
    real = source_path(source, raw_dir)
    document = source.fmt in DOCUMENT_FORMATS.values()
    limit, name = (
        (MAX_DOCUMENT_BYTES, "MAX_DOCUMENT_BYTES")
        if document
        else (MAX_SOURCE_BYTES, "MAX_SOURCE_BYTES")
    )
    size = regular_size(real, path, "file", f" ({label})")
    try:
        if size > limit:
            raise InputError(
                path,
                f"file is {size:,} bytes, more than the limit of {limit:,} per "
                f"source ({label}); split it or raise sources.{name}",
            )
        data = real.read_bytes()
    except FileNotFoundError:
        raise InputError(path, f"file not found ({label})") from None
    except IsADirectoryError:
        raise InputError(path, f"is a folder, not a file ({label})") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror} ({label})") from None
    if document:  # a web page or a PDF: its text is found at ingest (helpers.ingest.extract)
        if not data:
            raise InputError(path, f"file is empty ({label})")
        _check_sum(source, path, label, data)
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"not valid UTF-8 at byte {exc.start} (0x{data[exc.start]:02x}) ({label})"
        ) from None
    if not _VISIBLE.search(text):
        raise InputError(path, f"file is empty: nothing but white space ({label})")
    _check_sum(source, path, label, data)
    return data


def _check_sum(source: Source, path: Path, label: str, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != source.sha256:
        raise InputError(
            path, f"checksum mismatch ({label}): expected {source.sha256}, actual {actual}"
        )
