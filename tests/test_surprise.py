"""Study-specific and generic genes: planted departures from what the features predict are found."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from degtools import compare_models, prepare_design, read_de_table
from degtools.genesets import read_gmt
from degtools.surprise import find_surprising_genes, out_of_sample_predictions

#: genes whose logFC gets +3 on top of what their mean expression predicts.
PLANTED = [f"GENE{i}" for i in range(0, 400, 50)]


@pytest.fixture
def study(tmp_path):
    """A GEO2R-like table where logFC follows AveExpr, except for the planted genes."""
    rng = np.random.default_rng(1)
    n = 400
    mean = rng.normal(8, 1, n)
    logfc = 0.8 * (mean - 8) + rng.normal(0, 0.1, n)
    symbols = [f"GENE{i}" for i in range(n)]
    logfc[[symbols.index(gene) for gene in PLANTED]] += 3.0
    se = rng.uniform(0.1, 0.5, n)
    t = logfc / se
    p = 2 * stats.t.sf(np.abs(t), df=20)
    frame = pd.DataFrame({"ID": [f"probe{i}" for i in range(n)], "logFC": logfc, "AveExpr": mean, "t": t,
                          "P.Value": p, "adj.P.Val": np.minimum(1, p * n), "B": np.log(np.abs(t) + 1),
                          "Gene.symbol": symbols, "Gene.title": [f"gene {i}" for i in range(n)]})
    path = tmp_path / "study.tsv"
    frame.to_csv(path, sep="\t", index=False)
    gmt = tmp_path / "sets.gmt"
    others = [f"GENE{i}" for i in range(1, 400, 7)][:30]
    gmt.write_text("PLANTED_SET\tplanted\t" + "\t".join(PLANTED + ["GENE3", "GENE5", "GENE9", "GENE11"]) + "\n"
                   + "OTHER_SET\tunrelated\t" + "\t".join(others) + "\n", encoding="utf-8")
    table = read_de_table(path)
    design = prepare_design(table, target="logFC", seed=0).with_features(["mean_expr"])
    comparison = compare_models(design, models=("DummyRegressor", "LinearRegression"), cv_folds=5, seed=0)
    return table, design, comparison, read_gmt(gmt)


def test_out_of_sample_predictions_use_the_leaderboards_folds(study):
    table, design, comparison, _ = study
    frame = out_of_sample_predictions(comparison.best, design, cv_folds=5, seed=0)
    assert len(frame) == len(design.X_train) + len(design.X_test)
    # test genes: the fitted model; training genes: a fold model that never saw them (differs from the full fit)
    test = frame.loc[frame["in_test"]]
    np.testing.assert_allclose(test["predicted"], comparison.best.pipeline.predict(design.X_test), rtol=1e-12)
    train = frame.loc[~frame["in_test"]]
    splits = list(design.cv_splitter(5, 0).split(design.X_train, design.y_train, design.groups_train))
    fitted_on, held = splits[0]
    from sklearn.base import clone

    fold_model = clone(comparison.best.pipeline).fit(design.X_train.iloc[fitted_on], design.y_train.iloc[fitted_on])
    np.testing.assert_allclose(train["predicted"].iloc[held], fold_model.predict(design.X_train.iloc[held]),
                               rtol=1e-10)


def test_planted_genes_are_study_specific_with_the_reason_in_words(study):
    table, design, comparison, gene_sets = study
    found = find_surprising_genes(comparison, design, table, gene_sets=gene_sets, n=len(PLANTED))
    assert found.beats_dummy is True
    assert sorted(found.study_specific["symbol"]) == sorted(PLANTED)
    for _, row in found.study_specific.iterrows():
        assert 2.5 < row["residual"] < 3.5  # the planted +3
        if np.sign(row["observed"]) == np.sign(row["predicted"]):
            excess = abs(row["observed"]) - abs(row["predicted"])
            assert row["reason"].startswith(f"changes {excess:.2f} log2 units more than the model's features "
                                            "(AveExpr) predict")
        else:
            assert row["reason"].startswith(f"goes up ({row['observed']:+.2f}) where the model's features "
                                            f"(AveExpr) predict the opposite ({row['predicted']:+.2f})")
    # generic responders: large changes, well predicted, none of them planted
    assert len(found.generic) > 0 and not set(found.generic["symbol"]) & set(PLANTED)
    assert (found.generic["z"].abs() < 0.5).all()
    assert found.generic["observed"].abs().min() >= found.genes["observed"].abs().quantile(0.9) - 1e-12
    # the planted set is over-represented among the study-specific genes, the unrelated one is not
    ora = found.ora.set_index("set")
    assert ora.loc["PLANTED_SET", "overlap"] == len(PLANTED) and ora.loc["PLANTED_SET", "fdr"] < 1e-6
    assert "OTHER_SET" not in ora.index or ora.loc["OTHER_SET", "pvalue"] > 0.05


def test_null_model_says_the_study_specific_genes_are_just_the_largest_changes(study):
    table, design, _, _ = study
    noise = np.random.default_rng(3).normal(size=len(design.X_train))
    null = design.with_features(["mean_expr"])
    null.X_train = null.X_train.assign(mean_expr=noise)
    null.X_test = null.X_test.assign(mean_expr=np.random.default_rng(4).normal(size=len(null.X_test)))
    comparison = compare_models(null, models=("DummyRegressor", "LinearRegression"), cv_folds=5, seed=0)
    found = find_surprising_genes(comparison, null, table)
    assert found.beats_dummy is False
    assert any("simply the largest changes" in note for note in found.notes)
    assert found.ora is None


def test_the_section_shows_both_lists_with_their_reasons_as_text(study, monkeypatch):
    from degtools import display, display_genes

    table, design, comparison, gene_sets = study
    found = find_surprising_genes(comparison, design, table, gene_sets=gene_sets, n=3)
    found.study_specific.loc[found.study_specific.index[0], "symbol"] = "<script>alert(1)</script>"
    shown = []
    monkeypatch.setattr(display, "display", lambda obj, **_: shown.append(obj.data))
    monkeypatch.setattr(display_genes, "display", lambda obj, **_: shown.append(obj.data))
    display_genes.show_surprising_genes(found, label="logFC", n=5)
    text = "\n".join(shown)
    assert "Study-specific genes" in text and "Generic responders" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    reason = found.study_specific["reason"].iloc[1]
    assert reason in text or html.escape(reason) in text
    assert "PLANTED_SET" in text  # the over-representation table


def test_kept_out_of_fold_predictions_equal_a_fresh_cross_val_predict(study):
    table, design, comparison, _ = study
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_predict

    best = comparison.best
    assert best.oof_predictions is not None and best.oof_folds == (5, 0)
    splits = list(design.cv_splitter(5, 0).split(design.X_train, design.y_train, design.groups_train))
    fresh = cross_val_predict(clone(best.pipeline), design.X_train, design.y_train, cv=splits)
    np.testing.assert_allclose(best.oof_predictions, fresh, rtol=1e-12)
    # other folds than the leaderboard's: computed afresh, not taken from the kept predictions
    other = out_of_sample_predictions(best, design, cv_folds=3, seed=1)
    assert not np.allclose(other.loc[~other["in_test"], "predicted"], best.oof_predictions)
    # only the best model keeps them
    assert all(r.oof_predictions is None for r in comparison.results if r.name != best.name)
