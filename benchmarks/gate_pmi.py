"""Experiment (issue 12): does source-conditioned likelihood from the bundled SmolLM2-135M help the default judge?

    nice -n 19 python benchmarks/gate_pmi.py --cache-dir /tmp/pmi      # ~25 CPU-min on 1 thread, resumable
    python benchmarks/gate_pmi.py --cache-dir /tmp/pmi --features-cache /tmp/f.json   # reuse the judge's features

Signal (van der Poel et al. 2022, mutual-information decoding): per token t of the response, one forward pass each,
PMI(t) = log p(t | source, question, earlier tokens) - log p(t | question, earlier tokens), with the chat template
of SmolLM2-135M-Instruct ("{source}\\n\\nSummarize the passage." / "Question: ..."); the source is truncated to its
first 1,024 tokens. Per sentence (the judge's own claims, ``judges/base.prepare``): mean / min PMI over tokens,
min over 3-token windows, share of tokens below 0 / -1, and the same over content words (a word's PMI = the sum of
its tokens'), plus the conditional log-prob alone. Per row: the worst sentence and the mean over sentences.

Protocol, FaithBench FIT half only (sha256(context) even; the check half is never read here):
1. AUC of each candidate alone (150 rows).
2. 5-fold CV by context inside the fit half at the rule's threshold (``fit_gate.fit``: 0.05 grid, best mean balanced
   accuracy over the fit groups), synthetic rows of held-out contexts left out of training:
   A  the shipped recipe on all rows;  B  the same on the rows that have PMI (a fixed sample of each synthetic group);
   C1 B + the best one or two PMI features in the sentence model;  C2 B + their per-row mean in the sample model;
   D0 A's out-of-fold adherence refitted on the fit-half training folds alone;  D  D0 + a per-row PMI feature.
3. CPU-ms per row of the two forward passes (1 thread): QA-length rows (SQuAD QA pairs) and FaithBench rows.
Needs ../shared/corpus (skips with a message without it). Deterministic for a given corpus and CPU.

Result (2026-12-01, AMD EPYC, 2 shared cores at load 3-5; per-group 40): NO LIFT. Best alone: cw_low1@mean (share of
content words whose PMI < 1, mean over sentences) AUC 0.722 on the fit half, about the shipped judge's own CV AUC
(0.724), but it adds nothing to it: CV BA A 0.699; B 0.718 → C1 0.698 / 0.691, C2 0.705; D0 0.692 → D 0.646 /
0.672. Cost: ~2.3 CPU-s per QA-length row (197 source + 32 answer tokens), ~1000x the judge's 2.2 CPU-ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

from groundset.evaluate.calibrate import auc, metrics  # noqa: E402
from groundset.evaluate.judges.base import JudgeInput, prepare  # noqa: E402
from groundset.evaluate.text import STOPWORDS  # noqa: E402

MAX_SOURCE = 1024
K = 5
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
# higher = more supported (+1) or less (-1)
SIGN = {"tok_mean": 1, "tok_min": 1, "win3_min": 1, "tok_low0": -1, "tok_lowm1": -1, "cw_mean": 1, "cw_min": 1,
        "cw_low0": -1, "cw_low1": -1, "cw_low2": -1, "lc_mean": 1, "lc_cw_min": 1, "lc_cw_mean": 1}


# ---------------------------------------------------------------- the language model: two passes per row
def _response(row: dict) -> str:
    return row.get("response") or " ".join(s for s, _ in row["sentences"])


def row_key(row: dict) -> str:
    return hashlib.sha256(json.dumps([row.get("question"), row["contexts"], _response(row)]).encode()).hexdigest()[:20]


def _find(text: str, claim: str, start: int) -> tuple[int, int] | None:
    pattern = re.compile(r"\s+".join(re.escape(w) for w in claim.split()))
    m = pattern.search(text, start) or pattern.search(text)
    return (m.start(), m.end()) if m else None


def _claims(row: dict, text: str) -> tuple[list[str], list]:
    """The claims the judge sees and their character spans in ``text``; for synthetic rows, per labelled sentence
    (as ``fit_gate.featurise`` does, so that the claims line up with its features)."""
    q = row.get("question")
    if not row.get("sentences"):
        claims = prepare(JudgeInput(texts=[text], contexts=row["contexts"], question=q)).claims
        spans, cur = [], 0
        for c in claims:
            spans.append(_find(text, c, cur))
            cur = spans[-1][1] if spans[-1] else cur
        return claims, spans
    claims, spans, cur = [], [], 0
    for s, _ in row["sentences"]:
        a = text.index(s, cur)
        cur, inner = a + len(s), 0
        for c in prepare(JudgeInput(texts=[s], contexts=row["contexts"], question=q)).claims:
            sp = _find(s, c, inner)
            inner = sp[1] if sp else inner
            claims.append(c)
            spans.append((a + sp[0], a + sp[1]) if sp else None)
    return claims, spans


def lm_row(row: dict) -> dict:
    """Token log-probs of the response with and without the source (one forward pass each)."""
    import torch

    from groundset.llm.local import load_local_model

    tok, lm = load_local_model()
    text = _response(row)
    claims, spans = _claims(row, text)
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"]
    instr = f"Question: {row['question']}" if row.get("question") else "Summarize the passage."
    source = "\n\n".join(prepare(JudgeInput(texts=["x"], contexts=row["contexts"])).contexts)
    source = tok.decode(tok(source, add_special_tokens=False)["input_ids"][:MAX_SOURCE])
    out = {"key": row_key(row), "text": text, "offsets": [list(o) for o in enc["offset_mapping"]],
           "claims": claims, "spans": spans}
    t = time.process_time()
    for name, user in (("lc", f"{source}\n\n{instr}"), ("lu", instr)):
        prefix = tok.apply_chat_template([{"role": "user", "content": user}], tokenize=False,
                                         add_generation_prompt=True)
        p = tok(prefix, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logits = lm(torch.tensor([p + ids])).logits[0, len(p) - 1 : -1].float()
        lp = torch.log_softmax(logits, -1).gather(1, torch.tensor(ids)[:, None])[:, 0]
        out[name] = [round(float(x), 4) for x in lp]
    out["cpu_s"] = round(time.process_time() - t, 3)
    return out


def lm_rows(rows: list[dict], cache: Path, compute: bool = True) -> dict[str, dict]:
    """key → lm_row, computed once per row and appended to ``cache`` (JSONL) as it goes (``compute=False``: only
    what the cache holds)."""
    have: dict[str, dict] = {}
    if cache.is_file():
        for line in cache.open(encoding="utf-8"):
            d = json.loads(line)
            have[d["key"]] = d
    if not compute:
        return have
    with cache.open("a", encoding="utf-8") as f:
        for r in rows:
            if row_key(r) not in have:
                d = lm_row(r)
                have[d["key"]] = d
                f.write(json.dumps(d) + "\n")
                f.flush()
    return have


# ---------------------------------------------------------------- features
def sentence_features(d: dict) -> list[dict | None]:
    """Per claim of an lm_row: the PMI candidates (None where the claim was not found in the text)."""
    lc, pmi = np.array(d["lc"]), np.array(d["lc"]) - np.array(d["lu"])
    offs, text, out = d["offsets"], d["text"], []
    for sp in d["spans"]:
        idx = [i for i, (s, e) in enumerate(offs) if sp and s < sp[1] and e > sp[0] and e > s]
        if not idx:
            out.append(None)
            continue
        p, c = pmi[idx], lc[idx]
        win = np.convolve(p, np.ones(3) / 3, "valid") if len(p) >= 3 else p
        wp, wc = [], []
        for m in _WORD.finditer(text, sp[0], sp[1]):
            w = m.group(0).lower()
            ti = [i for i in idx if offs[i][0] < m.end() and offs[i][1] > m.start()]
            if ti and w not in STOPWORDS and not (len(w) == 1 and w.isalpha()):
                wp.append(float(pmi[ti].sum()))
                wc.append(float(lc[ti].sum()))
        wp_, wc_ = np.array(wp or [0.0]), np.array(wc or [0.0])
        out.append({
            "tok_mean": p.mean(), "tok_min": p.min(), "win3_min": win.min(), "tok_low0": (p < 0).mean(),
            "tok_lowm1": (p < -1).mean(), "cw_mean": wp_.mean(), "cw_min": wp_.min(), "cw_low0": (wp_ < 0).mean(),
            "cw_low1": (wp_ < 1).mean(), "cw_low2": (wp_ < 2).mean(), "lc_mean": c.mean(), "lc_cw_min": wc_.min(),
            "lc_cw_mean": wc_.mean(),
        })
        out[-1] = {k: float(v) for k, v in out[-1].items()}
    return out


def row_features(d: dict) -> dict | None:
    """name@worst (the weakest sentence) and name@mean (mean over sentences)."""
    sf = [f for f in sentence_features(d) if f]
    if not sf:
        return None
    out = {}
    for k, s in SIGN.items():
        v = np.array([f[k] for f in sf])
        out[f"{k}@worst"] = float(v.min() if s > 0 else v.max())
        out[f"{k}@mean"] = float(v.mean())
    return out


# ---------------------------------------------------------------- protocol
def synthetic_sample(rows: list[dict], per_group: int, seed: int = 0) -> list[int]:
    """A fixed sample of each synthetic group, interleaved across groups (any prefix of it stays balanced)."""
    per = []
    for g in sorted({r["group"] for r in rows} - {"faithbench_fit"}):
        idx = [i for i, r in enumerate(rows) if r["group"] == g]
        per.append(sorted(random.Random(seed).sample(idx, min(per_group, len(idx)))))
    return [p[k] for k in range(max(map(len, per))) for p in per if k < len(p)]


def _norm(c: str) -> str:  # how gate_pairs.build joins FaithBench's tokenised punctuation
    return re.sub(r"\s+([.,;:!?)])", r"\1", c).replace("$ ", "$")


class Experiment:
    """The 5-fold CV by context inside the FaithBench fit half, with optional PMI features."""

    def __init__(self, rows: list[dict], feats: list, lm: dict[str, dict]):
        self.rows, self.feats = rows, feats
        self.fb = [i for i, r in enumerate(rows) if r["group"] == "faithbench_fit" and feats[i]]
        self.sent: dict[int, list] = {}  # row → PMI features per claim (aligned with feats)
        self.rowf: dict[int, dict] = {}
        for i, r in enumerate(rows):
            d = lm.get(row_key(r))
            if d is not None and feats[i] and len(d["claims"]) == len(feats[i]) and row_features(d):
                self.sent[i], self.rowf[i] = sentence_features(d), row_features(d)
        ctx = sorted({rows[i]["contexts"][0] for i in self.fb}, key=lambda c: hashlib.sha256(c.encode()).hexdigest())
        self.fold = {c: j % K for j, c in enumerate(ctx)}

    def _with(self, ids: list[int], sent: tuple[str, ...]) -> list:
        """The judge's claim features of rows ``ids`` with pmi_<name> added (a claim not found: the mean)."""
        fill = {k: float(np.mean([s[k] for i in self.sent for s in self.sent[i] if s])) for k in sent}
        out = []
        for i in ids:
            pm = self.sent.get(i) or [None] * len(self.feats[i])
            out.append([({**f, **{f"pmi_{k}": (s or fill)[k] for k in sent}}, y)
                        for (f, y), s in zip(self.feats[i], pm)])
        return out

    def cv(self, pool: list[int], sent: tuple[str, ...] = (), samp: tuple[str, ...] = ()) -> tuple[dict, dict]:
        """Out-of-fold adherence of every fit-half row; ``samp``: mean of pmi_<name> over claims (sample model)."""
        import fit_gate
        from groundset.evaluate import features as gf

        saved = fit_gate.FEATURES, fit_gate.SAMPLE_FEATURES, fit_gate.SIGNS, fit_gate.sample_features

        def agg(sups, f):
            g = gf.sample_features(sups, f)
            g.update({f"mean_pmi_{k}": float(np.mean([x[f"pmi_{k}"] for x in f])) for k in samp})
            return g

        extra = tuple(dict.fromkeys(sent + samp))
        fit_gate.FEATURES = gf.FEATURES + tuple(f"pmi_{k}" for k in extra)
        fit_gate.SAMPLE_FEATURES = gf.SAMPLE_FEATURES + tuple(f"mean_pmi_{k}" for k in samp)
        fit_gate.SIGNS = {**saved[2], **{f"pmi_{k}": SIGN[k] if k in sent else None for k in extra},
                          **{f"mean_pmi_{k}": SIGN[k] for k in samp}}
        fit_gate.sample_features = agg
        try:
            oof = {}
            for k in range(K):
                held = {c for c, j in self.fold.items() if j == k}
                heldn = {_norm(c) for c in held}
                group = lambda i: self.rows[i]["group"]  # noqa: E731
                tr = [i for i in pool if not (group(i) == "faithbench_fit" and self.rows[i]["contexts"][0] in held)
                      and not (self.rows[i]["group"] == "faithbench_synthetic" and self.rows[i]["contexts"][0] in heldn)
                      and self.feats[i]]
                te = [i for i in self.fb if self.rows[i]["contexts"][0] in held]
                model, _ = fit_gate.fit([self.rows[i] for i in tr], self._with(tr, extra))
                for i, claims in zip(te, self._with(te, extra)):
                    f = [x for x, _ in claims]
                    oof[i] = (model.sample.prob(agg([model.sentence.prob(x) for x in f], f)), model.threshold)
        finally:
            fit_gate.FEATURES, fit_gate.SAMPLE_FEATURES, fit_gate.SIGNS, fit_gate.sample_features = saved
        return self.score(oof), oof

    def stack(self, oof: dict, cols: tuple[str, ...]) -> dict:
        """2nd stage on the fit-half training folds alone: logistic on [logit(adherence), PMI row features]."""
        import fit_gate

        names = ("adherence", *cols)
        saved = fit_gate.SIGNS
        fit_gate.SIGNS = {**saved, "adherence": 1, **{c: 1 for c in cols}}
        try:
            res = {}
            for k in range(K):
                tr = [i for i in oof if self.fold[self.rows[i]["contexts"][0]] != k and (not cols or i in self.rowf)]
                te = [i for i in oof if self.fold[self.rows[i]["contexts"][0]] == k and (not cols or i in self.rowf)]
                X = lambda ids: np.array([[math.log(max(oof[i][0], 1e-4) / max(1 - oof[i][0], 1e-4))]  # noqa: E731
                                          + [SIGN[c.split("@")[0]] * self.rowf[i][c] for c in cols] for i in ids])
                y = [self.rows[i]["label"] for i in tr]
                lm = fit_gate._fit(X(tr), np.asarray(y), fit_gate._weights(["fb"] * len(tr), y), names)
                p_tr = [lm.prob(dict(zip(names, x))) for x in X(tr)]
                grid = [round(0.05 * j, 2) for j in range(4, 17)]
                thr = max(grid, key=lambda t: (round(metrics(p_tr, y, t)["balanced_accuracy"], 4), -abs(t - 0.5)))
                res.update({i: (lm.prob(dict(zip(names, x))), thr) for i, x in zip(te, X(te))})
        finally:
            fit_gate.SIGNS = saved
        return self.score(res)

    def score(self, oof: dict) -> dict:
        s = [p - t + 0.5 for p, t in oof.values()]
        y = [self.rows[i]["label"] for i in oof]
        m = metrics(s, y, 0.5)
        return {"n": len(y), "balanced_accuracy": round(m["balanced_accuracy"], 3), "auc": round(auc(s, y), 3),
                "kept_supported": round(m["recall"], 3), "unsupported_caught": round(m["unsupported_caught"], 3)}


