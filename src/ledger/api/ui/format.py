"""How the pages write times, durations and rates for people in a Chinese service centre: Beijing
time, 2天3小时 / 剩余 1个工作日, percentages. One place, used as Jinja filters by every page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ledger.domain.values import LimitUnit, TimeLimit

BEIJING = ZoneInfo("Asia/Shanghai")

COLOUR_NAMES = {"red": "超时", "amber": "临期", "green": "正常", "none": "未计时"}


def beijing(moment: datetime | None, *, seconds: bool = False) -> str:
    """A moment as Beijing wall-clock time ("2026-02-10 10:50"); naive values are taken as UTC."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def beijing_day(moment: datetime | date | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return beijing(moment)[:10]
    return moment.isoformat()


def duration(span: timedelta | None) -> str:
    """Elapsed wall-clock time, the two largest units: 2天3小时, 3小时5分钟, 45分钟, 不足1分钟;
    a negative span reads 超出 …"""
    if span is None:
        return "—"
    if span < timedelta(0):
        return "超出" + duration(-span)
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (mins, "分钟")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return "".join(shown) or "不足1分钟"


def working_left(span: timedelta | None, hours_per_day: float = 24.0) -> str:
    """Time left on a working-day clock (`clock.remaining`: the whole of each working day counts,
    so a working day is 24 hours of it): 剩余 1个工作日3小时, 超时 2个工作日."""
    if span is None:
        return "—"
    late = span < timedelta(0)
    hours_total = abs(span.total_seconds()) / 3600
    days, hours = divmod(hours_total, hours_per_day)
    text = f"{int(days)}个工作日" if days >= 1 else ""
    if int(hours) or not text:
        text += f"{int(hours)}小时" if hours >= 1 else ("不足1小时" if not text else "")
    return ("超时 " if late else "剩余 ") + text


def time_left(span: timedelta | None, limit: TimeLimit | None = None) -> str:
    """What is left of a deadline as its clock counts it: working time for a working-day limit
    (剩余 1个工作日3小时), wall time otherwise (剩余 3小时 / 超时 2天5小时)."""
    if span is None:
        return "—"
    if limit is not None and limit.unit is LimitUnit.WORKING_DAYS:
        return working_left(span)
    return ("超时 " if span < timedelta(0) else "剩余 ") + duration(abs(span))


def percent(rate: float | None, digits: int = 1) -> str:
    """A rate as a percentage (0.9375 → 93.8%); none when there was nothing to count."""
    if rate is None:
        return "—"
    return f"{rate * 100:.{digits}f}%"


def colour_name(colour: str | None) -> str:
    return COLOUR_NAMES.get(str(colour or "none"), str(colour))


FILTERS = {
    "beijing": beijing,
    "beijing_day": beijing_day,
    "duration": duration,
    "working_left": working_left,
    "time_left": time_left,
    "percent": percent,
    "colour_name": colour_name,
}
