import yaml

from groundset.config import load_config
from groundset.export.runner import export
from tests.export.fixtures import conversation, filled_workdir, qa


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_card_is_written_from_the_run(tmp_path):
    kept = [qa(i, f"d{i % 3}") for i in range(9)] + [conversation("d5")]
    rejected = [qa(i, "d1", kept=False, reasons=["unsupported"]) for i in range(3)] + [
        qa(9, "d2", kept=False, reasons=["near_duplicate"])
    ]
    wd = filled_workdir(tmp_path / "w", kept, rejected)
    cfg = load_config(None, {
        "export.format": "parquet", "export.corpus_name": "Tiny docs", "export.corpus_license": "PSF-2.0",
        "export.license": "cc-by-4.0", "llm.price_prompt_per_m": "1.0", "llm.price_completion_per_m": "2.0",
    })
    result = export(cfg, wd)
    card = (result.out / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["en"]
    assert "groundset-qa" in meta["tags"] and meta["task_categories"] == ["question-answering"]
    assert meta["configs"][0]["data_files"][0]["path"].startswith("data/")
    assert {f["name"] for f in meta["dataset_info"]["features"]} >= {"question", "answer", "adherence", "chunk_ids"}
    assert "Tiny docs" in card and "PSF-2.0" in card
    assert "kept / rejected | 10 / 4 (acceptance 71.4%)" in card
    assert "rejected: unsupported | 3" in card and "rejected: near_duplicate | 1" in card
    assert "not exported: not_a_question_answer_sample | 1" in card
    assert "failed attempts: invalid_json 1" in card
    assert "| stage | requests | calls | retries | cache_hits |" in card  # retries after 429 / 5xx / timeouts
    assert "| generate | 32 | 30 | 4 | 2 | 9,000 | 3,000 | 12.5 |" in card and "generate: `tiny-model`" in card
    assert "Estimated cost: 0.0150" in card
    assert "`adherence`, kept (10)" in card and "█" in card
    assert "tiny-model" in card and "judge = " in card
    assert "## Intended use" in card and "## Limitations" in card
    assert "Documents used: 4 of 5 (80.0%)" in card
    threshold = cfg.evaluate.thresholds[cfg.evaluate.judge]
    assert f"Grounding gate: judge `{cfg.evaluate.judge}`; a sample is kept when adherence ≥ {threshold:g}" in card
