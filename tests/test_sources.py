"""The manifest: the seed loads; every bad entry or file stops with one clear message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pydantic
import pytest
import yaml

from helpers import schemas
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.ingest.sources import Source, load_manifest, period_years, read_text, sources_table

TEXT = "Shanghai backs chips.\nGuangdong backs robots.\n"


def _entry(file: str = "a.txt", data: bytes = TEXT.encode(), **fields) -> dict:
    entry = {
        "id": "a",
        "title": "A",
        "outlet": "O",
        "url": "https://example.org/a",
        "date": "2025-01-27",
        "period": "2025",
        "language": "en",
        "kind": "primary",
        "file": file,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    entry.update(fields)
    return entry


def _manifest(tmp_path: Path, entries: list[dict], files: dict[str, bytes] | None = None) -> Path:
    for name, data in (files if files is not None else {"a.txt": TEXT.encode()}).items():
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return path


def _fails(path: Path, *needles: str) -> str:
    with pytest.raises(InputError) as info:
        load_manifest(path)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    return message


def test_seed_manifest_loads_with_its_files():
    sources = load_manifest(catalogue.path("manifest"))
    assert [s.id for s in sources] == ["morningexpress-2025-01", "xinhua-2025-01-27"]
    seed, reference = sources
    assert (seed.kind, seed.retells, seed.fmt, seed.is_text) == (
        "secondary",
        reference.id,
        "txt",
        True,
    )
    assert not reference.is_text
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        seed.id = "other"  # type: ignore[misc]
    assert read_text(seed, catalogue.path("raw")).count("\n") == 8


def test_sources_table_lists_reference_with_zero_sizes():
    sources = load_manifest(catalogue.path("manifest"))
    empty_p = pd.DataFrame({"source_id": pd.Series([], dtype=str)})
    table = sources_table(sources, {"morningexpress-2025-01": 10}, empty_p, empty_p)
    schemas.SOURCES.validate(table)
    ref = table.set_index("source_id").loc["xinhua-2025-01-27"]
    assert (ref.n_chars, ref.n_paragraphs, ref.n_sentences) == (0, 0, 0)
    assert pd.isna(ref.retells)


def test_unquoted_yaml_date_and_bom(tmp_path):
    data = "\ufeffShanghai backs chips.\n".encode()
    path = _manifest(tmp_path, [_entry(data=data)], {"a.txt": data})
    (source,) = load_manifest(path)
    assert source.date == "2025-01-27"
    assert read_text(source, tmp_path) == "Shanghai backs chips.\n"


def test_malformed_yaml(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text("sources:\n  - id: a\n    title: [unclosed\n", encoding="utf-8")
    _fails(path, str(path), "malformed YAML", "line")


def test_top_level_key_required(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text("- id: a\n", encoding="utf-8")
    _fails(path, str(path), "`sources`")


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"sha256": None}, ["entry 'a'", "missing required field", "sha256"]),
        ({"id": None}, ["entry #1", "missing required field", "id"]),
        ({"retell": "b"}, ["entry 'a'", "unknown field", "retell"]),
        ({"language": "it"}, ["entry 'a'", "unknown language 'it'"]),
        ({"kind": "blog"}, ["entry 'a'", "unknown kind 'blog'"]),
        ({"date": "27/01/2025"}, ["entry 'a'", "date '27/01/2025'"]),
        ({"date": "2025-13"}, ["entry 'a'", "date '2025-13'"]),
        ({"period": None}, ["entry 'a'", "missing required field", "period"]),
        ({"period": "2025/26"}, ["entry 'a'", "period '2025/26'", "range of years"]),
        ({"period": "2030-2026"}, ["entry 'a'", "period '2030-2026'"]),
        ({"period": "25"}, ["entry 'a'", "period '25'"]),
        ({"retells": "nobody"}, ["entry 'a'", "retells 'nobody'", "not another id"]),
        ({"retells": "a"}, ["entry 'a'", "retells 'a'"]),
        ({"id": "a:b"}, ["entry 'a:b'", "id must use"]),
        ({"file": "../a.txt"}, ["entry 'a'", "inside the raw folder"]),
        ({"sha256": "ABC"}, ["entry 'a'", "sha256"]),
        # refused, not stripped away: a trailing line separator is no white space to drop
        ({"title": "Chips\u2028"}, ["entry 'a'", "field `title`", "U+2028 at position 5"]),
    ],
)
def test_bad_entry_names_manifest_entry_and_problem(tmp_path, change, needles):
    entry = {k: v for k, v in {**_entry(), **change}.items() if v is not None}
    path = _manifest(tmp_path, [entry])
    _fails(path, str(path), *needles)


def test_duplicate_id(tmp_path):
    path = _manifest(tmp_path, [_entry(), _entry()])
    _fails(path, str(path), "duplicate id 'a'")


def test_text_source_must_be_text_html_or_pdf(tmp_path):
    data = b"a,b\n1,2\n"
    path = _manifest(tmp_path, [_entry("a.csv", data)], {"a.csv": data})
    _fails(path, str(path), "entry 'a'", ".txt, .md, .html or .pdf")


def test_reference_csv_is_checked_but_allowed(tmp_path):
    data = b"fact_id,claim\nX1,chips\n"
    path = _manifest(tmp_path, [_entry("a.csv", data, kind="reference")], {"a.csv": data})
    assert load_manifest(path)[0].kind == "reference"


def test_missing_file(tmp_path):
    path = _manifest(tmp_path, [_entry("gone.txt")])
    _fails(path, str(tmp_path / "gone.txt"), "file not found", "'a'")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \n\n"])
def test_empty_file(tmp_path, data):
    path = _manifest(tmp_path, [_entry(data=data)], {"a.txt": data})
    _fails(path, str(tmp_path / "a.txt"), "file is empty", "'a'")


def test_not_utf8_says_at_which_byte(tmp_path):
    data = b"Shanghai " + "città".encode("latin-1")
    path = _manifest(tmp_path, [_entry(data=data)], {"a.txt": data})
    _fails(path, str(tmp_path / "a.txt"), "not valid UTF-8 at byte 13", "0xe0", "'a'")


def test_checksum_mismatch_shows_expected_and_actual(tmp_path):
    good = _entry()
    edited = TEXT.replace("chips", "chip").encode()
    path = _manifest(tmp_path, [good], {"a.txt": edited})
    _fails(
        path,
        str(tmp_path / "a.txt"),
        "checksum mismatch",
        "'a'",
        f"expected {good['sha256']}",
        f"actual {hashlib.sha256(edited).hexdigest()}",
    )


def test_read_text_rechecks_the_file(tmp_path):
    path = _manifest(tmp_path, [_entry()])
    (source,) = load_manifest(path)
    (tmp_path / "a.txt").write_text("changed since loading\n", encoding="utf-8")
    with pytest.raises(InputError, match="checksum mismatch"):
        read_text(source, tmp_path)


def test_source_is_plain_data():
    s = Source(
        id="a",
        title="t",
        outlet="o",
        url="u",
        date="2025-01",
        period="2025",
        language="zh",
        kind="primary",
        file="x.md",
        sha256="0" * 64,
    )
    assert (s.fmt, s.retells, s.note) == ("md", None, None)


def test_period_is_a_year_or_a_range_and_reaches_the_table(tmp_path):
    """An unquoted YAML year reads as the same text as a quoted one."""
    other = b"Anhui backs fusion.\n"
    b = _entry("b.txt", other, id="b", period="2026-2030")
    path = _manifest(tmp_path, [_entry(period=2025), b], {"a.txt": TEXT.encode(), "b.txt": other})
    first, second = load_manifest(path)
    assert (first.period, second.period) == ("2025", "2026-2030")
    assert (period_years(first.period), period_years(second.period)) == (
        (2025, 2025),
        (2026, 2030),
    )
    empty = pd.DataFrame({"source_id": pd.Series([], dtype=str)})
    table = sources_table([first, second], {}, empty, empty)
    assert table["period"].tolist() == ["2025", "2026-2030"]


def test_misspelt_field_named_with_the_closest_known_field(tmp_path):
    entry = _entry()
    entry["langauge"] = entry.pop("language")
    path = _manifest(tmp_path, [entry])
    _fails(
        path,
        "entry 'a'",
        "missing required field(s): language",
        "unknown field(s): 'langauge'",
        "'langauge' is closest to known field 'language'",
    )


def test_every_problem_of_an_entry_reported_at_once(tmp_path):
    entry = {k: v for k, v in _entry(date="2025/01", kind="blog", colour="red").items()}
    del entry["outlet"]
    path = _manifest(tmp_path, [entry])
    message = _fails(
        path,
        "missing required field(s): outlet",
        "unknown field(s): 'colour'",
        "date '2025/01' is not YYYY-MM-DD or YYYY-MM",
        "unknown kind 'blog'",
    )
    assert "\n" not in message


def test_chain_of_a_translation_reaches_the_sources_table(tmp_path):
    chain = {
        "original": {"outlet": "Adnkronos", "language": "it", "author": "A. Rossi"},
        "via": [
            {"outlet": "corrieretoscano.it", "role": "republication"},
            {
                "outlet": "morningexpress.in",
                "role": "translation",
                "language": "en",
                "machine": True,
            },
        ],
    }
    other = b"Anhui backs fusion.\n"
    files = {"a.txt": TEXT.encode(), "b.txt": other}
    path = _manifest(tmp_path, [_entry(**chain), _entry("b.txt", other, id="b")], files)
    sources = load_manifest(path)
    empty = pd.DataFrame({"source_id": pd.Series([], dtype=str)})
    table = sources_table(sources, {}, empty, empty).set_index("source_id")
    row = table.loc["a"]
    assert (row.author_outlet, row.original_outlet, row.original_language, row.original_author) == (
        "Adnkronos",
        "Adnkronos",
        "it",
        "A. Rossi",
    )
    assert (row.translated_by, row.republished_by, row.machine_translation) == (
        "morningexpress.in",
        "corrieretoscano.it",
        True,
    )
    other = table.loc["b"]
    assert other.author_outlet == "O" and pd.isna(other.original_outlet)
    assert not other.machine_translation


@pytest.mark.parametrize(
    ("chain", "needles"),
    [
        ({"via": [{"outlet": "x", "role": "translation", "language": "en"}]}, ["`via` needs"]),
        (
            {"original": {"outlet": "Adnkronos", "language": "it"}},
            ["original is in it", "language is en", "add the translation to `via`"],
        ),
        (
            {
                "original": {"outlet": "A", "language": "it"},
                "via": [{"outlet": "x", "role": "translation"}],
            },
            ["via #1 ('x'): a translation names the `language`"],
        ),
        (
            {
                "original": {"outlet": "A", "language": "en"},
                "via": [{"outlet": "x", "role": "republication", "machine": True}],
            },
            ["`machine` applies to a translation only"],
        ),
        (
            {"original": {"outlet": "A", "language": "Italian"}},
            ["language 'Italian' is not an ISO 639 code"],
        ),
        (
            {
                "original": {"outlet": "A", "language": "it"},
                "via": [{"outlet": "x", "role": "translator", "language": "en"}],
            },
            ["via entry #1: unknown role 'translator'", "translation, republication"],
        ),
        ({"original": {"outlet": "A", "language": "en", "writer": "B"}}, ["'original.writer'"]),
    ],
)
def test_bad_chain_names_the_problem(tmp_path, chain, needles):
    path = _manifest(tmp_path, [_entry(**chain)])
    _fails(path, "entry ", *needles)


def test_seed_names_its_chain():
    seed = load_manifest(catalogue.path("manifest"))[0]
    assert seed.author_outlet == "Adnkronos" and seed.original.language == "it"
    assert [(v.outlet, v.role, v.machine) for v in seed.via] == [
        ("morningexpress.in", "translation", True)
    ]


def test_one_file_or_the_same_bytes_under_two_ids_is_refused(tmp_path):
    """One source under two ids would count as two corroborating sources."""
    files = {"a.txt": TEXT.encode(), "copy.txt": TEXT.encode()}
    path = _manifest(tmp_path, [_entry(), _entry(id="b", url="https://example.org/b")], files)
    message = _fails(path, "entries 'a' and 'b' name the same file (a.txt)", "one entry")
    assert "\n" not in message
    copy = _entry("copy.txt", id="b", url="https://example.org/b")
    path = _manifest(tmp_path, [_entry(), copy], files)
    _fails(path, "entries 'a' and 'b' name a file of the same content (copy.txt)")


def test_retellings_in_a_circle_are_refused_with_every_problem_at_once(tmp_path):
    texts = {f"{n}.txt": f"Shanghai backs chips, says {n}.\n".encode() for n in "abcd"}
    entries = [
        _entry(f"{n}.txt", texts[f"{n}.txt"], id=n, url=f"https://example.org/{n}", retells=r)
        for n, r in zip("abcd", ["b", "c", "a", "nowhere"], strict=True)
    ]
    message = _fails(
        _manifest(tmp_path, entries, texts),
        "entry 'd': retells 'nowhere', which is not another id",
        "retells go round in a circle ('a' -> 'b' -> 'c' -> 'a'); one must be the original",
    )
    assert message.count("round in a circle") == 1 and "\n" not in message
