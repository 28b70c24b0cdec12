"""Headers of per-sample and per-group value columns: A1..C3, ``Treated_2_count``, ``mean_<group>``.

Tables often carry the values a fold change was computed from: one column per sample (named
group + replicate number, sometimes with a ``_count`` affix) or one mean per group. These
helpers read the headers only; :mod:`degtools.rebuild` measures whether the values rebuild the
fold change.
"""

from __future__ import annotations

import re

_SAMPLE = re.compile(r"^(?P<group>.*?[A-Za-z])[._ -]?(?P<replicate>\d+)$")
_GROUP_MEAN = (
    re.compile(r"^(?:aveexpr|basemean|average|mean|avg|ave)[._ -]?(?P<group>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<group>.+?)[._ -](?:mean|avg|average)$", re.IGNORECASE),
)
_COUNT_AFFIX = re.compile(r"(?:^counts?[._ -])|(?:[._ -]counts?$)", re.IGNORECASE)


def group_mean_name(column: str) -> str | None:
    """The group of a group-mean header (``mean_A``, ``B_mean``, ``AveExpr.C``, ``baseMeanD``), else None."""
    name = str(column)
    match = next((m for pattern in _GROUP_MEAN if (m := pattern.match(name))), None)
    return match.group("group") if match else None


def is_count_column(column: str) -> bool:
    """Whether a header names a per-sample count (``A1_count``, ``counts.S2``)."""
    return bool(_COUNT_AFFIX.search(str(column)))


def sample_groups(columns: list[str]) -> dict[str, list[str]]:
    """Per-sample columns grouped by the prefix before their replicate number (A1..A3 / B1..B3).

    ``_count`` affixes are ignored (``Treated_3_count`` is replicate 3 of ``Treated``); only groups
    of at least two replicates are kept. Group means are :func:`group_means`.
    """
    groups: dict[str, list[str]] = {}
    for column in columns:
        if group_mean_name(column) is not None:
            continue
        match = _SAMPLE.match(_COUNT_AFFIX.sub("", str(column)))
        if match is not None:
            groups.setdefault(match.group("group").rstrip("._ -"), []).append(column)
    return {group: members for group, members in groups.items() if len(members) >= 2}


def group_means(columns: list[str]) -> dict[str, list[str]]:
    """Group-mean columns, one group each (at least two groups), e.g. mean_A, mean_B."""
    groups = {group: [column] for column in columns if (group := group_mean_name(column)) is not None}
    return groups if len(groups) >= 2 else {}