def timing(rows: list[dict], n: int) -> dict:
    """CPU-ms per row of the two forward passes (1 thread, model loaded and warmed up beforehand)."""
    from groundset.llm.local import load_local_model

    tok, _ = load_local_model()
    lm_row(rows[0])
    ms, src, resp = [], [], []
    for r in rows[1 : n + 1]:
        d = lm_row(r)
        ms.append(d["cpu_s"] * 1000)
        resp.append(len(d["lc"]))
        src.append(min(MAX_SOURCE, len(tok("\n\n".join(r["contexts"]), add_special_tokens=False)["input_ids"])))
    return {"rows": len(ms), "cpu_ms_per_row": round(float(np.mean(ms))), "source_tokens": round(float(np.mean(src))),
            "response_tokens": round(float(np.mean(resp)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache-dir", type=Path, required=True, help="per-row LM results (JSONL), resumable")
    ap.add_argument("--features-cache", type=Path, default=None, help="fit_gate's featurised rows (JSON)")
    ap.add_argument("--per-group", type=int, default=40, help="synthetic rows per group with PMI (for B / C)")
    ap.add_argument("--timing-rows", type=int, default=10)
    ap.add_argument("--cached-only", action="store_true", help="compute no LM pass: use the rows already cached")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    import gate_pairs

    if not gate_pairs.FAITHBENCH.is_file():
        print(f"skipped: {gate_pairs.FAITHBENCH} not found (needs ../shared/corpus)")
        return
    import torch

    torch.set_num_threads(1)
    import fit_gate

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    rows = gate_pairs.build(fit_gate.SEED)
    if args.features_cache and args.features_cache.is_file():
        feats = json.loads(args.features_cache.read_text())
    else:
        feats = fit_gate.featurise(rows)
        if args.features_cache:
            args.features_cache.write_text(json.dumps(feats))
    for claims in feats:
        for f, _ in claims:
            f.pop("_novel_words", None)
    fb = [i for i, r in enumerate(rows) if r["group"] == "faithbench_fit"]
    synth = synthetic_sample(rows, args.per_group)
    lm = lm_rows([rows[i] for i in fb], args.cache_dir / "pmi_fbfit.jsonl", not args.cached_only)
    lm.update(lm_rows([rows[i] for i in synth], args.cache_dir / "pmi_synth.jsonl", not args.cached_only))
    ex = Experiment(rows, feats, lm)
    report: dict = {"per_group": args.per_group, "rows_with_pmi": len(ex.sent), "max_source_tokens": MAX_SOURCE}

    y = [rows[i]["label"] for i in fb]
    alone = {k: round(auc([SIGN[k.split("@")[0]] * ex.rowf[i][k] for i in fb], y), 3) for k in ex.rowf[fb[0]]}
    report["auc_alone_fit_half"] = dict(sorted(alone.items(), key=lambda kv: -kv[1]))
    print(f"1. AUC of each PMI feature alone, FaithBench fit half ({len(fb)} rows, {sum(y)} supported):")
    for k, a in report["auc_alone_fit_half"].items():
        print(f"   {k:<18} {a:.3f}")
    best = list(dict.fromkeys(k.split("@")[0] for k in report["auc_alone_fit_half"]))[:2]
    best_row = [k for k in report["auc_alone_fit_half"] if k.split("@")[0] in best][:2]

    print(f"2. 5-fold CV by context inside the fit half, at the rule's threshold (PMI candidates: {best}):")
    variants = {}
    variants["A  shipped recipe, all rows"], oof_a = ex.cv(list(range(len(rows))))
    pool = sorted(set(ex.sent) | set(fb))
    variants[f"B  shipped recipe, {len(pool)} rows with PMI"], _ = ex.cv(pool)
    variants[f"C1 B + sentence {best[0]}"], _ = ex.cv(pool, sent=(best[0],))
    variants[f"C1 B + sentence {best[0]}, {best[1]}"], _ = ex.cv(pool, sent=tuple(best))
    variants[f"C2 B + sample mean {best[0]}"], _ = ex.cv(pool, samp=(best[0],))
    variants[f"C3 B + sentence and sample {best[0]}"], _ = ex.cv(pool, sent=(best[0],), samp=(best[0],))
    variants["D0 A's out-of-fold adherence, refitted on fit-half folds"] = ex.stack(oof_a, ())
    for c in best_row:
        variants[f"D  D0 + {c}"] = ex.stack(oof_a, (c,))
    variants[f"D  D0 + {' + '.join(best_row)}"] = ex.stack(oof_a, tuple(best_row))
    for name, m in variants.items():
        print(f"   {name:<52} BA {m['balanced_accuracy']:.3f}  AUC {m['auc']:.3f}  kept supported "
              f"{m['kept_supported']:.3f}  caught {m['unsupported_caught']:.3f}", flush=True)
    report["cv_fit_half"] = variants

    if args.timing_rows:
        qa = [r for r in rows if r["group"] == "squad_qa"][: args.timing_rows + 1]
        report["timing"] = {"qa_length": timing(qa, args.timing_rows),
                            "faithbench": timing([rows[i] for i in fb], args.timing_rows)}
        for name, t in report["timing"].items():
            print(f"3. CPU-ms per row, 1 thread, both passes, {name}: {t['cpu_ms_per_row']} ({t['rows']} rows, "
                  f"{t['source_tokens']} source + {t['response_tokens']} response tokens on average)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
