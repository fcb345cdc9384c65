"""Structured output: find the JSON in a model's reply, validate it against the schema, build the repair request.

>>> schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
>>> parse_structured('Sure! ```json\\n{"answer": "42"}\\n``` Hope this helps.', schema).value
{'answer': '42'}
>>> parse_structured('{"answer": 42}', schema).error
"schema_mismatch: at answer: 42 is not of type 'string'"
>>> parse_structured('{"answer": "4', schema, finish_reason="length").reason
'truncated'

Failure reasons (the part of ``error`` before the first colon): ``invalid_json`` (no JSON object could be decoded),
``schema_mismatch`` (decoded, but does not follow the schema), ``truncated`` (either of those, and the model stopped
at max_tokens).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from groundset.llm.base import ChatRequest

__all__ = ["Parsed", "extract_json", "validate", "parse_structured", "repair_request", "reason_of"]

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


@dataclass
class Parsed:
    """``value`` when the text held schema-valid JSON, else ``error`` (``reason: detail``)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def reason(self) -> str | None:
        return reason_of(self.error)


def reason_of(error: str | None) -> str | None:
    """``"invalid_json: Expecting ','"`` → ``"invalid_json"``."""
    return None if error is None else error.split(":", 1)[0].strip()


def extract_json(text: str, want: str = "object") -> Any:
    """The first JSON object (or array, ``want="array"``) in ``text``: code fences, leading prose and trailing text
    are tolerated. Raises ``ValueError`` with the decoder's message when none can be decoded."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    opener = "[" if want == "array" else "{"
    first_error = "no JSON object found"
    for candidate in candidates:
        pos = candidate.find(opener)
        tries = 0
        while pos != -1 and tries < 20:
            try:
                value, _ = _DECODER.raw_decode(candidate, pos)
                return value
            except json.JSONDecodeError as e:
                if first_error == "no JSON object found":
                    first_error = f"{e.msg} (line {e.lineno} column {e.colno})"
            pos = candidate.find(opener, pos + 1)
            tries += 1
    raise ValueError(first_error)


@lru_cache(maxsize=64)
def _validator(schema_json: str):
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def validate(value: Any, schema: dict[str, Any]) -> str | None:
    """None when ``value`` follows ``schema``, else a one-line message naming where it does not."""
    import jsonschema

    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"at {where}: {error.message}" if where else error.message


def parse_structured(text: str, schema: dict[str, Any], finish_reason: str | None = None) -> Parsed:
    """Extract and validate. A failure of a reply cut at max_tokens is reported as ``truncated``."""
    want = "array" if schema.get("type") == "array" else "object"
    try:
        value = extract_json(text, want)
    except ValueError as e:
        error = f"invalid_json: {e}"
    else:
        problem = validate(value, schema)
        if problem is None:
            return Parsed(value=value)
        error = f"schema_mismatch: {problem}"
    if finish_reason == "length":
        error = f"truncated: {error}"
    return Parsed(error=error)


_REPAIR = (
    "Your previous reply could not be used: {problem}.\n"
    "Reply again with only one JSON object that follows this JSON schema, and nothing else:\n{schema}"
)


def repair_request(request: ChatRequest, bad_text: str, error: str) -> ChatRequest:
    """The same request, re-asked once with the error and the bad output appended to the conversation."""
    problem = error
    if reason_of(error) == "truncated":
        problem = f"it was cut off at the token limit ({error}); answer more briefly"
    bad = bad_text if len(bad_text) <= 4000 else bad_text[:4000] + " …"
    messages = list(request.messages) + [
        {"role": "assistant", "content": bad},
        {"role": "user", "content": _REPAIR.format(problem=problem, schema=json.dumps(request.json_schema))},
    ]
    return replace(request, messages=messages)
