"""Hostile input against the engine (issue 14): files outside the project, YAML bombs, huge or
odd texts, quadratic patterns. Each case ends with one clear ``InputError`` line, or the text is
normalised so it cannot break out later. The runner's cases are in test_pipeline.py; the
report's (escaping, typst root) in test_security_render.py."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.codebook.book import load_codebook
from helpers.coding.rules import code_sentences
from helpers.engine import catalogue, paths
from helpers.engine.errors import InputError, clip
from helpers.engine.yamlio import MAX_YAML_BYTES, read_yaml
from helpers.framing.claims import load_framing_codebook
from helpers.ingest import segment, text
from helpers.ingest.sources import MAX_SOURCE_BYTES, load_manifest

BREAKOUT = (
    "Shanghai will prioritise integrated circuits in 2025"
    + "\u2028".join(["", "```", ":::", "```{=typst}", 'LEAKED #read("/etc/hostname")', "```", ""])
    + "and beyond.\n"
)


def _project(tmp_path: Path, files: dict[str, bytes | str], kind: str = "primary") -> Path:
    """A raw folder with a manifest listing ``files`` (text sources, or one reference .csv)."""
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (name, data) in enumerate(files.items()):
        data = data.encode() if isinstance(data, str) else data
        if not (raw / name).is_symlink() and not (raw / name).exists():
            (raw / name).parent.mkdir(parents=True, exist_ok=True)
            (raw / name).write_bytes(data)
        entries.append(
            {
                "id": f"s{i}",
                "title": "T",
                "outlet": "O",
                "url": "https://example.org",
                "date": "2025-01-27",
                "period": "2025",
                "language": "en",
                "kind": "reference" if name.endswith(".csv") else kind,
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    (raw / "manifest.yaml").write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    (tmp_path / "corrections.yaml").write_text("corrections: []\n", encoding="utf-8")
    return raw / "manifest.yaml"


def _one_line(info: pytest.ExceptionInfo, *needles: str) -> str:
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    for needle in needles:
        assert needle in message, message
    return message


def _ingest(manifest: Path) -> dict:
    return text.ingest(manifest, manifest.parent.parent / "corrections.yaml", manifest.parent)


# -- 1. a source cannot break out of its line -----------------------------------------------


def test_line_separators_in_a_source_become_plain_line_breaks(tmp_path):
    tables = _ingest(_project(tmp_path, {"a.txt": BREAKOUT}))
    for name in ("paragraphs", "sentences"):
        for value in tables[name]["text"]:
            assert not set(value) & set("\u2028\u2029\x85\x0b\x0c\x00"), value
    first = tables["sentences"]["text"].iloc[0]
    assert first == "Shanghai will prioritise integrated circuits in 2025"


# -- 3. reads stay inside the project ---------------------------------------------------------


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the project holding a text a symlink could publish."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.txt").write_text("SECRET of the machine.\n", encoding="utf-8")
    return folder


def test_a_symlinked_source_file_leaving_the_raw_folder_is_refused(tmp_path, outside):
    raw = tmp_path / "project" / "raw"
    raw.mkdir(parents=True)
    (raw / "a.txt").symlink_to(outside / "secret.txt")
    manifest = _project(tmp_path / "project", {"a.txt": "SECRET of the machine.\n"})
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "a.txt", "leads outside", "manifest entry 's0'")


def test_a_symlinked_folder_in_the_raw_folder_is_refused(tmp_path, outside):
    raw = tmp_path / "project" / "raw"
    raw.mkdir(parents=True)
    (raw / "sub").symlink_to(outside)
    manifest = _project(tmp_path / "project", {"sub/secret.txt": "SECRET of the machine.\n"})
    with pytest.raises(InputError) as info:
        _ingest(manifest)
    _one_line(info, "sub/secret.txt", "leads outside")


def test_a_reference_table_symlinked_outside_is_refused(tmp_path, outside):
    (outside / "passwd.csv").write_text("fact_id\nroot:x:0:0\n", encoding="utf-8")
    raw = tmp_path / "project" / "raw"
    raw.mkdir(parents=True)
    (raw / "facts.csv").symlink_to(outside / "passwd.csv")
    manifest = _project(tmp_path / "project", {"facts.csv": "fact_id\nroot:x:0:0\n"})
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "facts.csv", "leads outside")


def test_a_symlink_inside_the_raw_folder_is_still_read(tmp_path):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    (manifest.parent / "b.txt").symlink_to(manifest.parent / "a.txt")
    spec = yaml.safe_load(manifest.read_text())
    spec["sources"][0]["file"] = "b.txt"
    manifest.write_text(yaml.safe_dump(spec))
    assert [s.file for s in load_manifest(manifest)] == ["b.txt"]


@pytest.mark.parametrize("name", ["manifest.yaml", "corrections.yaml"])
def test_a_yaml_file_symlinked_outside_its_folder_is_refused(tmp_path, outside, name):
    manifest = _project(tmp_path / "project", {"a.txt": "Shanghai backs chips.\n"})
    target = manifest if name == "manifest.yaml" else tmp_path / "project" / name
    (outside / name).write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside / name)
    with pytest.raises(InputError) as info:
        _ingest(manifest)
    _one_line(info, name, "leads outside")


# -- 4. limits -------------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_in_the_manifest_stops_at_once(tmp_path, monkeypatch):
    """Refused at the first anchor's parse event: nothing of the bomb is ever built."""
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    manifest.write_text(
        BOMB + "sources:\n  - {id: *i, title: T, outlet: O, url: u, date: 2025-01-27, "
        "language: en, kind: primary, file: a.txt, sha256: x}\n"
    )
    events: list[object] = []
    real_parse = yaml.parse

    def counted(*args, **kwargs):
        for event in real_parse(*args, **kwargs):
            events.append(event)
            yield event

    def never(*args, **kwargs):
        raise AssertionError("the bomb reached the YAML constructor")

    monkeypatch.setattr(yaml, "parse", counted)
    monkeypatch.setattr(yaml, "load", never)
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    assert len(events) <= 6  # stream, document, mapping, a key, the anchored sequence
    _one_line(info, "manifest.yaml", "anchors and aliases", "line 1")


