"""The opening of a backtranslated question, taken from the passage's lead sentence: the model writes the rest.

>>> opening("question", "The struct module provides pack() and unpack() functions.", "the struct module")
'What does the struct module'
>>> opening("question", "A module is a file containing Python definitions.", "a module")
'What is a module'
>>> opening("how-to", "To check whether a key is in the dictionary, use the in keyword.",
...         "how to check whether a key is in the dictionary")
'How do I check whether a key is in the dictionary'
>>> opening("imperative", "The struct module provides pack() and unpack() functions.", "the struct module")
'Explain what the struct module'

Left free, a 135M model asks about something the passage mentions in passing, or writes a question that does not
parse ("How to name mangle a variable, from a class definition to a class definition?"). Opening the question with
the subject and the verb form of the passage's first sentence — a lead sentence says what its subject is or does
(``passages.lead_subject``) — keeps the question on what the passage answers; the model still writes what is
asked ("… provide?", "… used for?", "… differ from a list?"). The local backend forces the opening
(``ChatRequest.prefix``); other backends are asked to begin with it. None when the lead gives no opening for the
style (the model then writes the whole question).
"""

from __future__ import annotations

import json
import re

from groundset.evaluate.qa_checks import key_terms
from groundset.evaluate.text import stem, words
from groundset.generate.passages import lead_verb

__all__ = ["opening", "json_opening", "added_words", "continuation_problem", "OPENING_REASONS"]

# the rejects of what the model writes after an opening (``added_words``, ``continuation_problem``)
OPENING_REASONS = ("added_not_in_passage", "restates_lead", "repeats_subject")

_BE = {"is", "are", "was", "were"}
_MODAL = {"can", "could", "may", "might", "must", "shall", "should", "will", "would"}


def _cased(subject: str, text: str) -> str:
    """The subject as it reads mid-sentence: a sentence-initial capital goes ("Activating the …" → "activating the
    …", "Generators" → "generators") unless the word is a name, capitalised somewhere mid-sentence in ``text`` (the
    chunk: "… written in Python."). Identifiers and acronyms (``pip``, ``HTML``, ``f.tell()``) keep theirs."""
    first, _, rest = subject.partition(" ")
    if first[:1].isupper() and not first.isupper() and first[1:].islower():
        named_inside = re.search(rf"(?<=[a-z,;])[ \t]+{re.escape(first)}\b", text)  # mid-sentence capital: a name
        if not named_inside or first.endswith("ing"):  # "Reconstructing the data …"
            return f"{first.lower()} {rest}".strip()
    return subject


# a subject that is no noun phrase: it opens with a preposition or an adverb ("By default pip will …", "Often dx
# and dy are …", "Effectively n frames are …") or holds a clause ("The
# import statement first tests whether the item is …": the lead pattern found the wrong verb)
_NOT_NOUN_PHRASE = re.compile(r"^(?:by|in|on|for|with|at|from|of|after|before|during|under|unlike|like|as|often|"
                              r"sometimes|usually|also|only|\w+(?:al|iv|en|an|ous|e)ly)\b|"
                              r"\b(?:whether|that|which|who|if|when|because|while)\b", re.I)
_WHY_ADJECTIVE = frozenset("necessary needed required important useful helpful best preferred recommended".split())
# participles that do not end in -ed ("X can be met with …" → "How can X be met")
_IRREGULAR = frozenset("""made done given known shown seen written found met run set put built held kept left sent taken
thrown chosen read said brought bound split understood begun drawn grown hidden spoken""".split())
_DETERMINER = frozenset("a an the one two some any no each every this that these those its their".split())


def opening(style: str, lead: str, subject: str, text: str = "") -> str | None:
    """The first words of a question of ``style`` about ``subject``, from the verb of the ``lead`` sentence
    (``text``: the passage, which tells a name from a sentence-initial capital); a style the lead gives no opening
    for ("How …" over "Generators are a tool …") takes the question style's ("What are generators")."""
    return _opening(style, lead, subject, text) or (_opening("question", lead, subject, text)
                                                     if style != "question" else None)


