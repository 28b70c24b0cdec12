"""The audit's last guard: do the columns judged independent rebuild the target together?

Verdicts come from provenance (:mod:`degtools.origins`); strength is information. One check
remains on strength: when the columns called independent reach, together, most of what all
the columns reach, and that is a lot, some arithmetic between them and the target may have
escaped the catalogue and the measured identities. The guard then names them in one sentence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: the independent columns together trigger the guard at this share of the all-features R² ...
INDEPENDENT_SHARE = 0.8
#: ... when the all-features R² is at least this high.
HIGH_R2 = 0.5
#: one-feature R² below which the strength sentence says "less than 1%".
NEGLIGIBLE_R2 = 0.005


def guard_independent(r2_independent: float, r2_all: float, *, columns: Sequence[str],
                      target: str = "the target") -> str | None:
    """A warning naming ``columns`` when they rebuild most of the target together, else None.

    Parameters
    ----------
    r2_independent
        Cross-validated R² of a model on all the independent columns together.
    r2_all
        Cross-validated R² of the same model on all features.
    columns
        The independent columns (the user's headers).
    target
        The target's header, for the sentence.

    Returns
    -------
    str or None
        The sentence when ``r2_all`` reaches :data:`HIGH_R2` and ``r2_independent`` reaches
        :data:`INDEPENDENT_SHARE` of it; None otherwise (or when either R² is not a number).
    """
    if not columns or not (math.isfinite(r2_independent) and math.isfinite(r2_all)):
        return None
    if r2_all < HIGH_R2 or r2_independent < INDEPENDENT_SHARE * r2_all:
        return None
    names = ", ".join(columns)
    return (
        f"The columns judged independent of {target} ({names}) reach together a cross-validated R² of "
        f"{r2_independent:.2f}, {r2_independent / r2_all:.0%} of the {r2_all:.2f} all features reach "
        "(the guard "
        f"speaks from {INDEPENDENT_SHARE:.0%} of an R² of at least {HIGH_R2:g}): together they may rebuild "
        f"{target} in a way no single column shows. Check where they come from before reading their model as "
        "independent evidence."
    )


def strength_sentence(r2_one: float, *, target: str = "the target") -> str:
    """How much of the target one column predicts, as words: ``"predicts 18% of the target"``."""
    if r2_one is None or not math.isfinite(r2_one):
        return "strength not measured"
    if r2_one <= 0:
        return f"predicts none of {target}"
    if r2_one < NEGLIGIBLE_R2:
        return f"predicts less than 1% of {target}"
    return f"predicts {r2_one:.0%} of {target}"