@pytest.mark.parametrize("name", ["places.yaml", "sectors.yaml", "framing.yaml"])
def test_an_alias_bomb_in_a_codebook_stops_at_once(tmp_path, name):
    for own in ("places.yaml", "sectors.yaml", "framing.yaml"):
        source = catalogue.path("codebook") / own
        (tmp_path / own).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / name).write_text(BOMB + (tmp_path / name).read_text(encoding="utf-8"))
    with pytest.raises(InputError) as info:
        if name == "framing.yaml":
            load_framing_codebook(tmp_path / name)
        else:
            load_codebook(tmp_path)
    _one_line(info, name, "anchors and aliases")


def test_a_key_given_twice_in_a_codebook_is_refused_naming_the_file_and_the_key(tmp_path):
    """YAML keeps the last of two keys: a second `regions:` would drop the first's regions."""
    for own in ("places.yaml", "sectors.yaml"):
        source = catalogue.path("codebook") / own
        (tmp_path / own).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    places = tmp_path / "places.yaml"
    lines = places.read_text(encoding="utf-8").splitlines()
    first = lines.index("regions:") + 1
    places.write_text("\n".join(lines) + "\nregions: []\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_codebook(tmp_path)
    _one_line(
        info,
        "places.yaml: duplicate key 'regions' at line",
        f"(first at line {first}, column 1)",
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("sources:\n  - id: a\n    url: https://a\n    url: https://b\n", "'url' at line 4"),
        ("sources: [{id: a, id: b}]\n", "'id' at line 1, column 19"),
        ("sources: []\nsources: []\n", "'sources' at line 2"),
    ],
)
def test_a_key_given_twice_in_any_yaml_input_is_one_line(tmp_path, text, key):
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(path, "manifest")
    _one_line(info, f"{path}: duplicate key {key}", "give each key once")