def _opening(style: str, lead: str, subject: str, text: str = "") -> str | None:
    if not subject:
        return None
    if subject.startswith("how to "):  # "To check whether …, use …": the goal is the question
        goal = subject[len("how to "):]
        return {"how-to": f"How do I {goal}", "question": f"How do I {goal}",
                "imperative": f"Explain how to {goal}"}.get(style)
    if " | " in subject:  # "The module used to … is called venv"
        name, description = subject.split(" | ", 1)
        description = _cased(description, text or lead)
        return {"question": f"What is {description} called", "imperative": f"Explain what {name} is"}.get(style)
    verb = lead_verb(lead)
    if not verb or _NOT_NOUN_PHRASE.search(subject) or len(subject.split()) > 9:
        return None
    subject = _cased(subject, text or lead)
    v = verb.lower()
    aux = v if v in _BE | _MODAL else ("does" if v.endswith("s") and not v.endswith("ss") else "do")
    after = re.match(rf".*?\b{verb}\s+(?:(?:also|often|usually|always|then|now|not|only|in fact|\w+ly)\s+)*([\w-]+)",
                     lead, re.I)
    word = after.group(1).lower() if after else ""
    if v in _MODAL and word == "be":  # "X can be any expression" is "What can X be?"; "X can be created …": how
        be_after = re.match(r".*?\bbe\s+(?:\w+ly\s+)*([\w-]+)", lead, re.I)
        participle = be_after.group(1).lower() if be_after else ""
        if participle.endswith("ed") or participle in _IRREGULAR:
            return {"question": f"How {v} {subject} be {participle}", "how-to": f"How {v} {subject} be {participle}",
                    "imperative": f"Explain how {subject} {v} be {participle}"}.get(style)
        return {"question": f"What {v} {subject} be", "imperative": f"Explain what {subject} {v} be"}.get(style)
    if v in _BE:  # "X is a …" asks what X is; "X is necessary because …" why; "X is freed when …" how
        if word in _WHY_ADJECTIVE:
            return {"question": f"Why {v} {subject} {word}", "why": f"Why {v} {subject} {word}",
                    "imperative": f"Explain why {subject} {v} {word}"}.get(style)
        if word in ("called", "named"):  # "X is called deserializing"
            return {"question": f"What {v} {subject} {word}", "imperative": f"Explain what {subject} {v} {word}"}.get(style)
        if (word.endswith("ed") or word in _IRREGULAR) and word not in _DETERMINER:
            return {"question": f"How {v} {subject} {word}", "how-to": f"How {v} {subject} {word}",
                    "imperative": f"Explain how {subject} {v} {word}"}.get(style)
        return {"question": f"What {v} {subject}", "imperative": f"Explain what {subject} {v}"}.get(style)
    if style == "question":  # "What does the struct module" (… provide?); "What do slice indices have" (?)
        return f"What {aux} {subject} have" if v in ("has", "have") else f"What {aux} {subject}"
    if style == "how-to":
        return f"How {aux} {subject}"
    if style == "why":
        return f"Why {aux} {subject}"
    if style == "imperative":  # "Explain what the struct module" (… provides.); "… may want" (… to do.)
        return f"Explain what {subject} {v} {word}" if v in _MODAL and word else f"Explain what {subject}"
    return None


def json_opening(text: str, field: str = "question") -> str:
    """The start of the JSON reply whose ``field`` string opens with ``text`` (the string left open)."""
    return json.dumps({field: text}, ensure_ascii=False)[:-2]


def added_words(question: str, start: str, passage: str) -> list[str]:
    """Key terms of what the model wrote after the opening ``start`` that ``passage`` lacks ("… in Smalltalk?",
    "… for the following code?"): the opening keeps a question on the passage only if the rest stays there too.
    [] when ``question`` does not begin with ``start``.

    >>> added_words("What does the struct module do?", "What does the struct module", "The struct module packs.")
    []
    >>> added_words("What is x in Smalltalk?", "What is x", "x is a name.")
    ['smalltalk']
    """
    if not start or not question.startswith(start):
        return []
    have = {stem(w) for w in words(passage)}
    rest = question[len(start):]
    numbers = [n for n in re.findall(r"\d+(?:\.\d+)*", rest) if not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", passage)]
    return [k for k in key_terms(rest) if k not in have] + numbers


def continuation_problem(question: str, start: str, lead: str, subject: str) -> str | None:
    """What is wrong with the model's words after the opening ``start``, or None:

    - ``restates_lead``: a What-question (or "Explain what …") whose rest copies the lead instead of asking for it —
      it opens with the lead's own verb and goes on ("What does the format use placeholders with braces?"), opens
      with the two words after the lead's "is" ("Explain what X is an error."), or copies four or more words
      ("What do some objects define standard clean-up actions to be …?"); a How / Why question may repeat the lead
      ("How can a number in the brackets be used to refer to …?");
    - ``repeats_subject``: the rest names the subject again ("How may package authors decide not to support
      package authors?", "Explain what a function definition is in a function definition.").

    >>> continuation_problem("What do some objects define standard clean-up actions to be undertaken?",
    ...                      "What do some objects", "Some objects define standard clean-up actions to be undertaken.",
    ...                      "Some objects")
    'restates_lead'
    >>> continuation_problem("What does the struct module provide?", "What does the struct module",
    ...                      "The struct module provides pack() and unpack() functions.", "the struct module")
    """
    if not start or not question.startswith(start):
        return None
    rest = question[len(start):]
    said = [stem(w) for w in re.findall(r"[\w'’-]+", rest.lower())]
    verb = lead_verb(lead).lower()
    if re.match(r"(?:what|explain what)\b", start, re.I) and len(said) >= 3 and verb and said[0] == stem(verb) \
            and verb not in _BE | _MODAL:
        return "restates_lead"  # "What does the format use placeholders with braces?": the lead's verb and object
    if re.match(r"(?:what|explain what)\b", start, re.I) and len(said) >= 2 and verb in _BE | _MODAL:
        lead_stems = [stem(w) for w in re.findall(r"[\w'’-]+", lead.lower())]
        at = lead_stems.index(stem(verb)) + 1 if stem(verb) in lead_stems else 0
        if at and said[:2] == lead_stems[at:at + 2]:  # "Explain what X is" + "an error." (the lead's own words)
            return "restates_lead"
    if re.match(r"(?:what|explain what)\b", start, re.I) and len(said) >= 4:
        lead_words = " " + " ".join(stem(w) for w in re.findall(r"[\w'’-]+", lead.lower())) + " "
        if any(f" {' '.join(said[i:i + 4])} " in lead_words for i in range(len(said) - 3)):
            return "restates_lead"  # (stems: "use placeholders with braces" copies "uses placeholder … with braces")
    want = {stem(w) for w in words(subject) if len(w) >= 3} - {stem(w) for w in ("the", "and", "some", "any")}
    if want and want <= {stem(w) for w in words(rest)}:
        return "repeats_subject"
    return None
