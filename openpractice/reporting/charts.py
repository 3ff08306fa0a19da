"""Charts drawn on the server as SVG, without JavaScript: the geometry is computed here (pure Python, no database)
and templates/reporting/_chart.html draws it.

    {% include "reporting/_chart.html" with chart=chart %}

Three kinds, each a frozen dataclass with every coordinate precomputed (in SVG user units, inside `width` x
`height`):
- LineChart (`line_chart`): one or more series over the same labels (e.g. months), gaps where a value is None,
  an optional horizontal target line;
- BarChart (`bar_chart`): one bar per label, vertical or horizontal;
- StackedBarChart (`stacked_bar_chart`): one horizontal bar per row split into segments (e.g. A/R aging buckets),
  with a legend.

Every chart carries its accessible text: a title and a description (the SVG's <title>/<desc>, aria-labelledby)
and a data table (`table_head`, `table_rows`) that the template renders visually hidden as the fallback for
screen readers and for anyone who wants the numbers. Colours are SVG presentation attributes (so the chart draws
in WeasyPrint PDFs, which do not apply the page's stylesheet inside an SVG) and every shape carries a class
(`chart-s0` … `chart-s5`, `chart-target` …) that static/css/charts.css may restyle on screen. No inline style.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

Number = Decimal | int | float

# Distinguishable colours (also in grey), dark enough for white text and for 3:1 against white.
PALETTE: tuple[str, ...] = ("#0b5f73", "#c2571a", "#5b4b9a", "#2e7d32", "#a4262c", "#6b6f76")
TARGET_COLOUR = "#8a5a00"
AXIS_COLOUR = "#5a6472"
GRID_COLOUR = "#d7dce3"
TEXT_COLOUR = "#1b2430"


def format_value(value: Number | None, unit: str = "") -> str:
    """A figure as a person reads it: "12.5%", "$1,234.50", "34.2 days", "3.5 h", "1,204"; "—" when None."""
    if value is None:
        return "—"
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if unit == "$":
        sign = "−" if number < 0 else ""
        return f"{sign}${abs(number):,.2f}"
    if unit == "count":
        return f"{number:,.0f}"
    exponent = number.as_tuple().exponent
    text = f"{number:,.1f}" if isinstance(exponent, int) and exponent < 0 else f"{number:,.0f}"
    if unit == "%":
        return f"{text}%"
    if unit == "days":
        return f"{text} d"
    if unit == "hours":
        return f"{text} h"
    return text


def _short(value: float, unit: str) -> str:
    """An axis label: compact ($12k, 40%, 1.5)."""
    if unit == "$":
        for size, suffix in ((1_000_000, "M"), (1_000, "k")):
            if abs(value) >= size:
                return f"${value / size:,.{0 if value % size == 0 else 1}f}{suffix}"
        return f"${value:,.0f}"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return f"{text}%" if unit == "%" else text


def nice_scale(low: float, high: float, ticks: int = 4, *, whole: bool = False) -> tuple[float, float, float]:
    """(axis minimum, axis maximum, step) with round steps (1, 2, 2.5 or 5 times a power of ten) covering
    `low`..`high`; zero is always on the axis. `whole`: counts, so the step is a whole number (at least 1)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / ticks
    power = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(factor * power for factor in factors if factor * power >= raw)
    if whole:
        step = max(1, round(step))
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


CHAR_WIDTH = 6.2  # an average character of the 11-unit sans-serif labels


def fit(text: str, width: float) -> str:
    """`text` cut to what fits in `width` units, with an ellipsis (the full text stays in the <title> and the
    data table)."""
    room = max(int(width / CHAR_WIDTH), 3)
    return text if len(text) <= room else text[:room - 1].rstrip() + "…"


@dataclass(frozen=True)
class Tick:
    position: float  # y for a value axis of a vertical chart, x for a horizontal one
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Number
    display: str


@dataclass(frozen=True)
class Series:
    name: str
    index: int  # the colour slot: class chart-s{index}
    colour: str
    path: str  # SVG path data; a gap (None) starts a new subpath
    points: tuple[Point, ...]


@dataclass(frozen=True)
class TargetLine:
    y: float
    x1: float
    x2: float
    label: str
    label_y: float


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    name: str
    index: int
    colour: str


@dataclass(frozen=True)
class _Chart:
    chart_id: str
    title: str
    description: str
    width: int
    height: int
    unit: str
    table_head: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]

    @property
    def title_id(self) -> str:
        return f"{self.chart_id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.chart_id}-desc"

    @property
    def is_empty(self) -> bool:
        return not self.table_rows


@dataclass(frozen=True)
class LineChart(_Chart):
    left: float
    top: float
    right: float
    bottom: float  # the x axis
    ticks: tuple[Tick, ...]
    x_labels: tuple[Label, ...]
    series: tuple[Series, ...]
    target: TargetLine | None
    legend: tuple[LegendItem, ...]
    kind: str = "line"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: Number
    display: str
    index: int
    colour: str
    label_at: Label  # the category's name
    value_at: Label  # the figure next to the bar
    url: str = ""


