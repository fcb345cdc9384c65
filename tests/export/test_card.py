"""The card describes the run that made the data (its own records), and the exported rows only."""

import json
import re

import yaml

from groundset.config import load_config
from groundset.export.runner import export
from tests.export.fixtures import conversation, filled_workdir, qa, textbook


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def _workdir(tmp_path, **kw):
    kept = [qa(i, f"d{i % 3}") for i in range(9)] + [conversation("d5"), textbook("d4")]
    for s in kept:
        s.generation = s.generation.model_copy(update=dict(model="openai:Qwen/Qwen2.5-7B-Instruct", prompt_tokens=100, completion_tokens=20,
                            params={"temperature": 0.7}))
    kept[-1].evaluation.scores["adherence"] = 0.123  # a textbook score the qa card must not plot
    rejected = [qa(i, "d1", kept=False, reasons=["unsupported"]) for i in range(3)] + [
        qa(9, "d2", kept=False, reasons=["near_duplicate"])
    ]
    return filled_workdir(tmp_path / "w", kept, rejected, embed_model="sentence-transformers/all-MiniLM-L6-v2", **kw)


def test_card_is_written_from_what_the_run_recorded(tmp_path):
    wd = _workdir(
        tmp_path,
        evaluate={"judge": {"name": "default", "threshold": 0.0, "aggregate": "mean"}, "thresholds": {"default": 0.0},
                  "filters": {"sanity": False, "dedup": True}},
        generate={"tasks": {"qa": {"requested": 20}, "multihop": {"requested": 5}, "conversation": {"requested": 3},
                            "textbook": {"requested": 2}, "rag": {"requested": 4}}},
    )
    cfg = load_config(None, {"export.format": "parquet", "export.corpus_name": "Tiny docs", "llm.spec": "local",
                             "evaluate.sanity": "true"})  # the export command's config says otherwise: ignored
    card = (export(cfg, wd).out / "README.md").read_text()
    assert "kept when adherence ≥ 0" in card and "≥ 0.6" not in card
    assert '"sanity": false' not in card and "sanity = false" in card and "sanity = true" not in card
    assert "qa × 20, multihop × 5, conversation × 3, textbook × 2, rag × 4" in card
    assert "Generator of the exported rows: `openai:Qwen/Qwen2.5-7B-Instruct` (9 rows); backend `openai`" in card
    assert "`local`" not in card
    assert "`sentence-transformers/all-MiniLM-L6-v2`" in card and "`default`, chunks" not in card
    assert "Sampling of `qa`: temperature 0.7" in card


def test_figures_are_of_the_exported_rows_only(tmp_path):
    card = (export(load_config(None, {"export.format": "jsonl"}), _workdir(tmp_path)).out / "README.md").read_text()
    assert "`adherence`, exported rows (9):" in card  # 9 qa rows: not the conversation nor the textbook
    hist = card.split("`adherence`, exported rows (9):")[1].split("```")[1]
    assert "0.10–0.20" in hist and re.search(r"0\.10–0\.20\s+0\n", hist)  # the textbook's 0.123 is not plotted
    assert "Documents behind the exported rows: 3 of 6" in card


def test_yield_funnel_with_reasons_and_tokens_per_kept_row(tmp_path):
    card = (export(load_config(None, {"export.format": "jsonl"}), _workdir(tmp_path)).out / "README.md").read_text()
    section = card.split("## Yield")[1].split("## ")[0]
    # qa: 13 samples (9 kept + 4 gate-rejected) + 1 generate reject (invalid_json); 9 kept × 120 tokens / 9 kept
    assert "| `qa` | 14 | 13 | 9 | 9 | invalid_json 1 | unsupported 3, near_duplicate 1 | – | 120 |" in section
    assert "| `conversation` | 1 | 1 | 1 | 0 | – | – | not_a_question_answer_sample 1 |" in section
    # usage.json recorded 12,000 tokens and a cost of 0.015 for 11 kept samples
    assert "12,000 tokens for 11 kept samples, 1,091 tokens per kept row, cost 0.0150 (0.001364 per kept row)" in section


def test_no_recorded_prices_say_so(tmp_path):
    wd = _workdir(tmp_path)
    usage = json.loads(wd.usage.read_text())
    usage["generate"]["cost"] = 0.0
    wd.usage.write_text(json.dumps(usage))
    card = (export(load_config(None, {"llm.price_prompt_per_m": "5"}), wd).out / "README.md").read_text()
    assert "no prices were recorded" in card and "Estimated cost" not in card


def test_card_metadata_follows_the_hub_spec(tmp_path):
    result = export(load_config(None, {"export.format": "parquet"}), _workdir(tmp_path))
    card = (result.out / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "other" and meta["license_name"] == "corpus-terms" and meta["license_link"] == "LICENSE.md"
    assert "NOT GIVEN" in (result.out / "LICENSE.md").read_text()
    assert meta["annotations_creators"] == ["machine-generated"] and meta["source_datasets"] == ["original"]
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]} == result.split_rows
    assert {f["name"] for f in meta["dataset_info"]["features"]} >= {"question", "answer", "adherence", "chunk_ids"}
    assert meta["configs"][0]["data_files"][0]["path"].startswith("data/")
    assert "groundset-qa" in meta["tags"] and meta["task_categories"] == ["question-answering"]
    assert f'load_dataset("{result.out}")' in card
    assert "[!WARNING]" in card and "licence of the source corpus was not given" in card
    assert "## Intended use" in card and "## Limitations" in card
    assert "| stage | requests | calls | cache_hits | retries |" in card  # retries after 429 / 5xx / timeouts
    assert "| generate | 32 | 30 | 2 | 4 |" in card


def test_given_licences_silence_the_warning(tmp_path):
    cfg = load_config(None, {"export.format": "hf", "export.corpus_license": "PSF-2.0", "export.license": "cc-by-4.0",
                             "export.source_datasets": '["me/corpus"]'})
    result = export(cfg, _workdir(tmp_path))
    card = (result.out / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "cc-by-4.0" and "license_name" not in meta and meta["source_datasets"] == ["me/corpus"]
    assert "[!WARNING]" not in card and "PSF-2.0" in card and not (result.out / "LICENSE.md").exists()
    assert f'load_from_disk("{result.out}")' in card


def test_missing_records_say_not_recorded(tmp_path):
    wd = _workdir(tmp_path)
    wd.evaluate_summary.unlink()
    wd.generate_summary.unlink()
    card = (export(load_config(None, {"export.format": "jsonl"}), wd).out / "README.md").read_text()
    assert "Grounding gate: not recorded" in card and "Tasks requested by the last generate run: not recorded" in card
