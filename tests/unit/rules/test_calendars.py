"""Loading calendars from TOML: the repository's files load, and broken files fail precisely."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.rules.calendars import (
    CalendarFileError,
    load_calendar,
    load_jurisdiction,
    read_calendar_file,
)

CALENDARS = Path(__file__).resolve().parents[3] / "policies" / "calendars"

VALID = """\
version = "t-2026.1"
jurisdiction = "{name}"
title = "test calendar"
covers = [2026]

[[years]]
year = 2026

[years.notice]
title = "a notice"
published_on = 2025-11-04

[[years.festivals]]
name = "春节"
holidays = [2026-02-16, 2026-02-17]
makeup_days = [2026-02-14]
"""


def write(tmp_path: Path, text: str, name: str = "t") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace("{name}", name), encoding="utf-8")
    return path


def refusal(path: Path) -> CalendarFileError:
    with pytest.raises(CalendarFileError) as refused:
        load_calendar(path)
    assert refused.value.path == path
    assert str(path) in str(refused.value)
    return refused.value


# --- the repository's files ------------------------------------------------------------------


def test_the_national_file_loads_with_its_version_and_years() -> None:
    calendar = load_calendar(CALENDARS / "cn.toml")
    assert calendar.version == "cn-2026.1"
    assert calendar.covered_years == frozenset({2025, 2026})
    assert calendar.extends is None


def test_each_national_year_cites_its_state_council_notice() -> None:
    notices = {y.year: y.notice for y in read_calendar_file(CALENDARS / "cn.toml").years}
    assert notices[2025].number == "国办发明电〔2024〕12号"
    assert notices[2025].title == "国务院办公厅关于2025年部分节假日安排的通知"
    assert notices[2025].published_on == date(2024, 11, 12)
    assert notices[2026].title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert notices[2026].published_on == date(2025, 11, 4)


def test_the_example_override_loads_alone_as_a_fragment_of_the_national_calendar() -> None:
    fragment = load_calendar(CALENDARS / "cn-xj-example.toml")
    assert fragment.extends == "cn"
    assert fragment.covered_years == frozenset({2026})
    assert "EXAMPLE" in read_calendar_file(CALENDARS / "cn-xj-example.toml").title


def test_a_jurisdiction_loads_merged_over_the_file_it_extends() -> None:
    calendar = load_jurisdiction("cn-xj-example", CALENDARS)
    assert calendar.version == "cn-2026.1+xj-example-2026.1"
    assert calendar.extends is None
    assert not calendar.is_working_day(date(2026, 3, 20))  # the example's local holiday
    assert not calendar.is_working_day(date(2026, 2, 16))  # the national 春节


def test_a_valid_file_loads(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, VALID))
    assert calendar.holidays == frozenset({date(2026, 2, 16), date(2026, 2, 17)})
    assert calendar.makeup_days == frozenset({date(2026, 2, 14)})


# --- strictness: every refusal names the file and the field ------------------------------------


def test_an_unknown_key_is_refused_by_name(tmp_path: Path) -> None:
    text = VALID.replace('name = "春节"', 'name = "春节"\nholiday = [2026-02-18]')
    error = refusal(write(tmp_path, text))
    assert error.field == "years[0].festivals[0].holiday"
    assert "unknown field" in error.detail


def test_an_unknown_top_level_key_is_refused_by_name(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "valid_from = 2026-01-01\n" + VALID))
    assert error.field == "valid_from"


def test_a_date_in_the_wrong_year_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, VALID.replace("2026-02-17", "2025-02-17")))
    assert error.field == "years[0].festivals[0].holidays[1]"
    assert error.detail == "2025-02-17 is not in 2026"


def test_a_day_both_holiday_and_make_up_day_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("holidays = [2026-02-16, 2026-02-17]", "holidays = [2026-02-14]")
    error = refusal(write(tmp_path, text))
    assert error.field == "years[0].festivals[0].makeup_days[0]"
    assert "both a holiday and a make-up day" in error.detail
    assert "years[0].festivals[0].holidays[0]" in error.detail


def test_a_day_listed_twice_is_refused(tmp_path: Path) -> None:
    text = VALID + '\n[[years.festivals]]\nname = "again"\nholidays = [2026-02-17]\n'
    error = refusal(write(tmp_path, text))
    assert error.field == "years[0].festivals[1].holidays[0]"
    assert "already listed at years[0].festivals[0].holidays[1]" in error.detail


def test_a_make_up_day_on_a_weekday_is_refused(tmp_path: Path) -> None:
    error = refusal(
        write(tmp_path, VALID.replace("makeup_days = [2026-02-14]", "makeup_days = [2026-02-13]"))
    )
    assert error.field == "years[0].festivals[0].makeup_days[0]"
    assert "weekday" in error.detail


def test_a_date_written_as_a_number_is_refused_with_its_field(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, VALID.replace("2026-02-17]", "20260217]")))
    assert error.field == "years[0].festivals[0].holidays[1]"
    assert "Expected `date`" in error.detail


def test_a_missing_notice_is_refused(tmp_path: Path) -> None:
    text = VALID.replace('[years.notice]\ntitle = "a notice"\npublished_on = 2025-11-04\n', "")
    error = refusal(write(tmp_path, text))
    assert error.field == "years[0]"
    assert "notice" in error.detail


def test_covers_must_match_the_listed_years(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, VALID.replace("covers = [2026]", "covers = [2026, 2027]")))
    assert error.field == "covers"
    assert "2027" in error.detail
    error = refusal(write(tmp_path, VALID.replace("covers = [2026]", "covers = [2025]")))
    assert error.field == "years[0].year"


def test_the_jurisdiction_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "cn-gd.toml"
    path.write_text(VALID.replace("{name}", "cn-sh"), encoding="utf-8")
    assert refusal(path).field == "jurisdiction"


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, VALID + "\nholidays = [\n"))
    assert error.field is None
    assert "not valid TOML" in error.detail


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "cannot read" in refusal(tmp_path / "nowhere.toml").detail


# --- jurisdictions -----------------------------------------------------------------------------


def override(extends: str, covers: str = "[2026]") -> str:
    return (
        VALID.replace('version = "t-2026.1"', 'version = "local-2026.1"')
        .replace("covers = [2026]", f'extends = "{extends}"\ncovers = {covers}')
        .replace("2026-02-14", "2026-02-21")
    )


def test_an_override_chain_merges_down_to_the_national_file(tmp_path: Path) -> None:
    write(tmp_path, VALID, name="base")
    write(tmp_path, override("base"), name="base-local")
    calendar = load_jurisdiction("base-local", tmp_path)
    assert calendar.version == "t-2026.1+local-2026.1"
    assert calendar.makeup_days == frozenset({date(2026, 2, 14), date(2026, 2, 21)})


def test_an_override_for_a_year_its_base_does_not_cover_is_refused(tmp_path: Path) -> None:
    write(tmp_path, VALID, name="base")
    text = override("base", covers="[2026, 2027]") + "\n[[years]]\nyear = 2027\nfestivals = []\n"
    text += '[years.notice]\ntitle = "n"\npublished_on = 2026-11-01\n'
    path = write(tmp_path, text, name="base-local")
    with pytest.raises(CalendarFileError) as refused:
        load_jurisdiction("base-local", tmp_path)
    assert refused.value.path == path
    assert refused.value.field == "covers"
    assert "2027" in refused.value.detail


def test_an_override_whose_base_is_missing_is_refused(tmp_path: Path) -> None:
    write(tmp_path, override("nowhere"), name="base-local")
    with pytest.raises(CalendarFileError) as refused:
        load_jurisdiction("base-local", tmp_path)
    assert refused.value.path == tmp_path / "nowhere.toml"


def test_circular_overrides_are_refused(tmp_path: Path) -> None:
    write(tmp_path, override("b"), name="a")
    write(tmp_path, override("a"), name="b")
    with pytest.raises(CalendarFileError, match="circular: a -> b -> a"):
        load_jurisdiction("a", tmp_path)


def test_a_jurisdiction_name_cannot_reach_outside_the_calendar_directory(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="not a jurisdiction name"):
        load_jurisdiction("../cn", CALENDARS)
