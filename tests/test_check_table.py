"""models.read_csv and models.check_table: a hand-edited CSV read once, checked by a pandera
schema, every problem one line naming the file, the row by its line in the file, the column and
what is wrong."""

from __future__ import annotations

import pandera.pandas as pa
import pytest

from helpers.engine.errors import InputError
from helpers.engine.models import check_table, read_csv

SCHEMA = pa.DataFrameSchema(
    {
        "item": pa.Column(str, unique=True),
        "colour": pa.Column(str, pa.Check.isin(["red", "blue"])),
        "size": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: (df["colour"] != "blue") | df["size"].notna(),
            error="a blue item needs size",
        )
    ],
    strict=True,
    ordered=True,
)
HEADER = "item,colour,size\n"


def _checked(tmp_path, text: str, **kwargs):
    path = tmp_path / "items.csv"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return check_table(SCHEMA, read_csv(path, "items table"), path, **kwargs), path


def _problem(tmp_path, text: str, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        _checked(tmp_path, text, **kwargs)
    message = str(info.value)
    assert message.startswith(str(tmp_path / "items.csv") + ": "), message
    assert "\n" not in message, message
    return info.value.problem


def test_a_good_table_comes_back_indexed_by_line_with_empty_cells_missing(tmp_path):
    table, _ = _checked(tmp_path, HEADER + " a , red ,\n\nb,blue,L\n")
    assert table.index.tolist() == [2, 4]
    assert table["item"].tolist() == ["a", "b"]
    assert table["size"].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    "body, problem",
    [
        ("a,red,\nb,mauve,S\n", "row 3: unknown colour 'mauve' (expected one of red, blue)"),
        ("a,red,\n,blue,S\n", "row 3: item is required"),
        ("a,red,\nb,red,\na,blue,S\n", "row 2: duplicate item 'a' (also row 4)"),
        ("a,red,\nb,blue,\n", "row 3: a blue item needs size"),
        ("a,red,\nb,red,S,x\n", "row 3: 4 cells, but the header names 3 columns"),
        ("a,red\n", "row 2: 2 cells, but the header names 3 columns"),
    ],
)
def test_a_bad_row_is_named_by_its_line(tmp_path, body, problem):
    assert _problem(tmp_path, HEADER + body) == problem


def test_the_first_bad_row_in_the_file_is_reported_whatever_the_check(tmp_path):
    # row 2 fails a later column's check, row 3 an earlier one: the file's order decides
    assert _problem(tmp_path, HEADER + "a,blue,\n,red,\n") == "row 2: a blue item needs size"


def test_lines_count_blank_lines_and_cells_over_several_lines(tmp_path):
    body = 'a,red,"two\nlines"\n\n\nb,mauve,\n'
    assert _problem(tmp_path, HEADER + body).startswith("row 6: unknown colour 'mauve'")


def test_a_row_can_be_named_by_its_key(tmp_path):
    problem = _problem(tmp_path, HEADER + "a,red,\nb,mauve,\n", named=("item", "item"))
    assert problem == "item 'b' (row 3): unknown colour 'mauve' (expected one of red, blue)"
    problem = _problem(tmp_path, HEADER + "a,red,\n,mauve,\n", named=("item", "item"))
    assert problem.startswith("row 3: item is required")  # no key to name it by


@pytest.mark.parametrize(
    "header, problem",
    [
        ("item,colour\n", "missing column(s): 'size'"),
        ("item,colour,size,note\n", "unknown column(s): 'note'"),
        ("item,size,colour\n", "columns out of order"),
        ("item,colour,note\n", "missing column(s): 'size'; unknown column(s): 'note'"),
    ],
)
def test_columns_are_reported_together_before_any_row(tmp_path, header, problem):
    text = header + ",".join(["a", "mauve", "", "x"][: header.count(",") + 1]) + "\n"
    assert _problem(tmp_path, text) == (
        f"{problem} (expected columns in this order: item, colour, size)"
    )


@pytest.mark.parametrize(
    "content, problem",
    [
        ("", "items table has no header line"),
        ("item,colour,item\n", "duplicate column(s): 'item'"),
        (b"item,colour,size\n\xff,red,\n", "not valid UTF-8 at byte 17"),
        ('item,colour,size\n"a"b,red,\n', "unreadable CSV"),
    ],
)
def test_an_unreadable_file_is_one_line(tmp_path, content, problem):
    assert _problem(tmp_path, content).startswith(problem)


def test_a_missing_file_and_a_folder_are_named(tmp_path):
    with pytest.raises(InputError, match="items table not found"):
        read_csv(tmp_path / "nope.csv", "items table")
    with pytest.raises(InputError, match="items table is a folder"):
        read_csv(tmp_path, "items table")


def test_a_csv_reached_through_a_symlink_out_of_its_folder_is_refused(tmp_path):
    """The CSV inputs share the YAML files' reader (helpers.engine.paths.read_input)."""
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "adjudications.csv").symlink_to(secret)
    with pytest.raises(InputError, match="leads outside"):
        read_csv(tmp_path / "annotations" / "adjudications.csv", "adjudications file")


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    table, _ = _checked(tmp_path, "\ufeff" + HEADER + "a,red,\n")
    assert list(table.columns) == ["item", "colour", "size"]


def test_a_hostile_value_stays_on_one_line_and_bounded(tmp_path):
    value = "x\u2028" + "y" * 500
    problem = _problem(tmp_path, HEADER + f'a,"{value}\n{value}",\n')
    assert problem.startswith("row 2, column 'colour': holds the invisible or control character")
    assert "U+2028" in problem and len(problem) < 200
    value = "x" + "y" * 500  # no hidden character: the schema's message, clipped
    problem = _problem(tmp_path, HEADER + f'a,"{value}\n{value}",\n')
    assert problem.startswith("row 2: unknown colour 'xyyy") and len(problem) < 200
