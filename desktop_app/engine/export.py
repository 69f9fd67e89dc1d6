"""R28: the skipped records of a run as CSV for spreadsheet apps.

UTF-8 with a BOM (so Excel reads accents), a header row, and every cell that a spreadsheet
would run as a formula (starting with = + - @, a tab or a CR) neutralised with a leading
apostrophe (OWASP "CSV injection"). The file is written to a temporary name and renamed, so a
full disk or a crash never leaves a half file under the chosen name.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

HEADER = ("Books contact id", "Name", "Email", "Reason code", "Reason", "Run time")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_skipped_csv(path: Path, rows: Iterable, run_time: datetime) -> int:
    """Write ``rows`` (objects with books_contact_id, name, email, reason_code, reason_message)."""
    path = Path(path)
    when = run_time.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".skipped-", suffix=".csv", dir=path.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for row in rows:
                writer.writerow([neutralise(v) for v in (row.books_contact_id, row.name, row.email,
                                                          row.reason_code, row.reason_message, when)])
                count += 1
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count
