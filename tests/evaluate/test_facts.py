import pytest

from groundset.evaluate.facts import Evidence, extract_facts, missing_facts

EV = Evidence(
    "In 2019 the company sold 3,500 units (3.5 percent of the market) for $2.5 million. "
    "Its CEO, Ada Lovelace, uses os.path.join and the `sep` argument. The motto is \"move fast\"."
)


@pytest.mark.parametrize(
    "claim",
    [
        "The company sold 3500 units in 2019.",
        "It had a 3.5% share of the market.",
        "Revenue was 2,500,000 dollars.",
        "Revenue was $2.5m.",
        "Ada Lovelace was the CEO.",
        "Call os.path.join() with `sep`.",
        'The motto is "Move fast".',
        "They sold about 3,520 units.",  # hedged: 2% tolerance
        "It sold three thousand five hundred units, two years on.",  # number words are not checked in claims
    ],
)
def test_supported_facts_are_found(claim):
    assert missing_facts(claim, EV) == []


@pytest.mark.parametrize(
    "claim, missing",
    [
        ("The company sold 4,200 units in 2019.", ["4,200"]),
        ("About 45% of customers were happy.", ["45%"]),
        ("It had a 35 percent share.", ["35 percent"]),
        ("The company was founded in 1998.", ["1998"]),
        ("Its CEO, Grace Hopper, announced it.", ["Grace Hopper"]),
        ("Use shutil.copy to copy it.", ["shutil.copy"]),
        ('The motto is "think different".', ["think different"]),
        ("They sold 3,520 units.", ["3,520"]),  # not hedged: exact
    ],
)
def test_invented_facts_are_missing(claim, missing):
    assert missing_facts(claim, EV) == missing


def test_sentence_initial_single_words_are_not_names_but_runs_are():
    facts = extract_facts("However, Rollo led them. Revenue grew. King Harold of Wessex fell, and Ada Lovelace wrote.")
    assert [(f.kind, f.text) for f in facts] == [
        ("entity", "Rollo"), ("entity", "King Harold of Wessex"), ("entity", "Ada Lovelace")
    ]


def test_abbreviations_are_not_code_identifiers():
    assert all(f.kind != "code" for f in extract_facts("The U.S. Army, e.g. its generals, won."))


def test_version_strings_are_checked_as_text():
    ev = Evidence("Python 3.11.2 was released.")
    assert missing_facts("Python 3.11.2 is out.", ev) == []
    assert missing_facts("Python 3.12.1 is out.", ev) == ["3.12.1"]


@pytest.mark.parametrize(
    "claim, source",
    [
        ("It was found in Western Australia.", "It was found in WA, near Exmouth."),
        ("The IAAF chose Eugene.", "The International Association of Athletics Federations chose Eugene."),
    ],
)
def test_a_name_matches_its_acronym_either_way(claim, source):
    assert missing_facts(claim, Evidence(source)) == []


def test_an_acronym_the_sources_lack_is_still_missing():
    assert missing_facts("The NBA chose Eugene.", Evidence("The International Association chose Eugene.")) == ["NBA"]
