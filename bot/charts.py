"""Charts a person takes in at a glance, drawn headless with matplotlib.

matplotlib is imported on first use only: most commands never draw, and its
import costs a few hundred milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import i18n
from bot.i18n import _
from bot.replies import Image

WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
# Colour-blind-safe (Okabe-Ito, then two of Paul Tol's muted set), in the order categories are
# drawn; a policy with more categories than colours repeats them with hatching.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#882255",
    "#44AA99",
)
RATE_COLOUR = "#222222"


@dataclass(frozen=True)
class WeeklyCases:
    """Cases per week by category, and the share confirmed fixed each week (None: no follow-up yet)."""

    weeks: Sequence[str]  # labels, oldest first, as the reader writes dates
    by_category: Mapping[str, Sequence[int]]  # label (as the reader reads it) -> count per week
    recovery_rate: Sequence[float | None]


def weekly_cases_image(data: WeeklyCases, *, title: str, name: str) -> Image:
    """Return the chart of `weekly_cases_png` as a reply's image, described in words.

    `title` is the English title, marked with `N_`: it is drawn in the reader's language.
    """
    return Image(png=weekly_cases_png(data, title=title), alt=describe(data), name=name)


def describe(data: WeeklyCases) -> str:
    """Return what the weekly chart shows, in words (its alt text)."""
    weeks = data.weeks
    totals = [sum(series[k] for series in data.by_category.values()) for k in range(len(weeks))]
    # Translators: in the chart's description, a week none of whose cases had a follow-up answered.
    rates = ", ".join(_("no answers") if r is None else i18n.percent(r) for r in data.recovery_rate)
    # Translators: the chart's description for people who cannot see it; {first} and {last} are weeks
    # (dates), {totals} and {rates} lists of numbers and percentages, one per week.
    return _(
        "Cases opened per week from {first} to {last}: {totals}. Share confirmed fixed: {rates}.",
        first=weeks[0],
        last=weeks[-1],
        totals=", ".join(i18n.number(t) for t in totals),
        rates=rates,
    )


def weekly_cases_png(data: WeeklyCases, *, title: str) -> bytes:
    """Return a stacked bar chart of cases per week by category with the recovery rate as a line.

    `title` is the English title, marked with `N_`; the title, axes and legend are drawn in the
    reader's language, numbers and percentages as they write them.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    cases = figure.add_subplot()
    positions = range(len(data.weeks))
    bottom = [0] * len(data.weeks)
    for i, (label, counts) in enumerate(data.by_category.items()):
        colour, hatch = PALETTE[i % len(PALETTE)], "//" if i >= len(PALETTE) else None
        cases.bar(positions, counts, bottom=bottom, label=label, color=colour, hatch=hatch, width=0.7)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    cases.set_xticks(list(positions), list(data.weeks))
    cases.set_ylabel(_("Cases opened"))
    cases.yaxis.set_major_locator(MaxNLocator(integer=True))
    cases.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: i18n.number(round(value))))
    cases.set_ylim(0, max([*bottom, 1]) * 1.15)
    cases.spines[["top"]].set_visible(False)
    rate = cases.twinx()
    points = [(x, r * 100) for x, r in zip(positions, data.recovery_rate, strict=True) if r is not None]
    # Translators: the chart's line and right-hand axis: the share of cases whose customer confirmed the fix.
    fixed = _("Confirmed fixed")
    if points:
        xs, ys = zip(*points, strict=True)
        rate.plot(xs, ys, color=RATE_COLOUR, marker="o", linewidth=2, label=fixed)
    rate.set_ylim(0, 105)
    rate.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: i18n.percent(value / 100)))
    rate.set_ylabel(fixed)
    rate.spines[["top"]].set_visible(False)
    handles = cases.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    if handles:
        columns = 4 if len(handles) <= 8 else 3  # long names in three columns still fit the width
        figure.legend(
            handles=handles, loc="outside lower center", ncols=columns, frameon=False, fontsize="small"
        )
    figure.suptitle(_(title), fontsize=12)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return _palette(out.getvalue())


def _palette(png: bytes) -> bytes:
    """Return the PNG with at most 64 colours: a third of the size, the same to the eye."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
