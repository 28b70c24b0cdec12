"""Gene-set membership as 0/1 model features."""

from __future__ import annotations

import numpy as np
from limma_frames import limma_frame, write_table

from degtools import genesets, pathways, read_de_table


def test_pathway_membership(tmp_path):
    hallmark = genesets.read_gmt("")
    adipo = hallmark.sets["HALLMARK_ADIPOGENESIS"][:20]
    frame = limma_frame(adipo + ["NOTAGENE", f"{adipo[0]} /// XYZ"], list(np.linspace(-2, 2, 22)))
    table = read_de_table(write_table(tmp_path, frame))
    membership = pathways.pathway_membership(table, hallmark)
    column = "pathway: HALLMARK_ADIPOGENESIS"
    assert column in membership.columns
    assert membership.loc["p20", column] == 0.0 and membership.loc["p21", column] == 1.0
    assert set(np.unique(membership.to_numpy())) <= {0.0, 1.0}
    assert all(membership[col].sum() >= pathways.PATHWAY_MIN_GENES for col in membership.columns)
