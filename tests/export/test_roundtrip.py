"""What export writes loads back with datasets, with the same rows and features, for every format."""

import pytest
from datasets import load_dataset, load_from_disk

from groundset.config import load_config
from groundset.export.hf import to_features
from groundset.export.runner import export, export_rows
from tests.export.fixtures import conversation, filled_workdir, multihop, qa, textbook


@pytest.fixture
def workdir(tmp_path):
    kept = [qa(i, f"d{i % 6}") for i in range(24)] + [multihop("d1", "d7"), conversation("d2"), textbook("d3")]
    return filled_workdir(tmp_path / "w", kept)


@pytest.mark.parametrize("fmt,schema", [("hf", "qa"), ("parquet", "sft"), ("jsonl", "ragas"), ("jsonl", "conversation")])
def test_round_trip(workdir, tmp_path, fmt, schema):
    cfg = load_config(None, {"export.format": fmt, "export.schema": schema, "export.out": str(tmp_path / "out"),
                             "export.splits": "{train = 0.6, validation = 0.2, test = 0.2}"})
    result = export(cfg, workdir)
    built = export_rows(cfg, workdir)
    loaded = load_from_disk(str(result.out)) if fmt == "hf" else load_dataset(str(result.out))
    assert set(loaded) == set(result.split_rows)
    by_id = {r["id"]: r for r in built.rows}
    seen = []
    for split, ds in loaded.items():
        assert ds.features == to_features(built.columns)
        assert len(ds) == result.split_rows[split]
        for row in ds:
            assert row == by_id[row["id"]]
            seen.append(row["id"])
    assert sorted(seen) == sorted(by_id)
    docs = {split: {d for r in ds for d in r["document_ids"]} for split, ds in loaded.items()}
    names = list(docs)
    assert all(not docs[a] & docs[b] for a in names for b in names if a < b)


def test_jsonl_loads_with_plain_data_files_and_features(workdir, tmp_path):
    cfg = load_config(None, {"export.format": "jsonl", "export.schema": "ragas", "export.out": str(tmp_path / "o")})
    result = export(cfg, workdir)
    features = to_features(export_rows(cfg, workdir).columns)
    files = {s: str(result.out / "data" / f"{s}.jsonl") for s in result.split_rows}
    ds = load_dataset("json", data_files=files, features=features)
    assert ds["train"].features == features and ds["train"][0]["query_length"] is None  # an all-null column keeps its type


def test_empty_schema_explains(workdir, tmp_path):
    from groundset.errors import GroundsetError

    cfg = load_config(None, {"export.schema": "dpo", "export.dpo_pairs": "gate"})
    with pytest.raises(GroundsetError, match="no rows to export.*no_rejected_answer"):
        export(cfg, workdir)


def test_all_rejected_explains(tmp_path):
    from groundset.errors import GroundsetError

    wd = filled_workdir(tmp_path / "w", [], [qa(1, "d1", kept=False, reasons=["unsupported"])])
    with pytest.raises(GroundsetError, match="all 1 evaluated samples were rejected"):
        export(load_config(None), wd)


def test_the_card_features_are_written_without_private_datasets_helpers():
    """Our YAML of the features is what `datasets` itself would write, and reads back as the same Features (this
    test uses the private helpers on purpose: it fails loudly if their format moves)."""
    from datasets import Features

    from groundset.export.hf import dataset_info_yaml
    from groundset.export.spec import Schema
    from groundset.registry import SCHEMAS
    from groundset.review.apply import REVIEW_COLUMNS

    for name, spec in SCHEMAS.items():
        assert isinstance(spec, Schema)
        columns = {**spec.columns, **REVIEW_COLUMNS, "score_rating": "float64"}
        ours = dataset_info_yaml(columns)["features"]
        assert ours == to_features(columns)._to_yaml_list(), name
        assert Features._from_yaml_list(ours) == to_features(columns), name
