"""Charts drawn on the server as inline SVG: the geometry is computed here and drawn by
templates/admin/dashboard/chart.html. No JavaScript and no library. Each chart carries a title, a
one-sentence summary (what a screen reader announces for the picture) and a table of its numbers.

The drawing is WIDTH units wide and scales with its box; text sizes are set in CSS. Coordinates
are rounded to a hundredth of a unit here, so the template writes them as they are.
"""

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

WIDTH = 340
COLUMN_PLOT_HEIGHT = 150
BAR_ROW_HEIGHT = 26
LABEL_WIDTH = 130  # room for the category names left of horizontal bars
VALUE_WIDTH = 76  # room for the value written right of a horizontal bar
LABEL_CHARS = 18  # what fits in LABEL_WIDTH at the charts' text size
AXIS_WIDTH = 44  # room for the value scale left of columns
TOP = 10
X_LABELS = 5  # at most this many category names under columns

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    key: str  # the CSS class chart__mark--<key> gives its colour
    label: str


@dataclass(frozen=True)
class Mark:
    """A bar, or a part of a stacked column, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    series: Series
    title: str

    def __post_init__(self):
        _rounded(self, "x", "y", "width", "height")


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"

    def __post_init__(self):
        _rounded(self, "x", "y")


@dataclass(frozen=True)
class GridLine:
    x1: float
    x2: float
    y: float
    label: Text

    def __post_init__(self):
        _rounded(self, "x1", "x2", "y")


def _rounded(shape, *names: str) -> None:
    for name in names:
        object.__setattr__(shape, name, round(float(getattr(shape, name)), 2))


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first cell of each row names it


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: the ids of its title and summary
    title: str
    summary: str
    height: int
    marks: tuple[Mark, ...]
    texts: tuple[Text, ...]
    grid: tuple[GridLine, ...]
    baseline: float | None  # the y of the columns' zero line
    series: tuple[Series, ...]  # for the legend (none for a single series)
    table: Table
    empty: bool

    width: int = WIDTH


def nice_ceiling(value: float, *, counts: bool = False) -> float:
    """The top of a scale for values up to `value`: 1, 2, 2.5 or 5 times a power of ten; for
    counts an even whole number (2, 4, 6, 8 times a power of ten), so that half of it is whole."""
    steps = (2, 4, 6, 8, 10) if counts else (1, 2, 2.5, 5, 10)
    if value <= 0:
        return steps[0]
    power = 10 ** max(math.floor(math.log10(value)), 0) if counts else 10 ** math.floor(math.log10(value))
    return next(step * power for step in steps if step * power >= value)


def fit(text: str, width: int) -> str:
    """`text` cut to about `width` Latin characters (a CJK character counts as two), with "…"."""
    used, kept = 0, []
    for char in text:
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > width:
            return "".join(kept).rstrip() + "…"
        kept.append(char)
    return text


def column_chart(
    *,
    key: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    ticks: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Number]],
    fmt: Callable[[Number], str],
    table: Table,
    counts: bool = False,
) -> Chart:
    """Stacked columns, one per category (a day, a week), `values[category][series]`, some named
    below by their short `ticks`; `counts` when the values are whole numbers."""
    totals = [sum(row, 0) for row in values]
    top = nice_ceiling(float(max(totals, default=0)), counts=counts)
    left, right = AXIS_WIDTH, WIDTH - 4
    baseline = TOP + COLUMN_PLOT_HEIGHT
    step = (right - left) / max(len(categories), 1)
    gap = min(step * 0.2, 4)
    marks, texts = [], []
    for index, (category, row) in enumerate(zip(categories, values, strict=True)):
        x, y = left + index * step + gap / 2, baseline
        for part, value in zip(series, row, strict=True):
            height = float(value) / top * COLUMN_PLOT_HEIGHT
            if height <= 0:
                continue
            y -= height
            tooltip = gettext("%(category)s: %(series)s %(value)s") % {
                "category": category,
                "series": part.label,
                "value": fmt(value),
            }
            marks.append(Mark(x, y, step - gap, height, part, tooltip))
    every = max(math.ceil(len(categories) / X_LABELS), 1)
    for index in range(len(categories) - 1, -1, -every):  # the newest is always named
        texts.append(Text(left + (index + 0.5) * step, baseline + 16, ticks[index]))
    grid = []
    for share in (0, 0.5, 1):
        y = TOP + COLUMN_PLOT_HEIGHT * (1 - share)
        grid.append(GridLine(left, right, y, Text(left - 6, y + 4, fmt(_tick(top * share)), "end")))
    return Chart(
        key=key,
        title=title,
        summary=summary,
        height=int(baseline + 24),
        marks=tuple(marks),
        texts=tuple(texts),
        grid=tuple(grid),
        baseline=baseline,
        series=tuple(series) if len(series) > 1 else (),
        table=table,
        empty=not any(totals),
    )


def bar_chart(
    *,
    key: str,
    title: str,
    summary: str,
    labels: Sequence[str],
    shares: Sequence[float],
    notes: Sequence[str],
    series: Series,
    table: Table,
) -> Chart:
    """Horizontal bars, one per row: `shares` from 0 to 1 of the bar area, `notes` written after."""
    left = LABEL_WIDTH
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    marks, texts = [], []
    for index, (label, share, note) in enumerate(zip(labels, shares, notes, strict=True)):
        y = TOP + index * BAR_ROW_HEIGHT
        width = max(share, 0) * area
        if width > 0:
            tooltip = gettext("%(category)s: %(value)s") % {"category": label, "value": note}
            marks.append(Mark(left, y + 4, width, BAR_ROW_HEIGHT - 8, series, tooltip))
        texts.append(Text(left - 6, y + BAR_ROW_HEIGHT / 2 + 4, fit(label, LABEL_CHARS), "end"))
        texts.append(Text(left + width + 6, y + BAR_ROW_HEIGHT / 2 + 4, note, "start"))
    return Chart(
        key=key,
        title=title,
        summary=summary,
        height=int(TOP * 2 + len(labels) * BAR_ROW_HEIGHT),
        marks=tuple(marks),
        texts=tuple(texts),
        grid=(),
        baseline=None,
        series=(),
        table=table,
        empty=not labels,
    )


def _tick(value: float) -> Number:
    return int(value) if float(value).is_integer() else Decimal(str(value))
