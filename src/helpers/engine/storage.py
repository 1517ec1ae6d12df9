"""Atomic, deterministic writes: a stage either leaves a complete new file or the old one.

Every write goes to a temporary file in the destination folder and is renamed into place, so a
crash or an exception never leaves a half-written table, figure or text behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the runner writes its JSON record here without paying pandas' import
    import pandas as pd
    import pandera.pandas as pa

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(path: Path | str, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path | str, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj) -> Path:
    """JSON with sorted keys and a final newline, so equal objects give equal bytes."""
    return write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_table(
    df: pd.DataFrame, schema: pa.DataFrameSchema, path: Path | str, *, csv: bool = True
) -> pd.DataFrame:
    """Validate ``df`` against ``schema`` and write it to ``path`` (Parquet), a CSV beside it.

    Validation happens before anything is written, so a table that breaks its contract never
    reaches disk. Where a table lives is the catalogue's business (``helpers.engine.catalogue``).
    """
    validated = schema.validate(df.reset_index(drop=True), lazy=True)
    path = Path(path)
    with atomic_path(path) as tmp:
        validated.to_parquet(tmp, index=False)
    if csv:
        with atomic_path(path.with_suffix(".csv")) as tmp:
            validated.to_csv(tmp, index=False, lineterminator="\n")
    return validated


def read_table(schema: pa.DataFrameSchema, path: Path | str) -> pd.DataFrame:
    """Read the Parquet table at ``path`` and check it still meets its contract."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: table not found; run the stage that writes it first")
    return schema.validate(pd.read_parquet(path))
