"""Talk about the source is not a claim about the world: the part of a sentence that is matched against the sources.

LLM summaries and answers wrap their claims in talk about the source ("The passage provides information about…",
"Based on the given passages, …", "It's important to note that the passage appears to contain two unrelated pieces of
information"). Those words are absent from the source by nature, so lexical recall and the fact checks read them
as invented, and "does not seem to connect" reads as a negation flip. ``matched_text`` removes the frames and, in a
sentence that talks about the source, the words of that talk and the negations that bear on them. The sentence
itself is kept as written in every record; only what is matched changes.

>>> matched_text('The passage provides information about a TV series called "The Millers."')
'a TV series called "The Millers."'
>>> matched_text("Based on the given passages, the tower is 330 metres tall.")
'the tower is 330 metres tall.'
>>> matched_text("The passage does not seem to connect Ann Richards to Dorothy Richards.")
'Ann Richards to Dorothy Richards.'
>>> matched_text("The tower is not 330 metres tall.")
'The tower is not 330 metres tall.'
"""

from __future__ import annotations

import re

__all__ = ["matched_text", "talks_about_source"]

_SOURCE = r"(?:given\s+|provided\s+|above\s+|original\s+|following\s+)?(?:passages?|texts?|articles?|documents?|excerpts?|summary|context|sources?|paragraphs?|information)"
_VERBS = (r"(?:also\s+|then\s+|further\s+|additionally\s+|primarily\s+|mainly\s+|briefly\s+)?"
          r"(?:(?:provides?|gives?|offers?|contains?|includes?)\s+(?:some\s+|brief\s+|detailed\s+|key\s+)?"
          r"(?:information|details|facts|an?\s+overview)\s+(?:about|on|of|regarding)"
          r"|discuss(?:es)?|describes?|mentions?|states?|notes?|explains?|highlights?|covers?|reports?|says?"
          r"|indicates?|suggests?|reveals?|outlines?|details|presents?|introduces?|concerns?|summari[sz]es?"
          r"|(?:is|are)\s+about|talks?\s+about|focus(?:es)?\s+on|refers?\s+to|deals?\s+with"
          r"|(?:abruptly\s+)?shifts?\s+to(?:\s+information\s+about)?|goes\s+on\s+to\s+(?:say|describe|mention))"
          r"(?:\s+that)?")
