"""What ``probnn fit`` and ``compare`` fit when the network is the family's GLM.

* ``--hidden none`` in memory is the selection's GLM (``probnn.selection``): L-BFGS unless
  ``--solver`` says otherwise, and below ``selection.EVIDENCE_BELOW`` training rows, unless
  ``--alpha`` or a prior other than the Gaussian is given, the Gaussian prior's strength of
  largest Laplace evidence (``--alpha evidence``, :mod:`probnn.evidence`).

The functions change ``args`` in place (``hidden``, ``solver``, ``alpha``), so every later use
of the options (the early-stopping rows, the report's settings) sees what is fitted.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["default_solver", "glm_by_evidence", "settle_glm"]


def _in_memory(args) -> bool:
    """Whether the command holds the table in memory (``compare`` always does)."""
    from probnn.cli.options import _streams

    return getattr(args, "stream", None) is None or not _streams(args)


def default_solver(args) -> None:
    """``--solver`` left out: L-BFGS for ``--hidden none`` in memory (the selection's GLMs'
    optimiser: full batch, to the MAP), else the regressor's default (adam)."""
    from probnn import defaults

    if args.solver is None:
        glm = args.hidden == () and _in_memory(args)
        args.solver = "lbfgs" if glm else defaults.REGRESSOR["solver"]


def glm_by_evidence(args, n_train: int) -> str | None:
    """``--hidden none`` without ``--alpha`` on fewer than ``selection.EVIDENCE_BELOW``
    training rows: ``args.alpha = "evidence"`` where the evidence applies (L-BFGS, a Gaussian
    prior, one model on exact targets in memory), as the selection's GLMs. Returns the line
    that says so, or None where nothing changed."""
    from probnn.selection import EVIDENCE_BELOW

    censored = any(getattr(args, name, None) is not None
                   for name in ("upper", "event", "censored_above", "censored_below"))  # fmt: skip
    if (args.hidden != () or args.alpha is not None or args.prior != "gaussian"
            or args.solver != "lbfgs" or getattr(args, "ensemble", 1) > 1 or censored
            or not _in_memory(args) or n_train >= EVIDENCE_BELOW):  # fmt: skip
        return None
    args.alpha = "evidence"
    return (f"the GLM's Gaussian prior: its strength of largest Laplace evidence (below "
            f"{EVIDENCE_BELOW:,} training rows, as --family auto's GLMs; --alpha A sets it)")


def settle_glm(args, families: Sequence[str], n_train: int, select: bool = False) -> None:
    """:func:`default_solver`, then :func:`glm_by_evidence` (not under ``--family auto``'s
    selection, ``select``, whose GLMs have the rule already), said as progress. ``families``:
    those the command fits."""
    from probnn.cli._common import _say

    default_solver(args)
    line = None if select else glm_by_evidence(args, n_train)
    if line:
        _say(args, line)
