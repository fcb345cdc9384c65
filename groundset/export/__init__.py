"""groundset.export: kept samples → a Hugging Face dataset (hf / jsonl / parquet) with a dataset card, and the Hub.

```
evaluated/kept.jsonl ──schemas / dpo──▶ rows ──splits (by document)──▶ hf.write_dataset ──publish──▶ out/ (+ card)
                                                                   └──▶ hf.push_folder ──▶ the Hub (parquet)
```
``publish`` builds the export in a sibling folder and renames it into place; it recognises its own exports by a
manifest (``.groundset-export.json``) and never removes a file that manifest does not list.
``runner.export(config, workdir)`` is the entry point; ``hf`` is the only module that imports ``datasets`` and
``huggingface_hub``; ``stats`` reads the workdir for the card and the HTML report.
"""
