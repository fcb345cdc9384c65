"""Every schema in every format, read back by the libraries users train and evaluate with.

- ``datasets``: always (a dependency): same rows, same features, no grounding document in two splits.
- TRL (``pip install 'groundset[trl]'``; skipped when absent): ``is_conversational`` /
  ``maybe_apply_chat_template`` on the chat schemas, and one ``SFTTrainer`` / ``DPOTrainer`` step on a tiny random
  model built in the test (no download) for sft, conversation, textbook and dpo.
- ragas (``groundset[ragas]``; skipped when absent): ``EvaluationDataset`` from the ragas export, and
  ``ragas.evaluate`` with the ID-based context precision and recall (no LLM needed).
"""

from __future__ import annotations

import copy

import pytest
from datasets import load_dataset, load_from_disk

from groundset.config import load_config
from groundset.export.hf import to_features
from groundset.export.runner import export, export_rows
from tests.export.fixtures import conversation, filled_workdir, multihop, qa, rag, textbook

SCHEMAS = ("qa", "sft", "dpo", "ragas", "conversation", "textbook")
FORMATS = ("hf", "parquet", "jsonl")
DOCS = [f"d{i}" for i in range(8)]


def _kept():
    kept = [qa(i, DOCS[i % 8]) for i in range(16)] + [rag(i, DOCS[i % 8], [DOCS[(i + 1) % 8]]) for i in range(8)]
    kept += [multihop(DOCS[i], DOCS[(i + 1) % 8]) for i in range(0, 8, 4)]
    kept += [conversation(d) for d in DOCS] + [textbook(d) for d in DOCS]
    for s in kept:  # a trimmed answer gives each question-answer sample an honest dpo pair (gate mode, no LLM)
        if s.answer:
            s.evaluation.details.update(original_answer=s.answer + " It was made in 1850 by Napoleon.",
                                        original_adherence=0.3)
    return kept


@pytest.fixture
def workdir(tmp_path):
    return filled_workdir(tmp_path / "w", _kept())


def _export(workdir, out, schema, fmt="parquet"):
    cfg = load_config(None, {"export.format": fmt, "export.schema": schema, "export.out": str(out),
                             "export.dpo_pairs": "gate", "export.splits": "{train = 0.75, test = 0.25}"})
    return cfg, export(cfg, workdir)


def _load(out, fmt):
    return load_from_disk(str(out)) if fmt == "hf" else load_dataset(str(out))


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_schema_and_format_loads_with_datasets(workdir, tmp_path, schema):
    for fmt in FORMATS:
        cfg, result = _export(workdir, tmp_path / f"{schema}-{fmt}", schema, fmt)
        built = export_rows(cfg, workdir)
        loaded = _load(result.out, fmt)
        by_id = {r["id"]: r for r in built.rows}
        assert {s: len(ds) for s, ds in loaded.items()} == result.split_rows and result.split_rows.get("test")
        for ds in loaded.values():
            assert ds.features == to_features(built.columns)
            assert all(row == by_id[row["id"]] for row in ds)
        grounded = {s: {d for r in ds for d in r["grounded_document_ids"]} for s, ds in loaded.items()}
        assert not grounded["train"] & grounded["test"]


def _tiny_model_and_tokenizer(texts):
    """A word-level tokenizer over ``texts`` with a chat template, and a 1-layer random Llama (no download)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = sorted({w for t in texts for w in pre_tokenizers.Whitespace().pre_tokenize_str(t) for w in [w[0]]})
    specials = ["[PAD]", "[UNK]", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="<|end|>")
    tokenizer.add_special_tokens({"additional_special_tokens": specials[3:]})
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
        "{% if add_generation_prompt %}<|assistant|> {% endif %}"
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=512, pad_token_id=0, eos_token_id=2))
    return model, tokenizer


def _texts(ds) -> list[str]:
    out = []
    for row in ds:
        for v in row.values():
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, list):
                out += [m["content"] for m in v if isinstance(m, dict)] + [x for x in v if isinstance(x, str)]
    return out


def _train_args(trl, kind, tmp_path, **kw):
    config = trl.SFTConfig if kind == "sft" else trl.DPOConfig
    return config(output_dir=str(tmp_path / f"trainer-{kind}"), max_steps=1, per_device_train_batch_size=2,
                  report_to=[], save_strategy="no", logging_steps=1, max_length=256, use_cpu=True,
                  dataloader_num_workers=0, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("schema", ["sft", "conversation", "textbook", "dpo"])
def test_trl_reads_and_trains_a_step(workdir, tmp_path, schema):
    trl = pytest.importorskip("trl")
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    _, result = _export(workdir, tmp_path / schema, schema)
    train = _load(result.out, "parquet")["train"]
    model, tokenizer = _tiny_model_and_tokenizer(_texts(train))
    row = train[0]
    if schema == "textbook":
        assert not is_conversational(row) and row["text"]
        trainer = trl.SFTTrainer(model=model, args=_train_args(trl, "sft", tmp_path, dataset_text_field="text"),
                                 train_dataset=train, processing_class=tokenizer)
    else:
        assert is_conversational(row)
        applied = maybe_apply_chat_template(row, tokenizer)
        if schema == "dpo":
            assert applied["prompt"].startswith("<|system|>") and applied["chosen"].strip()
            trainer = trl.DPOTrainer(model=model, ref_model=copy.deepcopy(model), args=_train_args(trl, "dpo", tmp_path),
                                     train_dataset=train, processing_class=tokenizer)
        else:
            assert applied["text"].startswith("<|system|>")  # the row's own system message, not a template default
            trainer = trl.SFTTrainer(model=model, args=_train_args(trl, "sft", tmp_path), train_dataset=train,
                                     processing_class=tokenizer)
    out = trainer.train()
    assert out.global_step == 1 and out.training_loss > 0


def test_ragas_evaluates_the_export_with_id_based_metrics(workdir, tmp_path, monkeypatch):
    monkeypatch.setenv("RAGAS_DO_NOT_TRACK", "true")
    ragas = pytest.importorskip("ragas")
    from ragas import EvaluationDataset
    from ragas.metrics import IDBasedContextPrecision, IDBasedContextRecall

    _, result = _export(workdir, tmp_path / "ragas", "ragas", "jsonl")
    rows = list(_load(result.out, "jsonl")["train"])
    columns = ("user_input", "retrieved_contexts", "reference_contexts", "retrieved_context_ids",
               "reference_context_ids", "response", "reference")
    ds = EvaluationDataset.from_list([{k: r[k] for k in columns} for r in rows])
    scores = ragas.evaluate(ds, metrics=[IDBasedContextPrecision(), IDBasedContextRecall()], show_progress=False)
    frame = scores.to_pandas()
    assert len(frame) == len(rows)
    # rag rows retrieve the gold chunk among a distractor: precision 0.5, recall 1; qa rows retrieve their own chunk
    assert frame["id_based_context_recall"].min() == 1.0
    assert sorted(set(frame["id_based_context_precision"].round(3))) == [0.5, 1.0]
