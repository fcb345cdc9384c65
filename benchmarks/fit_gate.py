"""Fit the default judge's weights (groundset/evaluate/gate_weights.json) and its threshold, deterministically.

    python benchmarks/fit_gate.py                  # rebuild the shipped weights (needs ../shared/corpus, ~3 min)
    python benchmarks/fit_gate.py --out /tmp/w.json --report /tmp/fit.json

Data (benchmarks/gate_pairs.py): synthetic pairs made from the corpus (SQuAD paragraphs and questions, Wikipedia
articles, the Python tutorial, the contexts of the FaithBench FIT half, JSON business records) with a label per
sentence, plus the 150 human-labelled rows of the FaithBench FIT half (sha256 of the context even). The CHECK half
is never read here.

1. Every sentence is featurised by the judge itself (``DefaultJudge.featurise``; MiniLM in fp32 so that the fit
   does not depend on the CPU's matrix units).
2. Sentence model: logistic regression (L2, C=1, each weight's sign fixed by ``SIGNS``; scipy L-BFGS-B) on the labelled sentences (the sentences of
   supported FaithBench-fit responses count as supported); every data group weighs the same, classes balanced.
3. Sample model: logistic regression on the length-neutral sample features (min / mean / share below 0.5 of the
   sentence supports, ...), same weighting, FaithBench-fit rows as one group among six.
4. Threshold: the cut (0.05 grid) that maximises the mean balanced accuracy over the groups, on this fit data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from groundset.evaluate.calibrate import metrics  # noqa: E402
from groundset.evaluate.config import EvaluateConfig  # noqa: E402
from groundset.evaluate.features import FEATURES, SAMPLE_FEATURES, sample_features  # noqa: E402
from groundset.evaluate.model import GateModel, LogisticModel  # noqa: E402

OUT = ROOT / "groundset" / "evaluate" / "gate_weights.json"
SEED = 0
REAL_WEIGHT = 1.0  # weight of the human-labelled group relative to one synthetic group
EMBED = os.environ.get("GATE_FIT_EMBED", "0") == "1"  # the MiniLM cosine feature (zero weight when last fitted with it)


def featurise(rows: list[dict], batch: int = 64, vectors: Path | None = None) -> list[list[tuple[dict, int | None]]]:
    """Per row, per claim: (features, sentence label or None). ``vectors``: an .npz cache of sentence embeddings."""
    from groundset.embed import load_embedder
    from groundset.evaluate.judges.base import JudgeInput, prepare
    from groundset.evaluate.judges.default import DefaultJudge
    from groundset.ingest.config import EmbedConfig

    placeholder = GateModel(*(LogisticModel(("recall_window",), (0.0,), (1.0,), (0.0,), 0.0),) * 2, 0.5, {})
    embedder = load_embedder(EmbedConfig(backend="sentence-transformers", precision="fp32"))
    judge = DefaultJudge(EvaluateConfig(), embedder=embedder, model=placeholder, embed=EMBED)
    judge._vectors.size = 10**7
    if vectors is not None and vectors.is_file():
        with np.load(vectors) as z:
            for text, v in zip(z["texts"], z["vectors"]):
                judge._vectors.put(str(text), v)
    items, owners = [], []  # one JudgeInput per labelled sentence (or per unlabelled response)
    for i, r in enumerate(rows):
        parts = r["sentences"] or [[r["response"], r["label"] if r["label"] == 1 else None]]
        for text, label in parts:
            items.append(JudgeInput(texts=[text], contexts=r["contexts"], question=r["question"]))
            owners.append((i, label))
    out: list[list[tuple[dict, int | None]]] = [[] for _ in rows]
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        prepared = [prepare(x) for x in chunk]
        feats = judge.featurise([p for p in prepared if p.claims])
        it = iter(feats)
        for p, (i, label) in zip(prepared, owners[start : start + batch]):
            if p.claims:
                out[i].extend((f, label) for f, _ in next(it))
    if vectors is not None:
        vectors.parent.mkdir(parents=True, exist_ok=True)
        texts = list(judge._vectors)
        np.savez(vectors, texts=np.asarray(texts), vectors=np.stack([judge._vectors[t] for t in texts]))
    return out


def _weights(groups: list[str], labels: list[int], boost: dict[str, float] | None = None) -> np.ndarray:
    """Every group weighs the same in total (times ``boost[group]``); within a group both classes weigh the same."""
    count = Counter(zip(groups, labels))
    per_group = Counter(groups)
    n_groups = len(per_group)
    w = []
    for g, y in zip(groups, labels):
        classes = sum(1 for (gg, _), c in count.items() if gg == g)
        w.append((boost or {}).get(g, 1.0) * len(groups) / n_groups / classes / count[(g, y)])
    return np.asarray(w)


# the sign each weight may take: +1 evidence of support, -1 evidence against, 0 free, None: no weight. Restating the
# question gets none: real answers restate it ("The capital of France is Paris"), and in the synthetic QA pairs it
# only told template negatives from copied positives; the question's words count as given in the recall instead. Constraining the signs keeps
# the fit from learning artefacts of how the synthetic negatives were made (e.g. "on-topic means a neighbour
# sentence, so a high cosine is suspicious"), which do not hold on real output.
SIGNS = {
    "recall_window": 1, "recall_all": 1, "novel": -1, "bigram": 1, "cosine": 1, "missing_number": -1,
    "missing_name": -1, "missing_other": -1, "facts_found": 1, "negation": -1, "antonym": -1, "length": 0,
    "source_talk": 0, "question_overlap": None, "evaluative": -1,
    "min_support": 1, "mean_support": 1, "low_share": -1, "novel_share": -1, "any_missing": -1, "mean_recall": 1,
}
C = 1.0  # inverse L2 strength, as scikit-learn's C (loss summed over weighted rows, weights averaging 1)


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...]) -> LogisticModel:
    """Weighted L2 logistic regression on standardised features with sign bounds (scipy L-BFGS-B)."""
    from scipy.optimize import minimize

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    w = w / w.mean()
    t = 2.0 * y - 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, b = theta[:-1], theta[-1]
        m = t * (Z @ coef + b)
        ell = np.logaddexp(0.0, -m)
        g = -w * t / (1.0 + np.exp(m))
        value = float(w @ ell) + 0.5 / C * float(coef @ coef)
        return value, np.append(Z.T @ g + coef / C, g.sum())

    # a feature constant on the fit data (the cosine when nothing is embedded) gets no weight, not an arbitrary one
    bounds = [(0, 0) if np.ptp(X[:, j]) == 0 or SIGNS[n] is None else (0, None) if SIGNS[n] > 0
              else (None, 0) if SIGNS[n] < 0 else (None, None) for j, n in enumerate(names)] + [(None, None)]
    res = minimize(loss, np.zeros(len(names) + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "gtol": 1e-9})
    r = lambda v: [round(float(x), 5) + 0.0 for x in v]  # noqa: E731  (+ 0.0: no -0.0 in the file)
    return LogisticModel(names, r(mean), r(scale), r(res.x[:-1]), round(float(res.x[-1]), 5) + 0.0)


def fit(rows: list[dict], feats: list[list[tuple[dict, int | None]]], real_weight: float = REAL_WEIGHT
        ) -> tuple[GateModel, dict]:
    """Fit both models and choose the threshold; ``real_weight`` multiplies the weight of the human-labelled group."""
    boost = {"faithbench_fit": real_weight}
    sent_X, sent_y, sent_g = [], [], []
    for r, claims in zip(rows, feats):
        for f, label in claims:
            if label is not None:
                sent_X.append([f[k] for k in FEATURES])
                sent_y.append(label)
                sent_g.append(r["group"])
    sentence = _fit(np.asarray(sent_X), np.asarray(sent_y), _weights(sent_g, sent_y, boost), FEATURES)

    keep = [i for i, c in enumerate(feats) if c]
    samp_X, samp_y, samp_g = [], [], []
    for i in keep:
        f = [x for x, _ in feats[i]]
        g = sample_features([sentence.prob(x) for x in f], f)
        samp_X.append([g[k] for k in SAMPLE_FEATURES])
        samp_y.append(rows[i]["label"])
        samp_g.append(rows[i]["group"])
    sample = _fit(np.asarray(samp_X), np.asarray(samp_y), _weights(samp_g, samp_y, boost), SAMPLE_FEATURES)

    scores = [sample.prob(dict(zip(SAMPLE_FEATURES, x))) for x in samp_X]
    by_group = defaultdict(list)
    for s, y, g in zip(scores, samp_y, samp_g):
        by_group[g].append((s, y))
    grid = [round(0.05 * k, 2) for k in range(4, 17)]
    mean_ba = {t: float(np.mean([metrics([s for s, _ in v], [y for _, y in v], t)["balanced_accuracy"]
                                 for v in by_group.values()])) for t in grid}
    threshold = max(grid, key=lambda t: (round(mean_ba[t], 4), -abs(t - 0.5)))
    report = {
        "threshold": threshold,
        "mean_balanced_accuracy_by_threshold": {str(t): round(v, 4) for t, v in mean_ba.items()},
        "fit_per_group_at_threshold": {g: metrics([s for s, _ in v], [y for _, y in v], threshold)
                                       for g, v in sorted(by_group.items())},
        "sentences": len(sent_y), "sentences_supported": int(sum(sent_y)),
    }
    info = {
        "fitted_by": "python benchmarks/fit_gate.py",
        "seed": SEED,
        "fitted_on": dict(sorted(Counter(samp_g).items())),
        "faithbench_split": "sha256(context) even = fit (used here), odd = check (never used here)",
        "threshold_rule": "0.05 grid, max mean balanced accuracy over the fit groups",
        "sentences": len(sent_y),
    }
    return GateModel(sentence, sample, threshold, info), report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--report", type=Path, default=None, help="write fit figures (per group) here")
    ap.add_argument("--features-cache", type=Path, default=None, help="reuse / store featurised rows (JSON)")
    ap.add_argument("--vectors-cache", type=Path, default=None, help="reuse / store sentence embeddings (.npz)")
    args = ap.parse_args()
    import gate_pairs

    t = time.perf_counter()
    rows = gate_pairs.build(SEED)
    print(f"{len(rows)} rows: {dict(sorted(Counter(r['group'] for r in rows).items()))}", flush=True)
    if args.features_cache and args.features_cache.is_file():
        feats = json.loads(args.features_cache.read_text())
    else:
        feats = featurise(rows, vectors=args.vectors_cache)
        if args.features_cache:
            args.features_cache.parent.mkdir(parents=True, exist_ok=True)
            args.features_cache.write_text(json.dumps(feats))
    print(f"featurised in {time.perf_counter() - t:.0f} s", flush=True)
    for claims in feats:
        for f, _ in claims:
            f.pop("_novel_words", None)
    model, report = fit(rows, feats)
    args.out.write_text(json.dumps(model.as_dict(), indent=1) + "\n")
    print(f"wrote {args.out}: threshold {model.threshold}")
    for g, m in report["fit_per_group_at_threshold"].items():
        print(f"  fit {g:<22} n={m['n']:<5} BA={m['balanced_accuracy']:.3f} AUC={m['auc']}")
    print("  sentence coef:", dict(zip(FEATURES, model.sentence.coef)))
    print("  sample coef:", dict(zip(SAMPLE_FEATURES, model.sample.coef)))
    if args.report:
        args.report.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
