"""What every report figure shares: its size and resolution (``FIGSIZE``, ``DPI``), literal
text (:func:`literal_text`, and ``_literal``, which runs a figure function under it), a new
constrained-layout figure, the legend below the plotting areas, short names and readable
tick labels (:func:`readable_axis`).

Split from :mod:`probnn.report.plots`, which re-exports every name here.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator, ScalarFormatter
from numpy.typing import ArrayLike

__all__ = ["FIGSIZE", "DPI", "literal_text", "readable_axis"]

FIGSIZE = (6.4, 4.2)  # inches: at DPI, about half the width of the report's page
DPI = 100
# Values whose magnitude reaches this are labelled with SI prefixes (200k, 1.5M).
_LARGE = 1e4


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Inside, every Text matplotlib creates draws its string as it is: no mathtext, no TeX.

    matplotlib decides when a Text is created (titles, labels, legends; tick labels at
    draw time) whether ``$...$`` is mathematics, from ``text.parse_math``; so both the
    building and the drawing of a figure run inside this context.
    """
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


def _literal(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """``build`` run under :func:`literal_text` (every figure function of this module)."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with literal_text():
            return build(*args, **kwargs)

    return wrapper


def _new_figure(size: tuple[float, float] = FIGSIZE) -> Figure:
    return Figure(figsize=size, dpi=DPI, layout="constrained")


def _legend_below(fig: Figure, ax, ncols: int | None = None) -> None:
    """The axes' legend under the figure, outside every plotting area."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", fontsize="small",
                   ncols=ncols or min(len(labels), 3), frameon=False)  # fmt: skip


def _short(name: object, width: int = 16) -> str:
    text = str(name)
    return text if len(text) <= width else text[: width - 1] + "…"


def readable_axis(axis, values: ArrayLike) -> None:
    """Tick labels a reader can take in at a glance.

    Values of magnitude 1e4 and more get SI prefixes (``50k``, ``1.5M``);
    smaller ones plain numbers without an offset or scientific notation.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    values : array-like
        The values the axis shows (finite ones are looked at).
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size and np.max(np.abs(v)) >= _LARGE:
        axis.set_major_formatter(EngFormatter(sep=""))
    else:
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        axis.set_major_formatter(formatter)
    axis.set_major_locator(MaxNLocator(nbins=6))
