"""Verbatim passages and answer spans picked from a chunk: the human-written answers of ``backtranslate`` and qa's
answer-first mode.

>>> text = ("Lists\\n\\nA list is a mutable sequence. The append method adds an item at the end.\\n\\n"
...         ">>> xs.append(3)\\n\\nThis is shown below:")
>>> p = pick_passage(text)
>>> p.text
'A list is a mutable sequence. The append method adds an item at the end.'
>>> text[p.start:p.end] == p.text
True

A passage is 1–6 consecutive sentences of prose inside one chunk (a chunk never crosses a section boundary except
after a heading line, which ends a run here), taken verbatim, so ``chunk.text[start:end] == passage``. What is not
prose ends a run: code and interpreter lines, list items, headings, table rows, lines without a sentence end.
Sentences that cannot stand alone are left out: one that opens with a pointer back ("This", "It", "However", …, or
"this" / "other" / "such" among its first five words: "Looking at this in more detail"),
one that points at something outside the passage ("the following example", "shown below", "like this:"), and one
ending with a colon (it introduces code or a list that is not part of the passage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groundset.evaluate.text import split_sentences

__all__ = ["Passage", "prose_runs", "pick_passage", "is_lead", "lead_subject", "lead_verb", "PASSAGE_REASONS"]

# why a chunk gives no passage (counted by the generator as the reject reason)
PASSAGE_REASONS = ("no_passage",)

_NOT_PROSE_START = re.compile(r"^\s*(?:[-*•+|#>]|\d{1,3}[.)]\s|```|\.\.\.|\$ |>>>|[{}\[\]()<]|[A-Za-z_]\w*\s*=[^=])")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_ANAPHOR = re.compile(
    r"^(?:this|these|that|those|it|its|they|them|their|such|however|also|but|and|or|so|thus|therefore|then|"
    r"hence|here|there|otherwise|similarly|likewise|instead|finally|again|now|in (?:this|that|the latter|the former)"
    r"|for (?:example|instance)|as (?:a result|shown|above|below|before|mentioned)|the (?:latter|former|above|"
    r"following|same|first|second|third|last|next|rest|remaining|other)|another|other|both|each of these|"
    r"one of these|(?-i:a|an|the|of|in|to|and|or|with|for|by|on|is|are))\b",  # lower case: it continues a line
    re.I,
)
_EARLY_POINTER = re.compile(r"^(?:\S+\s+){0,4}?(?:this|these|those|such|other|above|latter|former)\b", re.I)
# a lead that points back anywhere ("Python provides a tool that answers those questions"): not stand-alone
_LEAD_POINTER = re.compile(r"\b(?:those|these|such) (?!days\b|of\b|who\b|that\b|which\b)[a-z]+", re.I)
_POINTER = re.compile(
    r"\b(?:the following|as follows|shown (?:below|above|here)|(?:see|in) the (?:example|table|figure) (?:below|above)|"
    r"(?:above|below|previous|next) (?:example|section|chapter|code|table|figure)|like this|this example|"
    r"the example (?:below|above)|assuming the above|in the (?:previous|next) (?:section|chapter)|"
    r"(?:^|[.;,] )see\b|for (?:more|further) (?:information|details)|for a reference on|"
    r"(?:documentation|reference guide|tutorial|chapter|section) (?:of|on|for) the\b.{0,40}\bfor (?:more|details)|"
    r"(?:is|are) (?:discussed|described|explained|covered)(?: in (?:more|further) detail)? (?:later|in (?:section|"
    r"chapter))|later in this tutorial|"
    r"you will (?:soon |later )?(?:learn|see|find out)|will be (?:discussed|described|explained|covered)|"
    r"(?:more|further) (?:details|information) (?:is|are|can be found) (?:at|in)|(?:is|are) (?:available|found) at)\b",
    re.I,
)
# a pronoun or "the same"/"it" early in the opening sentence points at something the passage does not contain, as
# does a noun left out ("The only difference between the two is …", "The most versatile is the list")
_EARLY_PRONOUN = re.compile(r"^(?:\S+\s+){0,7}?(?:it|its|they|them|their|he|she|his|her)\b|"
                            r"^(?:\S+\s+){0,6}?the (?:two|three|both)\b(?!\s+[a-z]{2,}s\b)|^the (?:most|least) \w+ (?:is|are)\b",
                            re.I)
# an opening sentence that says what its subject is or does: "The struct module provides …", "Threading is a
# technique …", "To check whether a key is in a dictionary, use …" (a passage that defines or explains)
_LEAD = re.compile(
    r"^(?:(?P<goal>to [a-z]+\b.{3,100}?),\s+(?!(?:the|an?|it|its|you|this|we|they|there)\b)(?-i:[a-z]+)\b|"
    r"(?P<subject>(?:(?:the|an?)\s+)?(?!(?:the|an?|to)\s)[\w.()\-“”‘’\"']+(?:\s+[\w.()\-“”‘’\"']+){0,8}?)"
    r"(?<!\bto)(?<!\band)(?<!\bor)\s+(?:is|are|"
    r"was|were|has|have|provides?|lets?|allows?|returns?|creates?|means|refers|contains?|supports?|defines?|makes?|"
    r"works?|gives?|takes?|uses?|consists?|holds?|stores?|can|could|may|might|must|should|would|will|associates?|"
    r"introduces?|"
    r"describes?)\b)",
    re.I,
)
_SYMBOLS = re.compile(r"[{}\[\]=<>*/\\|#@$%^&~`;]")


@dataclass(frozen=True)
class Passage:
    """A verbatim passage of a chunk: ``text == chunk.text[start:end]``; ``sentences`` counted."""

    text: str
    start: int
    end: int
    sentences: int
    subject: str = ""  # what its opening sentence is about (``lead_subject``; "A | B": either), "" for no lead

    @property
    def words(self) -> int:
        return len(self.text.split())


def _is_prose(paragraph: str) -> bool:
    """One line of running text that ends like a sentence (or with a colon) and is mostly letters."""
    p = paragraph.strip()
    if "\n" in p or not p or not (_SENTENCE_END.search(p) or p.endswith(":")) or _NOT_PROSE_START.match(p):
        return False
    if " ".join(p.split()) != p or len(p.split()) < 4:
        return False
    letters = sum(ch.isalpha() for ch in p)
    return letters / max(1, sum(not ch.isspace() for ch in p)) >= 0.75 and len(_SYMBOLS.findall(p)) <= len(p) / 30


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) of ``text`` split on blank lines."""
    out, pos = [], 0
    for part in re.split(r"(\n\s*\n)", text):
        if part.strip() and not re.fullmatch(r"\n\s*\n", part):
            lead = len(part) - len(part.lstrip())
            out.append((pos + lead, part.strip()))
        pos += len(part)
    return out


