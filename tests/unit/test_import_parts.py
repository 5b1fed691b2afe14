"""The import's parts without a database: checkpoints, the report, row fields, progress output."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from loyalty_server.imports import checkpoint
from loyalty_server.imports.checkpoint import Checkpoint, Counts
from loyalty_server.imports.fields import Columns, Refused, integer, text, timestamp
from loyalty_server.imports.progress import LINE_EVERY_S, Progress
from loyalty_server.imports.reader import Position, ReadError
from loyalty_server.imports.report import RefusedReport


def _checkpoint(**changes: object) -> Checkpoint:
    values: dict[str, object] = {
        "kind": "points",
        "source": "/data/points.csv",
        "file_format": "csv",
        "tenant": "default",
        "position": Position(1234, 56),
        "report_bytes": 78,
        "counts": Counts(read=55, imported=50, skipped=3, refused=2),
    }
    values.update(changes)
    return Checkpoint(**values)  # type: ignore[arg-type]


def test_checkpoint_round_trip_is_atomic(tmp_path) -> None:
    path = tmp_path / "points.csv.import-state.json"
    assert checkpoint.load(path) is None
    saved = _checkpoint()
    checkpoint.save(path, saved)
    assert checkpoint.load(path) == saved
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    checkpoint.save(path, _checkpoint(position=Position(2000, 90)))
    assert checkpoint.load(path).position == Position(2000, 90)
    checkpoint.remove(path)
    assert checkpoint.load(path) is None


@pytest.mark.parametrize("content", ["{not json", '{"version": 99}', '{"version": 1, "kind": "points"}'])
def test_damaged_checkpoint_is_a_read_error(tmp_path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(ReadError, match="use --restart"):
        checkpoint.load(path)


def test_negative_figures_in_a_checkpoint_are_refused(tmp_path) -> None:
    path = tmp_path / "state.json"
    checkpoint.save(path, _checkpoint())
    document = json.loads(path.read_text())
    document["position"]["offset"] = -1
    path.write_text(json.dumps(document))
    with pytest.raises(ReadError):
        checkpoint.load(path)


def test_checkpoint_identity() -> None:
    assert _checkpoint().matches(_checkpoint(position=Position(1, 1), report_bytes=0))
    assert not _checkpoint().matches(_checkpoint(tenant="Germany"))
    assert not _checkpoint().matches(_checkpoint(kind="members"))


def test_report_continues_cut_back_to_the_checkpoint(tmp_path) -> None:
    path = tmp_path / "refused.csv"
    report = RefusedReport(path)
    report.refuse(2, "r1", "INVALID_VALUE", 'points: "x", not a number')
    kept = report.bytes
    report.refuse(3, "r2", "MEMBER_NOT_FOUND", "written after the checkpoint")
    report.close()
    assert path.stat().st_size == report.bytes
    again = RefusedReport(path, keep_bytes=kept)
    again.refuse(3, "r2", "MEMBER_NOT_FOUND", "no member")
    again.close()
    assert path.read_text().splitlines() == [
        "line,id,reason,message",
        '2,r1,INVALID_VALUE,"points: ""x"", not a number"',
        "3,r2,MEMBER_NOT_FOUND,no member",
    ]
    assert RefusedReport(path).bytes == len("line,id,reason,message\n")  # a new report starts over


def test_text_and_integer_fields() -> None:
    values = {"a": "  x ", "n": 7, "s": " 12 ", "bad": "1.5", "flag": True, "big": "9" * 30}
    assert text(values, "a") == "x"
    assert text(values, "missing") == ""
    assert text(values, "n") == "7"
    assert integer(values, "n") == 7
    assert integer(values, "s") == 12
    assert integer({"m": "-3"}, "m") == -3
    for name in ("bad", "flag", "big"):
        with pytest.raises(Refused) as raised:
            integer(values, name)
        assert raised.value.reason == "INVALID_VALUE"
    with pytest.raises(Refused) as raised:
        text(values, "missing", required=True)
    assert (raised.value.reason, raised.value.message) == ("MISSING_VALUE", "missing is required")


def test_timestamps_need_an_offset() -> None:
    assert timestamp({"t": "2026-03-01T12:00:00+01:00"}, "t") == dt.datetime(2026, 3, 1, 11, tzinfo=dt.UTC)
    assert timestamp({"t": "2026-03-01T12:00:00Z"}, "t") == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert timestamp({"t": ""}, "t") is None
    for given in ("2026-03-01T12:00:00", "yesterday"):
        with pytest.raises(Refused) as raised:
            timestamp({"t": given}, "t")
        assert raised.value.reason == "INVALID_VALUE"


def test_columns() -> None:
    columns = Columns(required=("row_id", "points"), optional=("reason",))
    columns.check_header(["points", "row_id"], "f.csv")
    with pytest.raises(ReadError) as raised:
        columns.check_header(["row_id", "pionts"], "f.csv")
    assert str(raised.value) == (
        "f.csv: bad header: missing column(s) points; "
        "unknown column(s) pionts (known: row_id, points, reason)"
    )
    with pytest.raises(Refused) as refused:
        columns.check_keys({"row_id": "1"})
    assert refused.value.reason == "BAD_COLUMNS"


class _Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_without_a_terminal_prints_a_line_now_and_then() -> None:
    stream, ticks = io.StringIO(), _Ticks()
    progress = Progress(stream, total_bytes=1000, is_tty=False, monotonic=ticks)
    progress.update(Counts(read=1, imported=1), 10)
    assert stream.getvalue() == ""  # too soon
    ticks.now = LINE_EVERY_S
    progress.update(Counts(read=20, imported=19, refused=1), 500)
    assert stream.getvalue() == "import:  50.0%  20 rows (19 imported, 0 skipped, 1 refused)  2 rows/s\n"
    progress.finish(Counts(read=40, imported=39, refused=1), 1000)
    assert "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines()[-1].startswith("import: 100.0%  40 rows")


def test_progress_on_a_terminal_redraws_a_bar() -> None:
    stream, ticks = io.StringIO(), _Ticks()
    progress = Progress(stream, total_bytes=100, is_tty=True, rows_before=10, monotonic=ticks)
    ticks.now = 1.0
    progress.update(Counts(read=30, imported=30), 50)
    assert stream.getvalue().startswith("\r[" + "#" * 15 + "." * 15 + "]  50.0%  30 rows")
    assert "20 rows/s" in stream.getvalue()  # the 10 rows of an earlier run are not in the rate
    progress.finish(Counts(read=30, imported=30), 100)
    assert stream.getvalue().endswith("\n")