_FRAMES = [
    re.compile(r"^\W*(?:based|drawing)\s+(?:solely\s+|only\s+|entirely\s+)?on\s+(?:the\s+)?" + _SOURCE
               + r"\s*,\s*(?:(?:it\s+(?:is|appears|seems)\s+(?:clear\s+)?that|we\s+can\s+see\s+that)\s+)?", re.I),
    re.compile(r"^\W*(?:according\s+to|as\s+(?:stated|described|mentioned)\s+in)\s+(?:the\s+)?" + _SOURCE
               + r"\s*,\s*", re.I),
    re.compile(r"^\W*(?:it\s+is|it's|it\s+should\s+be)\s+(?:important\s+|worth\s+)?(?:to\s+)?not(?:e|ed|ing)\s+that\s+", re.I),
    re.compile(r"^\W*(?:the|this|that|these)\s+" + _SOURCE + r"\s+" + _VERBS + r"\s+", re.I),
    re.compile(r",?\s*(?:as\s+)?(?:stated|described|mentioned|noted|explained)\s+in\s+the\s+" + _SOURCE + r"(?=[.,;]|$)",
               re.I),
]
# mid-sentence frames are replaced by a space, not removed: "…Mississippi, stating that 55% …" → "…Mississippi 55% …"
_INNER = re.compile(r",\s*(?:stating|noting|explaining|mentioning|adding)\s+that\s+", re.I)
# words of talk about the source (and about the summary itself): ignored in a sentence that talks about the source
_TALK_WORDS = frozenset("""
passage passages text texts article articles document documents excerpt excerpts summary summaries context source
sources paragraph paragraphs information provide provides provided offer offers discuss discusses discussed describe
describes described mention mentions mentioned state states stated note notes noted cover covers covered detail
details topic topics subject subjects piece pieces point points main key brief briefly concise distinct separate
separately unrelated different connect connects connected connection clear clearly appear appears seem seems contain
contains focus focuses highlight highlights overview additionally firstly secondly finally abruptly shift shifts
explicit explicitly specify specifies specified say says said indicate indicates given regarding related relation
""".split())
_TALK = re.compile(
    r"\b(?:the|this|these|that|each|both)\s+(?:given\s+|provided\s+|above\s+|original\s+|two\s+|three\s+)?"
    r"(?:passages?|texts?|articles?|documents?|excerpts?|summary|summaries|context|sources?)\b"
    # followed by what follows a subject or an object, not by a noun ("the text file", "the summary statistics")
    r"(?=\s*(?:[.,;:!?)]|$)|\s+(?:is|are|was|were|has|have|had|does|do|did|doesn't|don't|also|then|further|only|"
    r"itself|and|or|but|as|in|about|on|of|by|from|to|with|that|which|where|can|could|may|might|will|would|should|"
    r"states?|says?|mentions?|describes?|discuss\w*|provides?|notes?|explains?|highlights?|covers?|contains?|"
    r"includes?|appears?|seems?|suggests?|indicates?|focus\w*|talks?|presents?|reports?|gives?|offers?|lists?|"
    r"refers?|concerns?|deals?|goes|shifts?|abruptly|primarily|mainly)\b)", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|can't|doesn't|don't|didn't|isn't|aren't|wasn't)\b", re.I)
_WORD = re.compile(r"[\w'’\-]+")


def talks_about_source(sentence: str) -> bool:
    """Whether the sentence names the passage / text / summary it comes from."""
    return bool(_TALK.search(sentence))


def matched_text(sentence: str) -> str:
    """The sentence without its frames of talk about the source (see the module doc); unchanged when it has none."""
    text = sentence
    for _ in range(3):  # frames nest: "It's important to note that the passage states that …"
        before = text
        for frame in _FRAMES:
            text = frame.sub("", text, count=1).strip()
        text = _INNER.sub(" ", text)
        if text == before:
            break
    if talks_about_source(text):
        text = _drop_talk(text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text if re.search(r"\w", text) else sentence


def _drop_talk(text: str) -> str:
    """Remove the words of talk about the source, and each negation whose next words are such talk."""
    spans = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    drop: set[int] = set()
    for i, (_, _, w) in enumerate(spans):
        lw = w.lower()
        if lw in _TALK_WORDS:
            drop.add(i)
        elif _NEGATION.fullmatch(lw):
            following = [s[2].lower() for s in spans[i + 1 : i + 4]]
            if any(f in _TALK_WORDS for f in following):
                drop.add(i)
                # auxiliaries between the negation and the talk word go too ("does not seem to connect")
                for j in range(i + 1, min(i + 4, len(spans))):
                    w_j = spans[j][2].lower()
                    if w_j in _TALK_WORDS:
                        continue
                    if w_j not in {"to", "a", "any", "really", "be", "much"}:
                        break
                    drop.add(j)
    for i in range(len(spans)):  # auxiliaries just before a dropped negation
        if i + 1 < len(spans) and i + 1 in drop and _NEGATION.fullmatch(spans[i + 1][2].lower()) \
                and spans[i][2].lower() in {"does", "do", "did", "is", "are", "was", "were", "can", "will", "would"}:
            drop.add(i)
    out, last = [], 0
    for i, (a, b, _) in enumerate(spans):
        if i in drop:
            out.append(text[last:a])
            last = b
    out.append(text[last:])
    joined = "".join(out)
    joined = re.sub(r"^\W*(?:the|this|that|these|it)\s+(?=\w)", "", joined, flags=re.I) if joined != text else joined
    joined = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(joined.split()))
    return joined.strip(" ,;")
