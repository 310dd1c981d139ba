"""Attendance tables: a project's activities with their number of events and number attending.

The report's Tables 3.1, 3.3 and 3.4 count events per activity and region ("Action Learning sets:
North East 2") and give head counts per event ("Seminar on 'Introduction to probation' 17",
"Seminar with Skills for Justice: Not detailed"). This module turns counts aggregated in SQL
(:func:`feedback.db.attendance.attendance_counts`, one row per activity title) into those tables.

Two rules a reader must be able to rely on:

- an unknown head count is *not known*, never 0: totals add up the known head counts only and
  always say for how many of the events attendance is known (the base);
- publications, e-bulletins and toolkits are outputs rather than events (the report lists them
  without a count), so they are listed but not counted as events and have no attendance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "NOT_KNOWN",
    "OUTPUT_KINDS",
    "ActivityLine",
    "AttendanceCount",
    "AttendanceGroup",
    "AttendanceTable",
    "RegionLine",
    "attendance_table",
    "attending_text",
]

NOT_KNOWN = "not known"
#: Activity kinds that are outputs, not events: listed, never counted as events or attended.
OUTPUT_KINDS = frozenset({"publication", "bulletin", "toolkit"})


@dataclass(frozen=True)
class AttendanceCount:
    """One activity title of a project as the SQL aggregate returns it.

    ``events`` activities share the title (usually one); ``known`` of them have a head count and
    ``attending`` is the sum of those head counts (``None`` when none is known). ``order`` is the
    smallest id, so tables keep the order activities were recorded in.
    """

    series: str
    title: str
    region: str
    kind: str
    events: int
    known: int
    attending: int | None
    starts_on: date | None = None
    note: str = ""
    order: int = 0

    def __post_init__(self) -> None:
        if self.events < 1 or not 0 <= self.known <= self.events:
            raise ValueError(
                f"inconsistent counts for {self.title!r}: {self.events} events, {self.known} known"
            )
        if (self.attending is None) != (self.known == 0) or (self.attending or 0) < 0:
            raise ValueError(f"attendance of {self.title!r} does not match its known events")


def attending_text(attending: int | None, events: int, known: int) -> str:
    """``"64"``, ``"not known"``, or ``"27 (known for 2 of 7 events)"``: a total with its base."""
    if attending is None or known == 0:
        return NOT_KNOWN
    if known == events:
        return str(attending)
    return f"{attending} (known for {known} of {events} events)"


@dataclass(frozen=True)
class _Counted:
    """What every line of an attendance table carries: events, known head counts, their sum."""

    events: int
    known: int
    attending: int | None
    output: bool

    @property
    def unknown(self) -> int:
        """Events whose attendance is not known (0 for outputs, which have none)."""
        return 0 if self.output else self.events - self.known

    @property
    def attending_text(self) -> str:
        return "" if self.output else attending_text(self.attending, self.events, self.known)


@dataclass(frozen=True)
class ActivityLine(_Counted):
    """One activity title (an event, or several events sharing a title)."""

    title: str = ""
    region: str = ""
    starts_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class RegionLine(_Counted):
    """One region of an activity series: Table 3.1's "North East region 2"."""

    region: str = ""


@dataclass(frozen=True)
class AttendanceGroup(_Counted):
    """An activity series ("Regional Forums") with its regions, its activities and its totals."""

    series: str = ""
    kind: str = ""
    regions: tuple[RegionLine, ...] = ()
    activities: tuple[ActivityLine, ...] = ()

    def region(self, name: str) -> RegionLine:
        """The line for region ``name`` (``KeyError`` if the series has none there)."""
        for line in self.regions:
            if line.region == name:
                return line
        raise KeyError(name)

    def activity(self, title: str) -> ActivityLine:
        for line in self.activities:
            if line.title == title:
                return line
        raise KeyError(title)


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _combine(lines: Sequence[_Counted], output: bool) -> dict[str, Any]:
    if output:
        return {"events": 0, "known": 0, "attending": None, "output": True}
    return {
        "events": sum(line.events for line in lines),
        "known": sum(line.known for line in lines),
        "attending": _sum([line.attending for line in lines]),
        "output": False,
    }


@dataclass(frozen=True)
class AttendanceTable:
    """Every activity series of a project, in the order recorded, with the project's totals."""

    title: str
    groups: tuple[AttendanceGroup, ...]
    events: int
    known: int
    attending: int | None
    outputs: int

    @property
    def unknown(self) -> int:
        return self.events - self.known

    @property
    def attending_text(self) -> str:
        return attending_text(self.attending, self.events, self.known)

    @property
    def base_text(self) -> str:
        """The base of the total, stated as a report would: which events it covers."""
        if self.events == 0:
            return "No events recorded."
        return (
            f"Attendance known for {self.known} of {self.events} events; totals add up the known "
            f"head counts only ({self.unknown} not known, never counted as 0)."
        )

    def group(self, series: str) -> AttendanceGroup:
        """The series called ``series`` (``KeyError`` if absent)."""
        for group in self.groups:
            if group.series == series:
                return group
        raise KeyError(series)

    def to_json_dict(self) -> dict[str, Any]:
        """The shape ``feedback attendance --json`` prints; ``attending`` is null when not known."""

        def counted(line: _Counted) -> dict[str, Any]:
            return {"events": line.events, "attending": line.attending, "attendance_known": line.known}

        return {
            "title": self.title,
            "events": self.events,
            "attending": self.attending,
            "attendance_known": self.known,
            "outputs": self.outputs,
            "series": [
                {
                    "series": g.series,
                    "kind": g.kind,
                    "output": g.output,
                    **counted(g),
                    "regions": [{"region": r.region, **counted(r)} for r in g.regions],
                    "activities": [
                        {
                            "title": a.title,
                            "region": a.region,
                            "starts_on": a.starts_on.isoformat() if a.starts_on else None,
                            "note": a.note,
                            **counted(a),
                        }
                        for a in g.activities
                    ],
                }
                for g in self.groups
            ],
        }


def attendance_table(title: str, counts: Sequence[AttendanceCount]) -> AttendanceTable:
    """Group per-title counts into series (the activity's ``series``, or its title if it has none)
    and regions, in the order the activities were recorded."""
    by_series: dict[str, list[AttendanceCount]] = {}
    for count in sorted(counts, key=lambda c: c.order):
        by_series.setdefault(count.series or count.title, []).append(count)
    groups = []
    for series, items in by_series.items():
        output = all(item.kind in OUTPUT_KINDS for item in items)
        activities = tuple(
            ActivityLine(
                **_combine([_line(item)], item.kind in OUTPUT_KINDS or output),
                title=item.title,
                region=item.region,
                starts_on=item.starts_on,
                note=item.note,
            )
            for item in items
        )
        by_region: dict[str, list[ActivityLine]] = {}
        for line in activities:
            by_region.setdefault(line.region, []).append(line)
        regions = tuple(
            RegionLine(**_combine(lines, output), region=region) for region, lines in by_region.items()
        )
        groups.append(
            AttendanceGroup(
                **_combine(activities, output),
                series=series,
                kind=items[0].kind,
                regions=regions,
                activities=activities,
            )
        )
    counted = [g for g in groups if not g.output]
    return AttendanceTable(
        title=title,
        groups=tuple(groups),
        events=sum(g.events for g in counted),
        known=sum(g.known for g in counted),
        attending=_sum([g.attending for g in counted]),
        outputs=sum(len(g.activities) for g in groups if g.output),
    )


def _line(count: AttendanceCount) -> _Counted:
    return _Counted(count.events, count.known, count.attending, False)
