from groundset.evaluate.text import content_words, normalise, split_claims, split_sentences, stem


def test_abbreviations_initials_and_decimals_do_not_split():
    text = "Dr. Smith paid $3.5 million, e.g. for the U.S. office. J. K. Rowling wrote it in 1997. Done!"
    assert split_sentences(text) == [
        "Dr. Smith paid $3.5 million, e.g. for the U.S. office.",
        "J. K. Rowling wrote it in 1997.",
        "Done!",
    ]


def test_quotes_and_brackets_after_the_full_stop():
    assert split_sentences('He said "stop." Then (later) it ended.') == ['He said "stop."', "Then (later) it ended."]


def test_lists_headings_and_code_blocks_become_their_own_segments():
    text = "## Lists\nA list holds items:\n- `append` adds one.\n- `pop` removes one.\n\n```python\nx = [1, 2]\nx.append(3)\n```\nThat is all."
    segs = split_claims(text)
    assert [(s.kind, s.text) for s in segs] == [
        ("heading", "Lists"),
        ("sentence", "A list holds items:"),
        ("sentence", "`append` adds one."),
        ("sentence", "`pop` removes one."),
        ("code", "x = [1, 2]\nx.append(3)"),
        ("sentence", "That is all."),
    ]


def test_unclosed_code_fence_is_still_code():
    assert split_claims("Example:\n```\nprint(1)")[-1].kind == "code"


def test_stems_and_content_words():
    assert stem("Normans") == stem("norman")
    assert stem("constructed") == stem("construct")
    assert content_words("According to the passage, the Normans conquered England.") == ["norman", "conquer", "england"]


def test_normalise_removes_case_accents_punctuation():
    assert normalise("Rollo’s  Café — (est. 911)!") == "rollo cafe est 911"
