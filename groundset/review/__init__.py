"""The review page: people check samples in a browser; their verdicts calibrate the gate and label the data.

```
evaluated/{kept,rejected}.jsonl ──session (stratified queue)──▶ page (server.py + page.html) ──▶ review/verdicts.jsonl
review/verdicts.jsonl ──calibrate.py──▶ `groundset evaluate calibrate --from-review` (threshold, figures, 95% CIs)
review/verdicts.jsonl ──apply.py──▶ export: human-rejected dropped, edits applied, review / synthetic_level columns, card
```
Modules: ``journal`` (the append-only, fsynced, lock-protected verdict journal), ``items`` (what the page shows of a
sample), ``sampling`` (the stratified queue), ``session`` (the workflow without HTTP), ``server`` (``http.server``),
``calibrate`` and ``apply``.
"""