@dataclass(frozen=True)
class BarChart(_Chart):
    horizontal: bool
    axis: tuple[float, float, float, float]  # x1, y1, x2, y2 of the baseline
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]
    kind: str = "bar"


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    name: str
    value: Number
    display: str
    share: str  # of the row's total
    index: int
    colour: str


@dataclass(frozen=True)
class StackRow:
    label: str
    total_display: str
    label_at: Label
    total_at: Label
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedBarChart(_Chart):
    rows: tuple[StackRow, ...]
    legend: tuple[LegendItem, ...]
    kind: str = "stacked"


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _legend(names: Sequence[str], *, x: float, y: float, width: float) -> tuple[LegendItem, ...]:
    """Legend entries laid out left to right, wrapping within `width` (about 7 units per character)."""
    items = []
    cursor_x, cursor_y = x, y
    for index, name in enumerate(names):
        size = 22 + 7 * len(name)
        if cursor_x > x and cursor_x + size > x + width:
            cursor_x, cursor_y = x, cursor_y + 18
        items.append(LegendItem(round(cursor_x, 1), round(cursor_y, 1), name, index, _colour(index)))
        cursor_x += size + 12
    return tuple(items)


def line_chart(*, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number | None]]],
               unit: str = "", target: Number | None = None, target_label: str = "", description: str = "",
               chart_id: str = "", width: int = 640, height: int = 240) -> LineChart:
    """A line per series over `labels` (each series has one value per label; None leaves a gap)."""
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    legend_rows = 1 if len(series) > 1 else 0
    left, right, top = 56.0, width - 28.0, 14.0
    bottom = height - 28.0 - 18.0 * legend_rows
    found = [float(value) for _name, values in series for value in values if value is not None]
    if target is not None:
        found.append(float(target))
    low, high, step = nice_scale(min(found, default=0.0), max(found, default=1.0), whole=unit == "count")

    def y_of(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - top), 1)

    count = len(labels)

    def x_of(index: int) -> float:
        if count == 1:
            return round((left + right) / 2, 1)
        return round(left + index * (right - left) / (count - 1), 1)

    ticks = tuple(Tick(y_of(low + step * index), _short(low + step * index, unit))
                  for index in range(round((high - low) / step) + 1))
    every = max(1, math.ceil(count / 12))
    # The last label ends at its point rather than centring on it: centred, it ran past the chart's right edge.
    x_labels = tuple(Label(x_of(index), bottom + 16, text, "end" if index == count - 1 and count > 1 else "middle")
                     for index, text in enumerate(labels) if index % every == 0 or index == count - 1)
    drawn = []
    for index, (name, values) in enumerate(series):
        parts: list[str] = []
        points: list[Point] = []
        pen_down = False
        for position, value in enumerate(values):
            if value is None:
                pen_down = False
                continue
            x, y = x_of(position), y_of(float(value))
            parts.append(f"{'L' if pen_down else 'M'}{x} {y}")
            pen_down = True
            points.append(Point(x, y, labels[position], value, format_value(value, unit)))
        drawn.append(Series(name, index, _colour(index), " ".join(parts), tuple(points)))
    target_line = None
    if target is not None:
        target_y = y_of(float(target))
        target_line = TargetLine(target_y, left, right,
                                 target_label or _("Target %(value)s") % {"value": format_value(target, unit)},
                                 round(target_y - 4, 1))
    legend = _legend([name for name, _values in series], x=left, y=height - 14.0, width=right - left) \
        if legend_rows else ()
    head = ("", *(name for name, _values in series))
    rows = tuple((label, *(format_value(values[position], unit) for _name, values in series))
                 for position, label in enumerate(labels)) if found else ()
    return LineChart(
        chart_id=chart_id or _slug(title), title=title, description=description, width=width, height=height,
        unit=unit, table_head=head, table_rows=rows, left=left, top=top, right=right, bottom=bottom, ticks=ticks,
        x_labels=x_labels, series=tuple(drawn), target=target_line, legend=legend)


