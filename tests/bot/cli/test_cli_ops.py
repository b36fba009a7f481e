"""`komek offices`, `komek staff` and `komek appointments`: importing offices from YAML and from
an Excel-made CSV with its bad rows reported, staff accounts and tokens, and a day's visits."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from bot.cli.main import main
from bot.staff.accounts import Member, authenticate, check_password
from bot.storage.database import Database
from bot.storage.tables import AUDIT, OFFICES, STAFF
from tests.bot.conftest import book_a_visit

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_OFFICES = ROOT / "examples" / "offices.example.yaml"
EXAMPLE_IDS = ("example-astana-1", "example-almaty-1", "example-almaty-2", "example-turkistan-akim")
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # Thursday
VISIT_DAY = date(2026, 11, 30)  # Monday
PASSWORD = "a long enough password"
HEADER = (
    "id,region,kind,name_kk,name_ru,name_en,address_kk,address_ru,address_en,"
    "phone,days,hours,lunch,slot_minutes,seats,min_notice_hours,horizon_days"
)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KOMEK_DATABASE_URL", value)
    monkeypatch.setenv("KOMEK_STAFF_PASSWORD", PASSWORD)
    return value


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def in_database(url: str, work: Any) -> Any:
    """Run `work` in one transaction on the (already migrated) database."""

    async def go() -> Any:
        db = Database(url)
        try:
            return await db.run(work)
        finally:
            await db.close()

    return asyncio.run(go())


# -- offices -----------------------------------------------------------------------------------


def test_importing_the_example_offices_twice_adds_then_updates(url: str) -> None:
    code, out = run("offices", "import", str(EXAMPLE_OFFICES))
    assert code == 0
    assert "4 office(s) added, 0 updated" in out
    assert "rejected" not in out
    code, out = run("offices", "import", str(EXAMPLE_OFFICES))
    assert code == 0
    assert "0 office(s) added, 4 updated" in out

    code, out = run("offices", "list")
    assert code == 0
    for office_id in EXAMPLE_IDS:
        assert office_id in out
    assert out.count("(example)") == 4
    assert "Карьерный центр (пример) №1, Астана (example)" in out
    assert "seat(s) per 30 min" in out


def test_listing_no_offices_says_how_to_add_them(url: str) -> None:
    code, out = run("offices", "list")
    assert code == 0
    assert "no offices yet" in out


def _csv_row(office_id: str, region: str, hours: str, name: str) -> str:
    return (
        f"{office_id},{region},career_centre,{name},{name},{name},"
        f"ул. Ленина 1,ул. Ленина 1,ул. Ленина 1,"
        f"+7 7172 00 00 00,mon-fri,{hours},,30,2,2,14"
    )


def test_a_windows_1251_csv_adds_the_good_rows_and_reports_the_bad(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "offices.csv"
    lines = [
        HEADER,
        _csv_row("kostanay-1", "kostanay", "09:00-18:00", "Центр занятости Костанай"),
        _csv_row("mars-1", "mars", "09:00-18:00", "Центр занятости Марс"),
        _csv_row("karaganda-1", "karaganda", "18:00-09:00", "Центр занятости Караганда"),
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1251")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # truly Windows-1251, as Excel writes it

    code, out = run("offices", "import", str(path))
    assert code == 2
    assert "1 office(s) added, 0 updated" in out
    assert "rejected offices.csv: line 3: region: 'mars'" in out
    assert "rejected offices.csv: line 4: hours: ends before it starts" in out
    assert "line 2" not in out

    code, listed = run("offices", "list")
    assert code == 0
    assert "kostanay-1" in listed and "Центр занятости Костанай" in listed
    assert "mars-1" not in listed and "karaganda-1" not in listed
    assert "(example)" not in listed

    def record(connection: Connection) -> Any:
        o = OFFICES.c
        return connection.execute(select(o.record).where(o.id == "kostanay-1")).scalar_one()

    stored = in_database(url, record)
    assert stored["name"] == dict.fromkeys(("kk", "ru", "en"), "Центр занятости Костанай")
    assert stored["address"]["ru"] == "ул. Ленина 1"
    assert stored["lunch"] is None


def test_a_bad_csv_row_is_reported_by_its_line_in_the_file(url: str, tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    good = _csv_row("kostanay-1", "kostanay", "09:00-18:00", "Центр").replace(
        "ул. Ленина 1,ул", '"ул. Ленина 1\nкорпус 2",ул', 1
    )
    lines = [HEADER, "", good, _csv_row("mars-1", "mars", "09:00-18:00", "Марс")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run("offices", "import", str(path))
    assert code == 2
    assert "1 office(s) added" in out
    # The header is line 1, a blank line 2, the good record lines 3-4: the bad one is line 5.
    assert "rejected offices.csv: line 5: region:" in out


def test_a_csv_with_semicolons_as_excel_writes_it_is_read(url: str, tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    row = _csv_row("kostanay-1", "kostanay", "09:00-18:00", "Центр")
    path.write_text(f"{HEADER}\n{row}\n".replace(",", ";"), encoding="cp1251")
    code, out = run("offices", "import", str(path))
    assert code == 0, out
    assert "1 office(s) added" in out


def test_a_duplicate_id_in_one_file_is_rejected(url: str, tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    row = _csv_row("kostanay-1", "kostanay", "09:00-18:00", "Центр")
    path.write_text(f"{HEADER}\n{row}\n{row}\n", encoding="utf-8")
    code, out = run("offices", "import", str(path))
    assert code == 2
    assert "1 office(s) added" in out
    assert "rejected offices.csv: line 3: id kostanay-1 appears twice in the file" in out


def test_a_utf8_csv_with_a_bom_keeps_kazakh_letters(url: str, tmp_path: Path) -> None:
    path = tmp_path / "offices.CSV"
    row = (
        "aktobe-1,aktobe,career_centre,Мансап орталығы Ақтөбе,Карьерный центр Актобе,"
        "Career centre Aktobe,Әбілқайыр хан даңғылы 1,пр. Абулхаир хана 1,1 Abulkhair Khan Ave,"
        '+7 7132 00 00 00,"mon,tue,wed",09:00-17:00,13:00-14:00,20,1,2,10'
    )
    path.write_text(HEADER + "\n" + row + "\n", encoding="utf-8-sig")
    code, out = run("offices", "import", str(path))
    assert code == 0, out
    assert "1 office(s) added" in out
    code, listed = run("offices", "list")
    assert "aktobe-1" in listed


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("offices.txt", b"id,region\n", "offices come as .yaml or .csv"),
        ("offices.json", b"[]", "offices come as .yaml or .csv"),
        ("offices.yaml", b"just: a mapping\n", "expected a list of offices"),
        ("offices.yaml", b"a plain string\n", "expected a list of offices"),
        ("offices.yml", b"offices: 5\n", "expected a list of offices"),
        ("offices.yaml", b"- [unclosed\n", "not readable YAML"),
        ("offices.yaml", b"\xff\xfe- id: x\n", "not readable YAML"),
    ],
)
def test_an_office_file_of_the_wrong_kind_is_refused(
    url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    name: str,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out = run("offices", "import", str(path))
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert err.startswith("komek: ")
    assert message in err
    assert name in err


def test_a_missing_office_file_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, out = run("offices", "import", str(missing))
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert str(missing) in err
    assert "cannot be read" in err


def test_a_bad_record_in_yaml_is_reported_by_its_position(url: str, tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        EXAMPLE_OFFICES.read_text(encoding="utf-8").replace(
            "id: example-almaty-2", "id: Example Almaty 2"
        ),
        encoding="utf-8",
    )
    code, out = run("offices", "import", str(path))
    assert code == 2
    assert "3 office(s) added" in out
    assert "rejected two.yaml: office 3: id:" in out


# -- staff -------------------------------------------------------------------------------------


def test_adding_a_worker_stores_an_argon2_hash_of_the_password(url: str) -> None:
    code, out = run(
        "staff", "add", "anna", "--name", "Anna", "--role", "worker", "--region", "astana"
    )
    assert code == 0
    assert "staff member anna added" in out and "worker" in out

    def stored(connection: Connection) -> tuple[Any, Member | None, Member | None]:
        s = STAFF.c
        row = connection.execute(select(STAFF).where(s.username == "anna")).one()
        return (
            row,
            check_password(connection, "anna", PASSWORD),
            check_password(connection, "anna", PASSWORD + "!"),
        )

    row, good, bad = in_database(url, stored)
    assert row.name == "Anna" and row.role == "worker" and row.region == "astana"
    assert row.active
    assert row.password_hash.startswith("$argon2")
    assert PASSWORD not in row.password_hash
    assert good == Member(row.id, "anna", "Anna", "worker", "astana")
    assert bad is None


def test_the_password_may_come_on_standard_input(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOMEK_STAFF_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _ = run(
        "staff", "add", "bek", "--name", "Bek", "--role", "supervisor", "--region", "abai"
    )
    assert code == 0

    def check(connection: Connection) -> Member | None:
        return check_password(connection, "bek", PASSWORD)

    member = in_database(url, check)
    assert member is not None and member.role == "supervisor"


def test_an_admin_needs_no_region(url: str) -> None:
    code, out = run("staff", "add", "root", "--name", "Root Admin", "--role", "admin")
    assert code == 0, out


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["anna", "--name", "Anna", "--role", "worker", "--region", "astana"], "short", "password"),
        (["anna", "--name", "Anna", "--role", "worker"], PASSWORD, "needs a region"),
        (["anna", "--name", "Anna", "--role", "supervisor"], PASSWORD, "needs a region"),
        (["anna", "--name", "A", "--role", "worker", "--region", "mars"], PASSWORD, "region"),
        (["Anna B", "--name", "Anna", "--role", "admin"], PASSWORD, "username"),
        (["anna", "--name", "  ", "--role", "admin"], PASSWORD, "name"),
    ],
)
def test_a_staff_member_that_cannot_be_made_is_refused(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    args: list[str],
    password: str,
    message: str,
) -> None:
    monkeypatch.setenv("KOMEK_STAFF_PASSWORD", password)
    code, out = run("staff", "add", *args)
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert err.startswith("komek: staff: ")
    assert message in err
    assert in_database(url, lambda c: c.execute(select(STAFF)).all()) == []


def test_an_unknown_role_is_refused_by_the_parser(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("staff", "add", "anna", "--name", "Anna", "--role", "boss", "--region", "astana")
    assert exit_info.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err


def test_a_taken_username_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("staff", "add", "anna", "--name", "Anna", "--role", "worker", "--region", "astana")
    assert run(*args)[0] == 0
    capsys.readouterr()
    code, out = run(*args)
    assert code == 2
    assert out == ""
    assert "username anna is taken" in capsys.readouterr().err
    assert len(in_database(url, lambda c: c.execute(select(STAFF)).all())) == 1


def test_a_token_is_printed_once_and_accepted(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run("staff", "add", "anna", "--name", "Anna", "--role", "worker", "--region", "astana")
    code, out = run("staff", "token", "anna", "--label", "laptop")
    assert code == 0
    token = out.strip()
    assert token.startswith("kmk_") and "\n" not in token
    assert "shown only once" in capsys.readouterr().err

    def check(connection: Connection) -> tuple[Member | None, Member | None, list[Any]]:
        return (
            authenticate(connection, token, NOW),
            authenticate(connection, token + "x", NOW),
            list(connection.execute(select(AUDIT)).all()),
        )

    member, wrong, audit = in_database(url, check)
    assert member is not None
    assert (member.username, member.role, member.region) == ("anna", "worker", "astana")
    assert wrong is None
    ((entry),) = audit
    assert entry.staff_id == member.id
    assert (entry.action, entry.target) == ("token.issue", "laptop")

    second = run("staff", "token", "anna")[1].strip()
    assert second != token and second.startswith("kmk_")


def test_a_token_for_an_unknown_user_is_refused(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("staff", "token", "nobody")
    assert code == 2
    assert out == ""
    assert "no active staff member 'nobody'" in capsys.readouterr().err


# -- appointments ------------------------------------------------------------------------------


def _book(connection: Connection) -> int:
    booking_id, _ = book_a_visit(
        connection, channel="telegram", address="123456789", language="kk", now=NOW, day=VISIT_DAY
    )
    return booking_id


def test_a_day_s_visits_are_listed(url: str) -> None:
    assert run("offices", "import", str(EXAMPLE_OFFICES))[0] == 0
    visit_id = in_database(url, _book)
    code, out = run("appointments", "--office", "example-astana-1", "--date", str(VISIT_DAY))
    assert code == 0
    assert "30.11.2026, 1 visit(s)" in out
    (line,) = [line for line in out.splitlines() if f"#{visit_id}" in line]
    assert "09:00" in line and "booked" in line and "seat 1" in line
    assert "telegram" in line and "…6789" in line and "123456789" not in out

    code, out = run("appointments", "--office", "example-astana-1", "--date", "2026-12-01")
    assert code == 0
    assert "0 visit(s)" in out


@pytest.mark.parametrize(
    ("office", "day", "message"),
    [
        ("nowhere", "2026-11-30", "--office: no office 'nowhere'"),
        ("example-astana-1", "30.11.2026", "--date: must be YYYY-MM-DD"),
        ("example-astana-1", "2026-02-30", "--date: must be YYYY-MM-DD"),
    ],
)
def test_an_unknown_office_or_a_bad_date_is_refused(
    url: str, capsys: pytest.CaptureFixture[str], office: str, day: str, message: str
) -> None:
    assert run("offices", "import", str(EXAMPLE_OFFICES))[0] == 0
    code, out = run("appointments", "--office", office, "--date", day)
    assert code == 2
    assert out == ""
    assert message in capsys.readouterr().err