def test_a_yaml_file_over_the_size_cap_is_refused_before_parsing(tmp_path):
    big = tmp_path / "manifest.yaml"
    big.write_text("sources: []\n" + "#" * MAX_YAML_BYTES, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(big, "manifest")
    _one_line(info, "manifest.yaml", "more than the limit")


def test_yaml_errors_are_one_line_with_the_position(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(InputError) as info:
        read_yaml(bad, "thing")
    _one_line(info, "x.yaml", "malformed YAML", "line")


def test_error_messages_never_format_an_unbounded_value():
    nested: list = ["x" * 10_000]
    for _ in range(50):
        nested = [nested] * 10
    assert len(clip(nested)) <= 80
    assert len(clip("y" * 1_000_000)) <= 80


def test_a_long_value_in_a_manifest_field_is_clipped_in_the_message(tmp_path):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    spec = yaml.safe_load(manifest.read_text())
    spec["sources"][0]["title"] = [["t" * 10_000 for _ in range(10)] for _ in range(10)]
    manifest.write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "field `title` must be text")


def test_a_source_over_the_size_limit_is_refused_with_one_line(tmp_path):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips. " * (MAX_SOURCE_BYTES // 20)})
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "a.txt", "more than the limit", "manifest entry 's0'")


def test_a_pipe_listed_as_a_source_stops_at_once_naming_it(tmp_path, fifo):
    (tmp_path / "raw").mkdir()
    fifo(tmp_path / "raw" / "b.txt")
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n", "b.txt": ""})
    for read in (load_manifest, _ingest):
        with pytest.raises(InputError) as info:
            read(manifest)
        _one_line(info, "b.txt", "device or pipe, not a regular file", "manifest entry 's1'")


@pytest.mark.parametrize("name", ["manifest.yaml", "corrections.yaml"])
def test_a_pipe_in_place_of_a_yaml_input_stops_at_once_naming_it(tmp_path, fifo, name):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    fifo(manifest if name == "manifest.yaml" else tmp_path / name)
    with pytest.raises(InputError) as info:
        _ingest(manifest)
    _one_line(info, name, "device or pipe, not a regular file")


def test_a_device_listed_as_a_source_stops_at_once_naming_it(tmp_path):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    (tmp_path / "raw" / "a.txt").unlink()
    (tmp_path / "raw" / "a.txt").symlink_to("/dev/zero")  # inside() refuses: it leaves raw/
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "a.txt", "leads outside")


