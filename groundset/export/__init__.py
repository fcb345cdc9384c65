"""groundset.export: kept samples → a Hugging Face dataset (hf / jsonl / parquet) with a dataset card, and the Hub.

```
evaluated/kept.jsonl ──schemas / dpo──▶ rows ──splits (by document)──▶ hf.write_dataset ──▶ out/ (+ README.md card)
                                                                   └──▶ hf.push_folder ──▶ the Hub (parquet)
```
``runner.export(config, workdir)`` is the entry point; ``hf`` is the only module that imports ``datasets`` and
``huggingface_hub``; ``stats`` reads the workdir for the card and the HTML report.
"""
