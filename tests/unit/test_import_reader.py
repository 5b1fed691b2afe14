"""Reading import files: CSV and JSON Lines, line numbers, offsets, bad lines, BOM, resuming."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalty_server.imports.reader import LINE_BYTES_MAX, Position, ReadError, RowFile, format_for


def _rows(path: Path, file_format: str, start: Position | None = None) -> list:
    with RowFile(path, file_format) as rows_file:
        return list(rows_file.rows(start))


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_csv_rows_with_line_numbers_and_offsets(tmp_path) -> None:
    content = b'a,b\n1,2\n\n"multi\nline",3\n,\n4,5'
    path = _write(tmp_path, "f.csv", content)
    with RowFile(path, "csv") as rows_file:
        assert rows_file.columns == ("a", "b")
        rows = list(rows_file.rows())
    assert [(row.line, row.values) for row in rows] == [
        (2, {"a": "1", "b": "2"}),
        (4, {"a": "multi\nline", "b": "3"}),  # a quoted field spans two lines: the row starts at 4
        (7, {"a": "4", "b": "5"}),  # the blank line 3 and the empty line 6 are not rows
    ]
    assert all(row.problem is None for row in rows)
    assert [row.end for row in rows] == [
        Position(content.index(b"\n\n") + 1, 2),
        Position(content.index(b",\n4"), 5),
        Position(len(content), 7),
    ]


def test_csv_bom_and_crlf(tmp_path) -> None:
    path = _write(tmp_path, "f.csv", b"\xef\xbb\xbfloyalty_id,email\r\nC1,a@example.com\r\n")
    with RowFile(path, "csv") as rows_file:
        assert rows_file.columns == ("loyalty_id", "email")
        (row,) = rows_file.rows()
    assert row.values == {"loyalty_id": "C1", "email": "a@example.com"}


def test_csv_bad_lines_become_refused_rows_and_reading_goes_on(tmp_path) -> None:
    long_line = b"x" * (LINE_BYTES_MAX + 10) + b",1\n"
    content = b"a,b\n1,2,3\n" + b'"a"b,1\n' + b"\xff\xfe,1\n" + long_line + b"5,6\n"
    rows = _rows(_write(tmp_path, "f.csv", content), "csv")
    assert [(row.line, row.problem.reason if row.problem else None) for row in rows] == [
        (2, "WRONG_FIELD_COUNT"),
        (3, "MALFORMED_LINE"),
        (4, "NOT_UTF8"),
        (5, "LINE_TOO_LONG"),
        (6, None),
    ]
    assert rows[0].problem.message == "3 fields, the header has 2"
    assert rows[-1].values == {"a": "5", "b": "6"}
    assert rows[-1].end == Position(len(content), 6)


def test_csv_unclosed_quote_reports_the_lines_it_swallowed(tmp_path) -> None:
    rows = _rows(_write(tmp_path, "f.csv", b'a,b\n"open,1\n2,3\n'), "csv")
    (row,) = rows
    assert row.problem is not None
    assert row.problem.reason == "MALFORMED_LINE"
    assert row.problem.message.startswith("lines 2-3: ")


def test_csv_resumes_from_a_position(tmp_path) -> None:
    path = _write(tmp_path, "f.csv", b"a\n1\n2\n3\n")
    first, second, _third = _rows(path, "csv")
    rest = _rows(path, "csv", first.end)
    assert [(row.line, row.values["a"]) for row in rest] == [(3, "2"), (4, "3")]
    assert rest[0].end == second.end


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file, expected a header line"),
        (b"a,,b\n", "the header has an empty column name"),
        (b"a,b,a\n", "the header repeats a"),
        (b"\xff\n", "unreadable header (line 1 is not UTF-8 (byte 1))"),
    ],
)
def test_csv_bad_header_is_fatal(tmp_path, content: bytes, message: str) -> None:
    path = _write(tmp_path, "f.csv", content)
    with pytest.raises(ReadError) as raised:
        RowFile(path, "csv")
    assert str(raised.value) == f"{path}: {message}"


def test_unreadable_file_is_fatal(tmp_path) -> None:
    with pytest.raises(ReadError, match="cannot read it"):
        RowFile(tmp_path / "missing.csv", "csv")


def test_jsonl_rows(tmp_path) -> None:
    content = b'\xef\xbb\xbf{"a": 1}\n\n[1]\n{"a": \n  \n{"a": "x", "b": null}'
    path = _write(tmp_path, "f.jsonl", content)
    with RowFile(path, "jsonl") as rows_file:
        assert rows_file.columns is None
        rows = list(rows_file.rows())
    assert [(row.line, row.values, row.problem.reason if row.problem else None) for row in rows] == [
        (1, {"a": 1}, None),
        (3, {}, "NOT_AN_OBJECT"),
        (4, {}, "MALFORMED_LINE"),
        (6, {"a": "x", "b": None}, None),
    ]
    resumed = _rows(path, "jsonl", rows[1].end)
    assert [row.line for row in resumed] == [4, 6]


def test_format_by_extension() -> None:
    assert format_for(Path("x.jsonl"), None) == "jsonl"
    assert format_for(Path("x.NDJSON"), None) == "jsonl"
    assert format_for(Path("x.csv"), None) == "csv"
    assert format_for(Path("x.txt"), None) == "csv"
    assert format_for(Path("x.csv"), "jsonl") == "jsonl"
