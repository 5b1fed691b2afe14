"""`loyalty import members|points FILE` as an operator runs it: a real process, its summary, its
report, its exit status (0 all done, 2 rows refused, 1 fatal)."""

from __future__ import annotations

import json

from tests.integration.test_cli import run_cli

MEMBERS = "loyalty_id,email,given_name\nC1,ada@example.com,Ada\nC2,,Bob\n"
POINTS = (
    "row_id,loyalty_id,currency,points,source,reason_code,expires_at\n"
    "p1,C1,permanent,100,bonus,MIGRATION,\n"
    "p2,C2,temporary,20,bonus,MIGRATION,2099-01-01T00:00:00+00:00\n"
    "p3,C3,permanent,5,bonus,MIGRATION,\n"
)


def _summary(result) -> dict:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def test_import_members_and_points(tmp_path, database_url) -> None:
    members = tmp_path / "members.csv"
    members.write_text(MEMBERS)
    points = tmp_path / "points.csv"
    points.write_text(POINTS)
    db = ["--database-url", database_url]

    done = run_cli(tmp_path, "import", "members", str(members), *db)
    assert done.returncode == 0, done.stderr
    summary = _summary(done)
    assert {k: summary[k] for k in ("read", "imported", "skipped", "refused")} == {
        "read": 2,
        "imported": 2,
        "skipped": 0,
        "refused": 0,
    }
    assert summary["tenant"] == "default"
    assert done.stderr.startswith("import: 100.0%  2 rows")  # not a terminal: plain progress lines

    refused = run_cli(tmp_path, "import", "points", str(points), *db)
    assert refused.returncode == 2, refused.stderr
    assert (_summary(refused)["imported"], _summary(refused)["refused"]) == (2, 1)
    report = tmp_path / "points.csv.refused.csv"
    assert _summary(refused)["report"] == str(report)
    assert report.read_text().splitlines() == [
        "line,id,reason,message",
        "4,p3,MEMBER_NOT_FOUND,no member with this loyalty_id",
    ]

    again = run_cli(tmp_path, "import", "points", str(points), "--restart", *db)
    assert again.returncode == 2
    assert (_summary(again)["skipped"], _summary(again)["imported"]) == (2, 0)
    members_again = run_cli(tmp_path, "import", "members", str(members), *db)
    assert members_again.returncode == 0
    assert _summary(members_again)["skipped"] == 2


def test_fatal_errors_exit_1_in_one_line(tmp_path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'l.db'}"]
    bad_header = tmp_path / "points.csv"
    bad_header.write_text("row_id,loyalty_id,points\n1,C1,5\n")
    cases = [
        (["members", str(tmp_path / "missing.csv")], "missing.csv: cannot read it"),
        (["points", str(bad_header)], "bad header: missing column(s) currency, source, reason_code"),
        (["members", str(bad_header), "--tenant", "Nowhere"], "tenant Nowhere: not found"),
    ]
    for args, message in cases:
        result = run_cli(tmp_path, "import", *args, *db)
        assert result.returncode == 1, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("loyalty: error: ")
        assert message in line


def test_help(tmp_path) -> None:
    result = run_cli(tmp_path, "import", "points", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: loyalty import points")
    assert "--restart" in result.stdout