def _sentences(offset: int, paragraph: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) of one prose paragraph, offsets in the chunk."""
    out, pos = [], 0
    for s in split_sentences(paragraph):
        i = paragraph.find(s, pos)
        if i < 0:
            return []  # the splitter changed the text: not verbatim, skip the paragraph
        out.append((offset + i, offset + i + len(s), s))
        pos = i + len(s)
    return out


def prose_runs(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of consecutive stand-alone sentences of ``text`` (each run breaks at anything that is not prose)."""
    runs: list[list[tuple[int, int, str]]] = [[]]
    for offset, para in _paragraphs(text):
        if not _is_prose(para):
            runs.append([])
            continue
        for start, end, s in _sentences(offset, para):
            if _POINTER.search(s) or s.rstrip().endswith(":") or not _SENTENCE_END.search(s):
                runs.append([])
                continue
            if s.lstrip().startswith(("(", "[")):
                runs.append([])  # an aside or a footnote mark: it ends the run and cannot start one
                continue
            if not runs[-1] and (_ANAPHOR.match(s) or _EARLY_POINTER.match(s) or _EARLY_PRONOUN.match(s)):
                continue  # a run must not start by pointing back at what came before
            runs[-1].append((start, end, s))
    return [r for r in runs if r]


# words that make an opening a condition, an aside or an address to the reader, not a subject
_NOT_SUBJECT = frozenset("""if when whenever while although though because since once note how you your we our us i
there here what which who whom as unless until after before where so thus be do don’t don't make remember try
always never""".split())