def bar_chart(*, title: str, bars: Sequence[tuple[str, Number]], unit: str = "", horizontal: bool = False,
              description: str = "", chart_id: str = "", width: int = 640, height: int | None = None,
              urls: Sequence[str] | None = None, value_heading: str = "") -> BarChart:
    """One bar per (label, value). Horizontal bars suit long labels (denial categories); vertical ones a few short
    labels. Heights (or lengths) scale to the largest value; negative values are drawn below (left of) zero."""
    values = [float(value) for _label, value in bars]
    low, high, step = nice_scale(min(values, default=0.0), max(values, default=1.0), whole=unit == "count")
    span = high - low
    drawn: list[Bar] = []
    ticks: list[Tick] = []
    if horizontal:
        row = 26.0
        chart_height = height or int(16 + row * max(len(bars), 1) + 22)
        left, right, top = min(200.0, width * 0.34), width - 70.0, 8.0

        def x_of(value: float) -> float:
            return round(left + (value - low) / span * (right - left), 1)

        zero = x_of(0.0)
        for index, (label, value) in enumerate(bars):
            y = top + index * row
            end = x_of(float(value))
            drawn.append(Bar(
                x=min(zero, end), y=round(y + 4, 1), width=round(abs(end - zero), 1), height=row - 8, label=label,
                value=value, display=format_value(value, unit), index=0, colour=_colour(0),
                label_at=Label(left - 8, round(y + row / 2 + 4, 1), fit(label, left - 12), "end"),
                value_at=Label(round(max(zero, end) + 6, 1), round(y + row / 2 + 4, 1), format_value(value, unit),
                               "start"),
                url=urls[index] if urls else ""))
        baseline = top + row * max(len(bars), 1)
        axis = (zero, top, zero, baseline)
        ticks = [Tick(x_of(low + step * index), _short(low + step * index, unit))
                 for index in range(round(span / step) + 1)]
    else:
        chart_height = height or 220
        left, right, top, bottom = 48.0, width - 8.0, 18.0, chart_height - 24.0

        def y_of(value: float) -> float:
            return round(bottom - (value - low) / span * (bottom - top), 1)

        zero = y_of(0.0)
        slot = (right - left) / max(len(bars), 1)
        for index, (label, value) in enumerate(bars):
            x = left + index * slot
            end = y_of(float(value))
            drawn.append(Bar(
                x=round(x + slot * 0.15, 1), y=min(zero, end), width=round(slot * 0.7, 1),
                height=round(abs(zero - end), 1), label=label, value=value, display=format_value(value, unit),
                index=0, colour=_colour(0),
                label_at=Label(round(x + slot / 2, 1), chart_height - 6.0, fit(label, slot - 4)),
                value_at=Label(round(x + slot / 2, 1), round(min(zero, end) - 4, 1), format_value(value, unit)),
                url=urls[index] if urls else ""))
        axis = (left, zero, right, zero)
        ticks = [Tick(y_of(low + step * index), _short(low + step * index, unit))
                 for index in range(round(span / step) + 1)]
    return BarChart(
        chart_id=chart_id or _slug(title), title=title, description=description, width=width, height=chart_height,
        unit=unit, table_head=("", value_heading or title),
        table_rows=tuple((bar.label, bar.display) for bar in drawn), horizontal=horizontal, axis=axis,
        ticks=tuple(ticks), bars=tuple(drawn))


def _share(part: float, whole: float) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def stacked_bar_chart(*, title: str, segment_names: Sequence[str],
                      rows: Sequence[tuple[str, Sequence[Number]]], unit: str = "", description: str = "",
                      chart_id: str = "", width: int = 640, scale_to_largest: bool = True) -> StackedBarChart:
    """One horizontal bar per (label, values), split into one segment per name of `segment_names` (negative
    values are drawn as zero; the table shows them). Bars share one scale (the largest row total) unless
    `scale_to_largest` is False, when each fills the width (shares)."""
    for label, values in rows:
        if len(values) != len(segment_names):
            raise ValueError(f"row {label!r} has {len(values)} values for {len(segment_names)} segments")
    row_height, left, right, top = 30.0, min(160.0, width * 0.25), width - 96.0, 8.0
    totals = [sum(max(float(value), 0.0) for value in values) for _label, values in rows]
    largest = max(totals, default=0.0)
    drawn_rows: list[StackRow] = []
    for (label, values), total in zip(rows, totals, strict=True):
        index = len(drawn_rows)
        y = top + index * row_height
        scale = largest if scale_to_largest else total
        cursor = left
        segments = []
        for position, (name, value) in enumerate(zip(segment_names, values, strict=True)):
            size = (right - left) * max(float(value), 0.0) / scale if scale else 0.0
            segments.append(Segment(
                x=round(cursor, 1), y=round(y + 5, 1), width=round(size, 1), height=row_height - 10, name=name,
                value=value, display=format_value(value, unit), share=_share(max(float(value), 0.0), total),
                index=position, colour=_colour(position)))
            cursor += size
        row_total = sum((Decimal(str(value)) if isinstance(value, float) else Decimal(value) for value in values),
                        Decimal(0))
        drawn_rows.append(StackRow(
            label=label, total_display=format_value(row_total, unit),
            label_at=Label(left - 8, round(y + row_height / 2 + 4, 1), fit(label, left - 12), "end"),
            total_at=Label(round(cursor + 6, 1), round(y + row_height / 2 + 4, 1), format_value(row_total, unit),
                           "start"),
            segments=tuple(segments)))
    legend_y = top + row_height * max(len(rows), 1) + 14
    legend = _legend(list(segment_names), x=left, y=legend_y, width=width - left - 8)
    height = int(legend[-1].y + 14) if legend else int(legend_y)
    head = ("", *segment_names, _("Total"))
    table_rows = tuple((row.label, *(segment.display for segment in row.segments), row.total_display)
                       for row in drawn_rows)
    return StackedBarChart(
        chart_id=chart_id or _slug(title), title=title, description=description, width=width, height=height,
        unit=unit, table_head=head, table_rows=table_rows, rows=tuple(drawn_rows), legend=legend)
