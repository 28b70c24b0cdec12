"""Report names: ``<dataset>_<target>``, file-safe."""

from __future__ import annotations

from degtools.naming import dataset_name_from_path, report_stem, safe_file_part


def test_dataset_name_is_the_file_name_up_to_the_first_dot():
    assert dataset_name_from_path("/x/GSE15852.top.table.tsv") == "GSE15852"
    assert dataset_name_from_path("airway_deseq2_results.csv") == "airway_deseq2_results"


def test_report_stem_uses_dataset_name_and_target_and_is_file_safe():
    params = {"dataset_name": "", "input_table": "/d/GSE2034.top.table.tsv", "target": "B"}
    assert report_stem(params) == "GSE2034_B"
    assert report_stem({**params, "dataset_name": "my study/1"}) == "my_study_1_B"
    assert safe_file_part("../../etc") == "etc"


def test_the_demo_table_names_its_reports():
    assert report_stem({"dataset_name": "", "input_table": "", "target": "logFC"}) == "GSE15852_logFC"
