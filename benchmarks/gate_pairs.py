"""Training pairs for the default judge's weights, made from the corpus (../shared/corpus), deterministically.

MiniCheck's recipe with rules instead of an LLM. A *positive* is 1-4 sentences of a passage, in order, each
reworded or compressed (parentheses dropped, a relative clause cut, synonyms, a leading phrase moved, a discourse
prefix), optionally two of them merged; a *negative* is such a response with ONE sentence made unsupported:

- ``leave_out``: its source sentence is removed from the context (MiniCheck), when nothing else there covers it;
- ``swap``: a number, date or name replaced by one of the same type from another passage;
- ``neighbour``: replaced by the sentence of a neighbouring passage (same article / page) closest to this one in
  words but not supported by it (a hard negative: on topic, wrong);
- ``tail``: a clause of a neighbour sentence appended to it (a small added detail, the commonest real error);
- ``negation`` / ``antonym``: "not" inserted, or first → last.

Sources: SQuAD paragraphs (with their questions: QA rows), Wikipedia dump articles, the Python tutorial pages,
the FIT half of ``labels/faithbench_dev.jsonl`` (contexts only, plus its labelled rows as they are), and
synthetic JSON business records and review-site records as Yelp-style data stores them (data-to-text,
``gate_pairs_records.py``). Each row is
``{"group", "kind", "contexts", "question", "sentences": [[text, label], ...], "label"}``.

``faithbench_split(context)`` is the fit / check split: sha256 of the context text, even → fit, odd → check;
the same source never sits on both sides.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from gate_pairs_records import record_rows

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FAITHBENCH = CORPUS / "labels" / "faithbench_dev.jsonl"

_spec = importlib.util.spec_from_file_location("make_labelled", ROOT / "benchmarks" / "make_labelled.py")
ml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ml)


def faithbench_split(context: str) -> str:
    """'fit' or 'check' for a FaithBench row, by the sha256 of its context."""
    return "fit" if int(hashlib.sha256(context.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "check"


def _stems(text: str) -> set[str]:
    from groundset.evaluate.text import content_words

    return set(content_words(text))


def _recall(sentence: str, context: str) -> float:
    s = _stems(sentence)
    return len(s & _stems(context)) / len(s) if s else 1.0


def split(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in ml.sentences(text) if 6 <= len(text[a:b].split()) <= 45]


def compress(sentence: str, rng: random.Random) -> str:
    """Cut a relative clause or a leading subordinate clause: the main statement stays."""
    s = sentence
    m = re.search(r", (which|who|where|whose) [^,]{5,80}(,|(?=[.!?]$))", s)
    if m and rng.random() < 0.7:
        s = s[: m.start()] + (" " if m.group(2) == "," else "") + s[m.end():].lstrip()
    m = re.match(r"^(Although|Though|While|Because|Since|When|After|Before|As) [^,]{5,80}, (.+)$", s)
    if m and rng.random() < 0.6:
        s = m.group(2)[0].upper() + m.group(2)[1:]
    return s


def paraphrase(sentence: str, rng: random.Random) -> str:
    s = compress(sentence, rng) if rng.random() < 0.6 else sentence
    return ml.reword(s, rng) if rng.random() < 0.8 else s


def merge(a: str, b: str) -> str:
    """'A did X.' + 'It had Y.' → 'A did X, and it had Y.'"""
    first = b.split(" ", 1)[0]
    b2 = b if first.isupper() or (first[:1].isupper() and first not in ml.LOWER_OK) else b[0].lower() + b[1:]
    return a.rstrip(".!?") + ", and " + b2


class Maker:
    """Builds positives and one-sentence-corrupted negatives over passages grouped by document."""

    def __init__(self, docs: dict[str, list[str]], seed: int):
        self.rng = random.Random(seed)
        self.docs = docs
        text = " ".join(p for ps in docs.values() for p in ps)
        self.pools = {
            "year": sorted(set(ml.YEAR.findall(text))),
            "number": sorted({m.group(0) for m in ml.NUMBER.finditer(text) if not ml.YEAR.fullmatch(m.group(0))}),
            "entity": sorted({m.group(0) for m in ml.ENTITY.finditer(text)}),
        }
        self.made: dict[str, int] = defaultdict(int)

    def positive(self, passage: str, k: int) -> tuple[list[int], list[str]] | None:
        sents = split(passage)
        if len(sents) < 2:
            return None
        k = min(k, len(sents))
        idx = sorted(self.rng.sample(range(len(sents)), k))
        out = [paraphrase(sents[i], self.rng) for i in idx]
        if len(out) >= 2 and self.rng.random() < 0.2:
            j = self.rng.randrange(len(out) - 1)
            out[j : j + 2] = [merge(out[j], out[j + 1])]
            idx[j : j + 2] = [idx[j]]
        return idx, out

    def neighbour_sentence(self, doc: str, passage: str, near: str) -> str | None:
        others = [p for p in self.docs[doc] if p != passage]
        if not others:
            return None
        pstems = _stems(passage)
        best, best_score = None, -1.0
        for p in others:
            for s in split(p):
                if _recall(s, passage) >= 0.5:
                    continue
                st = _stems(s)
                score = len(st & (pstems | _stems(near))) / (len(st) or 1) + self.rng.random() * 0.05
                if score > best_score:
                    best, best_score = s, score
        return best

    def negative(self, doc: str, passage: str, idx: list[int], pos: list[str]) -> tuple[str, str, list[str], int] | None:
        """(kind, context, sentences, corrupted index) or None when no kind applies."""
        kinds = ["leave_out", "swap", "neighbour", "tail", "negation", "antonym"]
        sents = split(passage)
        for kind in sorted(kinds, key=lambda k: (self.made[k], self.rng.random())):
            j = self.rng.randrange(len(pos))
            out, context = list(pos), passage
            if kind == "leave_out":
                if len(idx) != len(pos):
                    continue
                rest = " ".join(s for i, s in enumerate(sents) if i != idx[j])
                if _recall(pos[j], rest) > 0.5 or len(sents) < 3:
                    continue
                context = rest
            elif kind == "swap":
                changed = None
                for sub in self.rng.sample(["neg_number", "neg_date", "neg_entity"], 3):
                    changed = ml.change_one_fact(sub, pos[j], passage, self.pools, self.rng)
                    if changed and changed != pos[j]:
                        break
                    changed = None
                if changed is None:
                    continue
                out[j] = changed
            elif kind in ("neighbour", "tail"):
                other = self.neighbour_sentence(doc, passage, pos[j])
                if other is None:
                    continue
                if kind == "neighbour":
                    out[j] = ml.reword(other, self.rng) if self.rng.random() < 0.5 else other
                else:
                    clause = other.rstrip(".!?")
                    clause = clause.split(", ", 1)[-1] if ", " in clause and self.rng.random() < 0.5 else clause
                    if len(clause.split()) < 4:
                        continue
                    out[j] = pos[j].rstrip(".!?") + ", and " + clause[0].lower() + clause[1:] + "."
            else:
                changed = ml.change_one_fact("neg_" + kind, pos[j], passage, self.pools, self.rng)
                if not changed or changed == pos[j]:
                    continue
                out[j] = changed
            self.made[kind] += 1
            return kind, context, out, j
        return None

    def rows(self, group: str, passages: list[tuple[str, str]], per_passage: int = 1) -> list[dict]:
        out = []
        for doc, passage in passages:
            for _ in range(per_passage):
                k = self.rng.choice([1, 2, 2, 3, 3, 4])
                made = self.positive(passage, k)
                if made is None:
                    continue
                idx, pos = made
                out.append(_row(group, "positive", [passage], None, [(s, 1) for s in pos]))
                neg = self.negative(doc, passage, idx, pos)
                if neg:
                    kind, context, sents, j = neg
                    out.append(_row(group, kind, [context], None, [(s, int(i != j)) for i, s in enumerate(sents)]))
        return out


def _row(group: str, kind: str, contexts: list[str], question: str | None, sentences: list[tuple[str, int]]) -> dict:
    return {"group": group, "kind": kind, "contexts": contexts, "question": question,
            "sentences": [list(s) for s in sentences], "label": int(all(l for _, l in sentences))}


def squad_passages() -> tuple[dict[str, list[str]], list[dict]]:
    rows = [json.loads(line) for line in (CORPUS / "qa" / "squad_v2_dev_subset.jsonl").open(encoding="utf-8")]
    docs: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["context"] not in docs[r["title"]]:
            docs[r["title"]].append(r["context"])
    return docs, rows


def wiki_passages(limit: int) -> dict[str, list[str]]:
    from groundset.ingest.wikipedia import read_dump

    path = next((CORPUS / "wikipedia").glob("*.bz2"))
    docs: dict[str, list[str]] = {}
    for d in read_dump(path):
        paras = [b.text for b in d.blocks if b.kind == "text" and 40 <= len(b.text.split()) <= 220]
        if paras:
            docs[d.title] = paras[:12]
        if sum(len(v) for v in docs.values()) >= limit:
            break
    return docs


def tutorial_passages() -> dict[str, list[str]]:
    import lxml.html

    docs: dict[str, list[str]] = {}
    for f in sorted((CORPUS / "html").glob("*.html")):
        tree = lxml.html.fromstring(f.read_text(encoding="utf-8"))
        paras = [" ".join(p.text_content().split()) for p in tree.iter("p")]
        paras = [p for p in paras if 30 <= len(p.split()) <= 200]
        if paras:
            docs[f.stem] = paras
    return docs


def qa_rows(maker: Maker, squad: list[dict]) -> list[dict]:
    """SQuAD questions: the answer stated (plus a second sentence); negatives state a wrong / unanswerable one."""
    rng = maker.rng
    out = []
    for r in squad:
        ctx, q = r["context"], r["question"]
        sents = split(ctx)
        if len(sents) < 2:
            continue
        extra = paraphrase(rng.choice(sents), rng) if rng.random() < 0.5 else None
        if r["is_impossible"]:
            wrong = ml.plausible_answer(q, ctx, rng)
            stmt = ml.as_statement(q, wrong) if wrong else None
            if stmt:
                out.append(_row("squad_qa", "unanswerable", [ctx], q, [(stmt, 0)] + ([(extra, 1)] if extra else [])))
            continue
        answer = r["answers"]["text"][0]
        stmt = ml.as_statement(q, answer)
        if stmt is None:
            start = r["answers"]["answer_start"][0]
            stmt = next((paraphrase(ctx[a:b], rng) for a, b in ml.sentences(ctx) if a <= start < b), None)
        if not stmt:
            continue
        out.append(_row("squad_qa", "positive", [ctx], q, [(stmt, 1)] + ([(extra, 1)] if extra else [])))
        wrong = ml.plausible_answer(q, ctx, rng)
        other = [p for p in maker.docs.get(r["title"], []) if p != ctx and answer not in p]
        if wrong and wrong != answer and answer in stmt and wrong not in answer:
            out.append(_row("squad_qa", "wrong_answer", [ctx], q, [(stmt.replace(answer, wrong, 1), 0)]
                            + ([(extra, 1)] if extra else [])))
        elif other:
            out.append(_row("squad_qa", "other_paragraph", [rng.choice(other)], q, [(stmt, 0)]))
    return out


CITIES = "Austin Denver Leeds Lyon Porto Osaka Tucson Halifax Bristol Graz Malmo Perth Quebec Boise Tampa".split()
CATEGORIES = ["Italian restaurant", "coffee shop", "bakery", "hardware store", "dental clinic", "bookshop",
              "car repair garage", "yoga studio", "pizzeria", "law firm", "florist", "sushi bar", "pet groomer"]
EXTRAS = ["It offers free Wi-Fi and outdoor seating.", "The staff are known for their friendly service.",
          "It is a popular spot among local students.", "Reservations are recommended on weekends.",
          "It was voted the best in the city last year.", "Parking is available behind the building.",
          "The owners also run a second location downtown.", "It is wheelchair accessible."]


def data2text_rows(rng: random.Random, n: int, names: list[str]) -> list[dict]:
    """JSON business records and template descriptions; negatives change one value or add an unsupported fact."""
    out = []
    for i in range(n):
        rec = {"name": rng.choice(names), "category": rng.choice(CATEGORIES), "city": rng.choice(CITIES),
               "founded": rng.randint(1950, 2022), "employees": rng.randint(3, 400),
               "rating": round(rng.uniform(2.0, 5.0), 1), "review_count": rng.randint(5, 2000),
               "hours": {"monday": f"{rng.randint(6, 10)}:00-{rng.randint(16, 22)}:00"},
               "accepts_credit_cards": rng.random() < 0.7}
        say = [
            f"{rec['name']} is a {rec['category']} in {rec['city']}.",
            rng.choice([f"It was founded in {rec['founded']}.", f"Established in {rec['founded']}, it has "
                        f"{rec['employees']} employees.", f"The business dates back to {rec['founded']}."]),
            rng.choice([f"It has a rating of {rec['rating']} from {rec['review_count']} reviews.",
                        f"Customers rate it {rec['rating']} across {rec['review_count']} reviews."]),
            f"On Mondays it is open {rec['hours']['monday']}.",
            "It accepts credit cards." if rec["accepts_credit_cards"] else "It does not accept credit cards.",
        ]
        k = rng.randint(2, len(say))
        pos = [say[0]] + sorted(rng.sample(say[1:], k - 1), key=say.index)
        style = rng.random()
        context = json.dumps(rec) if style < 0.6 else "Business record: " + json.dumps(rec, indent=1)
        out.append(_row("data2text", "positive", [context], None, [(s, 1) for s in pos]))
        neg = list(pos)
        j = rng.randrange(len(neg))
        how = rng.random()
        if how < 0.4:
            neg.append(rng.choice(EXTRAS))
            j = len(neg) - 1
        elif how < 0.7:
            neg[j] = re.sub(r"\d+(\.\d+)?", lambda m: str(int(float(m.group(0))) + rng.randint(2, 9)), neg[j], count=1) \
                if re.search(r"\d", neg[j]) else neg[j].replace(rec["city"], rng.choice([c for c in CITIES if c != rec["city"]]))
        else:
            j = 0
            neg[0] = neg[0].replace(rec["category"], rng.choice([c for c in CATEGORIES if c != rec["category"]]))
        if neg != pos:
            out.append(_row("data2text", "changed", [context], None, [(s, int(i != j)) for i, s in enumerate(neg)]))
    return out


def faithbench_rows(split_name: str) -> list[dict]:
    rows = [json.loads(line) for line in FAITHBENCH.open(encoding="utf-8")]
    return [{"group": f"faithbench_{split_name}", "kind": "faithbench", "contexts": [r["context"]], "question": None,
             "response": r["response"], "sentences": None, "label": int(r["label"])}
            for r in rows if faithbench_split(r["context"]) == split_name]


def build(seed: int = 0, wiki_limit: int = 700) -> list[dict]:
    """All training rows (deterministic for a given corpus and seed)."""
    docs, squad = squad_passages()
    maker = Maker(docs, seed)
    rows = maker.rows("squad_summary", [(d, p) for d, ps in sorted(docs.items()) for p in ps])
    rows += qa_rows(maker, squad)
    wiki = wiki_passages(wiki_limit)
    rows += Maker(wiki, seed + 1).rows("wiki_summary", [(d, p) for d, ps in wiki.items() for p in ps])
    tut = tutorial_passages()
    rows += Maker(tut, seed + 2).rows("tutorial", [(d, p) for d, ps in tut.items() for p in ps])
    # FaithBench contexts are tokenised ("budget of $ 160 million ."): join the punctuation to split them
    fit_ctx = sorted({re.sub(r"\s+([.,;:!?)])", r"\1", r["contexts"][0]).replace("$ ", "$")
                      for r in faithbench_rows("fit")})
    paras = {f"fb{i}": [c] for i, c in enumerate(fit_ctx)}
    fb_maker = Maker({**paras, **{k: v for k, v in list(docs.items())[:50]}}, seed + 3)
    rows += fb_maker.rows("faithbench_synthetic", [(k, v[0]) for k, v in paras.items()], per_passage=4)
    names = sorted({e for e in maker.pools["entity"] if 1 <= len(e.split()) <= 3})
    rows += data2text_rows(random.Random(seed + 4), 400, names)
    rows += record_rows(random.Random(seed + 5), 300, names, CITIES, _row)
    rows += faithbench_rows("fit")
    return rows