@pytest.mark.parametrize(
    ("unit", "end"), [(".", "x"), ("!", "x"), ("?!.", "x"), ("a. ", ""), ("(", "")]
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_sentence_ends_are_linear_on_long_runs_of_punctuation(unit, end, language, linear_work):
    """Counted calls, not seconds (the matches' own steps are timed in ``make bench``)."""

    def paragraph(n: int) -> str:
        return "It begins " + unit * n + end + " and Ends here. Then more."

    long = paragraph(100_000 // len(unit))
    assert all(0 < c < len(long) for c in text.sentence_cuts(long, language))
    linear_work(lambda p: text.sentence_cuts(p, language), paragraph, 2_000, (segment,))


def test_segmenting_a_large_source_of_punctuation_runs_is_linear(linear_work):
    def body(repeats: int) -> str:
        return ("Dots" + "." * 5_000 + "x. Bang" + "!" * 5_000 + "y. ") * repeats

    _, sentences = text.segment_source("s", body(20), "en")  # ~200k characters
    assert len(sentences) == 40
    linear_work(lambda b: text.segment_source("s", b, "en"), body, 5, (segment,))


# -- 5./6. hostile characters are normalised at ingest, not found later -----------------------


def test_a_nul_byte_and_other_controls_are_removed_at_ingest_with_exact_raw_offsets(tmp_path):
    raw_text = "Shanghai\x00 backs\x07 chips.\x1b Guangdong backs robots.\n"
    tables = _ingest(_project(tmp_path, {"a.txt": raw_text}))
    sentences = tables["sentences"]
    assert sentences["text"].tolist() == ["Shanghai backs chips.", "Guangdong backs robots."]
    first = sentences.iloc[0]
    assert raw_text[first.raw_start : first.raw_end] == "Shanghai\x00 backs\x07 chips."


@pytest.mark.parametrize(
    "place",
    [
        "Ｓｈａｎｇｈａｉ",
        "Shang\u200bhai",
        "Shang\u00adhai",
        "\u202eShanghai\u202c",
        "\ufeffShanghai",
    ],
)
def test_hidden_or_full_width_characters_do_not_lose_the_coding(tmp_path, place):
    raw_text = f"{place} will prioritise integrated circuits in 2025.\n"
    tables = _ingest(_project(tmp_path, {"a.txt": raw_text}))
    sentence = tables["sentences"].iloc[0]
    assert sentence.text == "Shanghai will prioritise integrated circuits in 2025."
    raw_span = raw_text.removeprefix("\ufeff")[sentence.raw_start : sentence.raw_end]
    assert text.normalise(raw_span).text == sentence.text
    codings = code_sentences(tables["sentences"], load_codebook(catalogue.path("codebook")))[
        "codings"
    ]
    assert "shanghai" in set(codings["place_id"].str.lower()), codings


def test_chinese_full_width_punctuation_is_kept():
    raw_text = "上海，重点发展集成电路！２０２５年：ＡＩ。（试点）"
    norm = text.normalise(raw_text)
    assert norm.text == "上海，重点发展集成电路！2025年：AI。（试点）"
    assert text.sentence_cuts(norm.text, "zh") == [12, 21]


@pytest.mark.parametrize(
    "content", ["\u3000\u3000\n", "\u00a0 \u00a0\n", "\u200b\ufeff\u2028\n", "\x00\x0b\x0c"]
)
def test_a_file_of_only_white_space_of_any_kind_is_empty(tmp_path, content):
    manifest = _project(tmp_path, {"a.txt": content})
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "a.txt", "file is empty")


@pytest.mark.parametrize("field", ["title", "outlet", "note"])
def test_a_manifest_field_with_a_line_separator_or_control_is_refused(tmp_path, field):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    spec = yaml.safe_load(manifest.read_text())
    spec["sources"][0][field] = 'Shanghai\u2028```{=typst}\u2028#read("/etc/hostname")'
    manifest.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(manifest)
    _one_line(info, "manifest.yaml", f"field `{field}`", "U+2028")


def test_a_repair_cannot_bring_back_what_ingest_removes(tmp_path):
    manifest = _project(tmp_path, {"a.txt": "Shanghai backs chips.\n"})
    (tmp_path / "corrections.yaml").write_text(
        yaml.safe_dump(
            {
                "corrections": [
                    {
                        "id": "c1",
                        "source": "s0",
                        "found": "chips",
                        "replacement": "chips\u2028```{=typst}",
                        "action": "repair",
                        "reason": "r",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        _ingest(manifest)
    _one_line(info, "corrections.yaml", "correction 'c1'", "U+2028")


# -- 7. the CI workflow and the lock ------------------------------------------------------------

WORKFLOW = paths.ROOT / ".github" / "workflows" / "report.yml"


def _zizmor(workflow: Path) -> list[dict]:
    """zizmor's findings of medium or high severity on one workflow (offline audits only)."""
    exe = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if exe is None:
        pytest.skip("zizmor is not installed (it is in requirements.lock: run `make test`)")
    done = subprocess.run(
        [exe, "--offline", "--format", "json", "--min-severity", "medium", str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip(), done.stderr  # findings are JSON on stdout, even when there are some
    return json.loads(done.stdout)


def test_zizmor_finds_nothing_of_medium_or_high_severity_in_the_workflow():
    findings = _zizmor(WORKFLOW)
    assert findings == [], [f["ident"] for f in findings]


def test_zizmor_would_catch_an_unpinned_action_and_a_writable_token(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    assert {"unpinned-uses", "artipacked"} <= {f["ident"] for f in _zizmor(bad)}


def test_every_action_is_pinned_by_commit_with_its_tag_in_a_comment():
    uses = re.findall(r"uses:\s*(\S+)(.*)", WORKFLOW.read_text(encoding="utf-8"))
    assert uses
    for ref, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*#\s*v\d+(\.\d+)*\s*", rest), (ref, rest)
    spec = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert spec["permissions"] == {"contents": "read"}


def test_the_lock_carries_hashes_for_every_pin_and_make_installs_with_them():
    lines = (paths.ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pins = [i for i, line in enumerate(lines) if re.match(r"[A-Za-z0-9][\w.-]*==", line)]
    assert len(pins) > 50
    for i in pins:
        assert lines[i].rstrip().endswith("\\") and "--hash=sha256:" in lines[i + 1], lines[i]
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/install.sh" in makefile and "--generate-hashes" in makefile
    script = (paths.ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")
    installs = [line for line in script.splitlines() if re.search(r"pip install .*-r ", line)]
    assert len(installs) == 3  # uv's own entry, then the lock by uv, or by pip
    assert all("--require-hashes" in line for line in installs), installs


def test_the_installer_takes_uv_pinned_with_its_hashes_from_the_lock():
    entry = subprocess.run(
        ["bash", "scripts/install.sh", "--uv-entry"],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    lock = (paths.ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    (pin,) = [line for line in lock if line.startswith("uv==")]
    assert entry[0] == pin and re.fullmatch(r"uv==[\d.]+ \\", pin)
    assert len(entry) > 2 and all("--hash=sha256:" in line for line in entry[1:])
    assert not entry[-1].endswith("\\")  # the whole entry, and nothing after it


# -- tokens that reach pandoc ---------------------------------------------------------------


def test_a_huge_token_is_clipped_before_it_reaches_pandoc(linear_work):
    """Pandoc's typst writer is quadratic in a word's length: no cell hands it a long one."""
    from helpers.engine import escape

    limit = escape.MAX_TOKEN_CHARS
    cell = escape.markdown_cell("Shanghai " + "x" * 200_000 + " backs chips")
    assert max(len(token) for token in cell.split()) == limit + 1  # the token and its "…"
    assert cell == "Shanghai " + "x" * limit + "\u2026 backs chips"
    table = escape.markdown_table([["政" * 200_000, "a"]], ["evidence", "b"])
    assert max(len(token) for token in table.split()) <= limit + 1
    kept = "上海发展集成电路" * 120 + " and " + "y" * limit  # at the limit: unchanged
    assert escape.markdown_cell(kept) == kept
    linear_work(escape.markdown_cell, lambda n: ("ab " * n + "z" * n) * 3, 2_000, (escape,))


# -- hand-edited tables -----------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["\x07", "\x1b", "\x7f", "\u200b", "\u2028"])
def test_a_control_or_invisible_character_in_a_csv_cell_is_refused(tmp_path, hidden):
    from helpers.engine.models import read_csv

    path = tmp_path / "facts.csv"
    path.write_text(f'fact_id,claim\nF1,"Shanghai\tbacks\nchips"\nF2,Anhui{hidden} backs fusion\n')
    with pytest.raises(InputError) as info:
        read_csv(path, "facts table")
    code = f"U+{ord(hidden):04X}"
    _one_line(info, "facts.csv", "row 4, column 'claim'", code, "position 5")
    path.write_text('fact_id,claim\nF1,"Shanghai\tbacks\nchips"\n')  # tab and line feed: text
    assert read_csv(path, "facts table")["claim"].tolist() == ["Shanghai\tbacks\nchips"]
