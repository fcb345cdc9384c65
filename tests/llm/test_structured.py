"""JSON extraction, schema validation and the repair request."""

from __future__ import annotations

import pytest

from groundset.llm import ChatRequest
from groundset.llm.structured import extract_json, parse_structured, reason_of, repair_request, validate

SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
}


@pytest.mark.parametrize(
    "text",
    [
        '{"question": "Q?", "answer": "A."}',
        '```json\n{"question": "Q?", "answer": "A."}\n```',
        'Here is the JSON you asked for:\n{"question": "Q?", "answer": "A."}\nLet me know if you need more.',
        '```\n{"question": "Q?", "answer": "A."}\n``` and {"other": 1}',
        'I think {not json} but then {"question": "Q?", "answer": "A."} trailing }',
    ],
)
def test_first_json_object_is_found_around_fences_and_prose(text):
    assert parse_structured(text, SCHEMA).value == {"question": "Q?", "answer": "A."}


def test_failures_have_reasons():
    assert parse_structured("no json here", SCHEMA).reason == "invalid_json"
    assert parse_structured('{"question": "Q?"', SCHEMA).reason == "invalid_json"
    mismatch = parse_structured('{"question": "Q?"}', SCHEMA)
    assert mismatch.reason == "schema_mismatch" and "'answer' is a required property" in mismatch.error
    assert parse_structured('{"question": "Q?", "ans', SCHEMA, finish_reason="length").reason == "truncated"
    assert reason_of("http_429: slow down") == "http_429" and reason_of(None) is None


def test_arrays_and_nested_paths():
    schema = {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}
    assert extract_json("result: [1, 2]", want="array") == [1, 2]
    error = parse_structured('[{"n": 1}, {"n": "two"}]', schema).error
    assert error == "schema_mismatch: at 1/n: 'two' is not of type 'integer'"
    assert validate({"n": 1}, {"type": "object"}) is None


def test_repair_request_appends_the_bad_output_and_the_error():
    req = ChatRequest(messages=[{"role": "user", "content": "Write JSON"}], json_schema=SCHEMA, seed=5, temperature=0.3)
    fixed = repair_request(req, "{oops", "invalid_json: Expecting property name")
    assert fixed.messages[:1] == req.messages and fixed.messages[1] == {"role": "assistant", "content": "{oops"}
    assert "invalid_json: Expecting property name" in fixed.messages[2]["content"]
    assert '"required": ["question", "answer"]' in fixed.messages[2]["content"]
    assert (fixed.seed, fixed.temperature, fixed.json_schema) == (5, 0.3, SCHEMA)
    assert req.messages == [{"role": "user", "content": "Write JSON"}]  # the original is untouched
