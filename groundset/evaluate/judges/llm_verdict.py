"""The llm judge's claim-level verdict: prompt, schema, parsing, P(supported) from token logprobs, the quote check.

One request per claim: the sources first (shared by all claims of a sample, so a server's prefix cache serves them
once), the claim last. The reply is constrained to ``CLAIM_SCHEMA``: the shortest quote from the sources that decides
the verdict, then the verdict ``supported`` | ``partly`` | ``unsupported`` (three labels with different first letters,
so the first token of the label decides it).

>>> parse_claim_verdict('{"quote": "Rollo led them", "verdict": "supported"}')
('supported', 'Rollo led them')
>>> lp = [{"token": '{"quote": "Rollo led them", "verdict": "', "logprob": 0.0, "top": {}},
...       {"token": "sup", "logprob": -0.2, "top": {"sup": -0.2, "un": -1.8, "part": -4.0}}, {"token": 'ported"}', "logprob": 0.0, "top": {}}]
>>> round(p_supported(lp), 3)
0.817
>>> quote_in_sources("Rollo  led\\nthem", ["The Normans. Rollo led them."]), quote_in_sources("Rollo ruled", ["Rollo led them."])
(True, False)
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["LABELS", "CLAIM_SCHEMA", "claim_messages", "parse_claim_verdict", "p_supported", "quote_in_sources",
           "normalise_ws"]

LABELS = ("supported", "partly", "unsupported")

CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "quote": {"type": "string"},
        "verdict": {"type": "string", "enum": list(LABELS)},
    },
    "required": ["quote", "verdict"],
}

CLAIM_SYSTEM = (
    "You check one statement against source documents. A statement is supported only if the sources state it or it "
    "follows directly from them. Facts, numbers, names or dates that the sources do not contain, or that contradict "
    "them, are not supported. Do not use outside knowledge."
)

CLAIM_TEMPLATE = """SOURCES:
{sources}

STATEMENT:
{claim}

Copy the shortest passage of the sources that decides whether the statement holds (copied exactly; empty if the
sources say nothing about it), then give the verdict: "supported" (the sources state it or it follows directly),
"partly" (some of it is stated, some is not) or "unsupported" (not stated, or contradicted).
Reply with JSON only: {{"quote": "...", "verdict": "supported" | "partly" | "unsupported"}}"""


def claim_messages(claim: str, contexts: list[str]) -> list[dict[str, str]]:
    """Chat messages asking for the verdict on ``claim`` against the numbered sources (sources first)."""
    sources = "\n\n".join(f"[{i}] {c.strip()}" for i, c in enumerate(contexts, 1)) or "(none)"
    return [
        {"role": "system", "content": CLAIM_SYSTEM},
        {"role": "user", "content": CLAIM_TEMPLATE.format(sources=sources, claim=claim.strip())},
    ]


def _label(v: Any) -> str | None:
    if isinstance(v, bool):
        return "supported" if v else "unsupported"
    if not isinstance(v, str):
        return None
    t = v.strip().lower().replace("_", " ")
    if t in ("supported", "yes", "true", "entailed", "support"):
        return "supported"
    if t in ("partly", "partially", "partly supported", "partially supported", "partial"):
        return "partly"
    if t in ("unsupported", "not supported", "no", "false", "contradicted", "refuted"):
        return "unsupported"
    return None


def parse_claim_verdict(reply: Any) -> tuple[str, str] | str:
    """``(verdict, quote)`` from a parsed object or raw JSON text, or an error string."""
    if isinstance(reply, str):
        m = re.search(r"\{.*\}", reply, re.S)
        try:
            reply = json.loads(m.group(0)) if m else None
        except json.JSONDecodeError as e:
            return f"invalid_json: {e}"
    if not isinstance(reply, dict):
        return "no JSON object in the judge's reply"
    verdict = _label(reply.get("verdict", reply.get("label", reply.get("supported"))))
    if verdict is None:
        return f"no supported / partly / unsupported verdict: {json.dumps(reply)[:160]}"
    quote = reply.get("quote")
    return verdict, quote if isinstance(quote, str) else ""


_VERDICT_KEY = re.compile(r'"verdict"\s*:\s*"')


def p_supported(logprobs: list[dict[str, Any]] | None) -> float | None:
    """P(supported) at the token where the verdict starts, over the alternatives that begin a label; None when the
    logprobs do not show that token or none of its alternatives begins a label.

    The reply is rebuilt from the tokens; the token holding the verdict's first character may also hold what
    precedes it (``'"sup'``): that prefix is removed from each alternative before it is matched to a label.
    """
    if not logprobs:
        return None
    text = "".join(str(t.get("token", "")) for t in logprobs)
    m = None
    for m in _VERDICT_KEY.finditer(text):
        pass
    if m is None:
        return None
    pos, start = m.end(), 0
    for item in logprobs:
        tok = str(item.get("token", ""))
        if start <= pos < start + len(tok):
            prefix = text[start:pos]
            alternatives = dict(item.get("top") or {})
            alternatives.setdefault(tok, float(item.get("logprob", 0.0)))
            mass = dict.fromkeys(LABELS, 0.0)
            for alt, lp in alternatives.items():
                if not alt.startswith(prefix) or len(alt) == len(prefix):
                    continue
                rest = alt[len(prefix):].lower()
                for label in LABELS:
                    if label.startswith(rest) or rest.startswith(label):
                        mass[label] += math.exp(float(lp))
                        break
            total = sum(mass.values())
            return mass["supported"] / total if total > 0 else None
        start += len(tok)
    return None


def normalise_ws(text: str) -> str:
    return " ".join(text.split())


def quote_in_sources(quote: str, contexts: list[str]) -> bool:
    """Whether ``quote`` (outer quotation marks and whitespace differences ignored) occurs in one of the sources."""
    q = normalise_ws(quote.strip().strip("\"'“”‘’"))
    return bool(q) and any(q in normalise_ws(c) for c in contexts)
