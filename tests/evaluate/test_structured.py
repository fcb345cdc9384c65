"""Structured contexts (JSON records, tables) read as key: value facts."""

from groundset.evaluate.judges.base import JudgeInput, prepare
from groundset.evaluate.structured import as_facts, is_structured, key_words


def test_json_record_becomes_one_sentence_of_facts():
    out = as_facts('{"name": "Aromi", "priceRange": "cheap", "address": {"post_code": "CB1"}, "open": false}')
    assert out == "name: Aromi; price range: cheap; address post code: CB1; open: no (no open)."


def test_lists_nested_records_and_long_fields():
    rec = ('{"name": "Joe", "tags": ["pizza", "beer"], "reviews": [{"stars": 5, "text": "Great crust and very '
           'friendly staff, we will certainly come back again next week."}]}')
    out = as_facts(rec)
    assert out.startswith("name: Joe; tags: pizza, beer.")
    assert "reviews stars: 5." in out
    assert "reviews text: Great crust and very friendly staff, we will certainly come back again next week." in out


def test_prose_around_json_is_kept():
    out = as_facts('Business record: {"city": "Leeds", "employees": 40} (as of 2024)')
    assert out.splitlines() == ["Business record:", "city: Leeds; employees: 40.", "(as of 2024)"]


def test_tables_read_row_by_row():
    md = "| city | population |\n|---|---|\n| Paris | 2,100,000 |\n| Lyon | 520,000 |"
    assert as_facts(md) == "city: Paris; population: 2,100,000. city: Lyon; population: 520,000."
    assert as_facts("name\tage\nAda\t36") == "name: Ada; age: 36."


def test_prose_and_broken_json_are_unchanged():
    for text in ["Plain prose.", "He said [citation needed] it was {sic} good.", "[1, 2]", "{not json at all}",
                 "a | b\nc"]:
        assert as_facts(text) == text and not is_structured(text)


def test_key_words_split_camel_and_snake_case():
    assert key_words("reviewCount") == "review count" and key_words("accepts_credit-cards") == "accepts credit cards"


def test_judge_inputs_see_facts_and_find_json_numbers():
    p = prepare(JudgeInput(texts=["Aromi employs 250 people in Cambridge."],
                           contexts=['{"name": "Aromi", "city": "Cambridge", "employees": 250}']))
    assert p.contexts == ["name: Aromi; city: Cambridge; employees: 250."]
    assert p.missing == [[]]


def test_a_description_of_a_json_record_is_supported(default_judge):
    ctx = '{"name": "Aromi", "eatType": "coffee shop", "food": "Italian", "area": "city centre", "rating": 4.5}'
    good = default_judge.score([JudgeInput(texts=["Aromi is an Italian coffee shop in the city centre."],
                                           contexts=[ctx])])[0]
    bad = default_judge.score([JudgeInput(texts=["Aromi is a French coffee shop by the river, rated 3.2."],
                                          contexts=[ctx])])[0]
    assert good.adherence >= default_judge.threshold > bad.adherence


def test_review_site_records_are_read_as_their_values():
    """Yelp-style records: flags as "True"/"False" strings, nested flags as Python-literal strings, hours as 11:0-22:0."""
    import json

    facts = as_facts(json.dumps({"name": "Aromi", "hours": {"Monday": "11:0-22:0"}, "attributes": {
        "RestaurantsTakeOut": "True", "OutdoorSeating": "False", "WiFi": "u'free'",
        "BusinessParking": "{'garage': False, 'street': True}"}}))
    assert "hours monday: 11:00-22:00 (11 am to 10 pm)" in facts
    assert "attributes restaurants take out: yes" in facts
    assert "attributes outdoor seating: no (no outdoor, no seating)" in facts
    assert "attributes wi fi: free" in facts
    assert "attributes business parking garage: no (no garage)" in facts and "business parking street: yes" in facts


def test_a_claim_against_a_false_flag_is_a_negation_flip(default_judge):
    import json

    from groundset.evaluate.judges.base import JudgeInput

    ctx = json.dumps({"name": "Aromi", "attributes": {"OutdoorSeating": "False", "BusinessAcceptsCreditCards": "True"}})
    wrong, right = default_judge.score([JudgeInput(texts=["Aromi has outdoor seating."], contexts=[ctx]),
                                        JudgeInput(texts=["Aromi has no outdoor seating."], contexts=[ctx])])
    assert wrong.adherence < default_judge.threshold <= right.adherence
    assert wrong.decision["sentence_feature"] == "negation"


def test_a_string_that_only_looks_like_a_literal_stays_text():
    import json

    assert "motto: {not a dict" in as_facts(json.dumps({"name": "Aromi", "motto": "{not a dict"}))