_NAMED = re.compile(r"\b(?:is|are) (?:called|named|known as) ((?:the |an? )?[\w.()\-]+)")
_TRAILING = frozenset("also often usually always first then still now just only not".split())


def lead_subject(sentence: str) -> str:
    """What a lead sentence is about ("" when ``sentence`` is no lead: a condition, an address to the reader).

    >>> lead_subject("The struct module provides pack() and unpack() functions.")
    'the struct module'
    >>> lead_subject("To check whether a single key is in the dictionary, use the in keyword.")
    'how to check whether a single key is in the dictionary'
    >>> lead_subject("If you do much work on computers, you find tasks to automate.")
    ''
    >>> lead_subject("The module used to create and manage virtual environments is called venv.")
    'venv | the module used to create and manage virtual environments'

    A named subject gives two alternatives, "NAME | DESCRIPTION": a question may name either.
    """
    m = _LEAD.match(sentence.strip())
    if not m:
        return ""
    named = _NAMED.search(sentence)
    if named and m.group("subject"):  # "The module used to … is called venv": the name, or what it names
        return f"{named.group(1).rstrip('.,;:')} | {_subject_words(m.group('subject'))}"
    if m.group("goal"):
        goal = m.group("goal")
        return "how " + goal[0].lower() + goal[1:]
    return _subject_words(m.group("subject"))


def lead_verb(sentence: str) -> str:
    """The verb after a lead sentence's subject ("provides", "is", "can"; "" for no lead or a goal lead).

    >>> lead_verb("Python also has built-in support for complex numbers."), lead_verb("To sort a list, call sorted().")
    ('has', '')
    """
    m = _LEAD.match(sentence.strip())
    if not m or not m.group("subject"):
        return ""
    after = re.match(r"\s+(\w+)", sentence.strip()[m.end("subject"):])
    return after.group(1) if after else ""


def _subject_words(subject: str) -> str:
    if {w.lower() for w in re.findall(r"\w+", subject)} & _NOT_SUBJECT:
        return ""
    words = subject.split()
    while len(words) > 1 and (words[-1].lower() in _TRAILING or words[-1].lower().endswith("ly")):
        words.pop()  # "Python also", "The Python installer automatically": the adverb is not the subject
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):
        words[0] = words[0].lower()
    return " ".join(words)


def is_lead(sentence: str) -> bool:
    """True when ``sentence`` says what its subject is or does ("The struct module provides …", "To check … , use
    …"), not a condition or an address to the reader ("If you do much work …")."""
    return bool(lead_subject(sentence))


def pick_passage(text: str, min_words: int = 12, max_words: int = 110, max_sentences: int = 6,
                 lead: bool = False) -> Passage | None:
    """The best passage of ``text``, cut to ``max_sentences`` and ``max_words``; None when none has ``min_words``.

    Every sentence of a run may open a passage. Best is a passage opening with a lead sentence (``is_lead``: it
    says what its subject is or does), then the longest (ties: the first). With ``lead``, only such passages count.
    """
    best: tuple[tuple[int, int], Passage] | None = None
    for run in prose_runs(text):
        for first in range(len(run)):
            if first and (_ANAPHOR.match(run[first][2]) or _EARLY_POINTER.match(run[first][2])
                          or _EARLY_PRONOUN.match(run[first][2])):
                continue
            subject = lead_subject(run[first][2]) if not _LEAD_POINTER.search(run[first][2]) else ""
            opens = bool(subject)
            if lead and not opens:
                continue
            taken: list[tuple[int, int, str]] = []
            for sent in run[first:]:
                words = sum(len(s.split()) for _, _, s in taken) + len(sent[2].split())
                if taken and (len(taken) >= max_sentences or words > max_words):
                    break
                taken.append(sent)
            start, end = taken[0][0], taken[-1][1]
            cand = Passage(text=text[start:end], start=start, end=end, sentences=len(taken), subject=subject)
            if cand.words > max_words * 1.5 or cand.words < min_words:
                continue  # one run-on sentence longer than a passage should be, or too short
            key = (int(opens), cand.words)
            if best is None or key > best[0]:
                best = (key, cand)
    return best[1] if best else None
