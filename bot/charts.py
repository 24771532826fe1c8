"""Charts a person takes in at a glance, drawn headless with matplotlib.

matplotlib is imported on first use only: most commands never draw, and its
import costs a few hundred milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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

    weeks: Sequence[str]  # labels, oldest first
    by_category: Mapping[str, Sequence[int]]  # label -> count per week
    recovery_rate: Sequence[float | None]


def weekly_cases_image(data: WeeklyCases, *, title: str, name: str) -> Image:
    """Return the chart of `weekly_cases_png` as a reply's image, described in words."""
    return Image(png=weekly_cases_png(data, title=title), alt=describe(data), name=name)


def describe(data: WeeklyCases) -> str:
    """Return what the weekly chart shows, in words (its alt text)."""
    weeks = data.weeks
    totals = [sum(series[k] for series in data.by_category.values()) for k in range(len(weeks))]
    rates = ", ".join("no answers" if r is None else f"{r:.0%}" for r in data.recovery_rate)
    return (
        f"Cases opened per week from {weeks[0]} to {weeks[-1]}: {', '.join(map(str, totals))}."
        f" Share confirmed fixed: {rates}."
    )


def weekly_cases_png(data: WeeklyCases, *, title: str) -> bytes:
    """Return a stacked bar chart of cases per week by category with the recovery rate as a line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    cases = figure.add_subplot()
    positions = range(len(data.weeks))
    bottom = [0] * len(data.weeks)
    for i, (label, counts) in enumerate(data.by_category.items()):
        colour, hatch = PALETTE[i % len(PALETTE)], "//" if i >= len(PALETTE) else None
        cases.bar(positions, counts, bottom=bottom, label=label, color=colour, hatch=hatch, width=0.7)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    cases.set_xticks(list(positions), list(data.weeks))
    cases.set_ylabel("Cases opened")
    cases.yaxis.set_major_locator(MaxNLocator(integer=True))
    cases.set_ylim(0, max([*bottom, 1]) * 1.15)
    cases.spines[["top"]].set_visible(False)
    rate = cases.twinx()
    points = [(x, r * 100) for x, r in zip(positions, data.recovery_rate, strict=True) if r is not None]
    if points:
        xs, ys = zip(*points, strict=True)
        rate.plot(xs, ys, color=RATE_COLOUR, marker="o", linewidth=2, label="Confirmed fixed")
    rate.set_ylim(0, 105)
    rate.yaxis.set_major_formatter(PercentFormatter())
    rate.set_ylabel("Confirmed fixed")
    rate.spines[["top"]].set_visible(False)
    handles = cases.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    if handles:
        columns = 4 if len(handles) <= 8 else 3  # long names in three columns still fit the width
        figure.legend(
            handles=handles, loc="outside lower center", ncols=columns, frameon=False, fontsize="small"
        )
    figure.suptitle(title, fontsize=12)
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
