"""Strip an HTML page down to its main content before unstructured sees it.

Removed: script / style / forms / search boxes, navigation bars and sidebars (``<nav>``, ARIA roles, the usual
class names such as Sphinx's ``sphinxsidebar`` and ``related``), "¶" permalink anchors, "Previous topic / Next topic"
and "This Page / Show Source" boxes, link lists (a table of contents is navigation, not content), page footers and
Project Gutenberg boilerplate; container tags nested deeper than ``MAX_DEPTH`` (their text stays). Kept: the main content element (``role=main``, ``<main>``, ``<article>``, ...) when
the page has one, else the body.

>>> page = clean_html('''<html><head><title>Intro — Docs</title><script>x=1</script></head><body>
... <div class="sphinxsidebar"><h4>Next topic</h4><a href="b.html">B</a></div>
... <div role="main"><h1>Intro<a class="headerlink" href="#intro">¶</a></h1><p>Python is fun.</p></div>
... </body></html>''')
>>> page.title, "sidebar" in page.html, "¶" in page.html, "Python is fun." in page.html
('Intro', False, False, True)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

__all__ = ["CleanHtml", "clean_html", "flatten_deep"]

_JUNK_TAGS = {
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "form", "input",
    "button", "select", "textarea", "nav", "link", "meta", "dialog",
}
_JUNK_ROLES = {"navigation", "search", "banner", "contentinfo", "complementary", "menu", "menubar", "toolbar"}
_JUNK_TOKEN = re.compile(
    r"^(?:side-?bar\w*|sphinxsidebar\w*|related|breadcrumbs?|nav|navbar|nav-\w+|navigation|menu|menu-\w+|mobile-nav"
    r"|site-(?:header|footer|nav)|footer|page-footer|headerlink|permalink|anchor-?link|skip-?link|copybutton"
    r"|cookie\w*|share|sharing|social|advert\w*|ads?|banner|toc|tocs|table-of-contents|pg-boilerplate"
    r"|this-page-menu|searchbox|search-box|inline-search|version_switcher\w*|language_switcher\w*|edit-?link)$",
    re.I,
)
_MAIN_XPATHS = [
    "//*[@role='main']",
    "//main",
    "//article",
    "//*[@id='content' or @id='main-content' or @id='main' or @id='mw-content-text']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' body ')]",
]
_ANCHOR_SYMBOLS = {"¶", "§", "#", "🔗", "∞", "link", "permalink"}
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


@dataclass
class CleanHtml:
    """The main content as an HTML string, the page title (None if it has none) and what was removed, by reason."""

    html: str
    title: str | None
    removed: Counter = field(default_factory=Counter)


def _text_len(el: etree._Element) -> int:
    return len(" ".join("".join(el.itertext()).split()))


def _tokens(el: etree._Element) -> list[str]:
    return f"{el.get('class', '')} {el.get('id', '')}".split()


def _drop(el: etree._Element, removed: Counter, reason: str) -> None:
    parent = el.getparent()
    if parent is None:
        return
    removed[reason] += 1
    el.drop_tree()  # keeps the tail text, which belongs to the parent


def _link_dense(el: etree._Element) -> bool:
    """Navigation: mostly link text, or a table / list whose every row is a link to another part of the book."""
    links = [a for a in el.iter("a") if a.get("href") is not None]
    if len(links) < 3:
        return False
    total = _text_len(el)
    linked = sum(_text_len(a) for a in links)
    if total > 0 and linked / total >= 0.7:
        return True
    rows = [r for r in el.iter("tr", "li") if _text_len(r)]
    internal = [r for r in rows if any(_internal(a.get("href")) for a in r.iter("a"))]
    return len(rows) >= 3 and len(internal) == len(rows) and linked / max(total, 1) >= 0.3


def _internal(href: str | None) -> bool:
    return bool(href) and not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I)


def _title(doc: etree._Element, main: etree._Element) -> str | None:
    h1 = main.find(".//h1")
    if h1 is not None and _text_len(h1):
        return " ".join("".join(h1.itertext()).split())
    for xpath in ("//title", "//meta[@property='og:title']/@content", "//h1"):
        hits = doc.xpath(xpath)
        if hits:
            text = hits[0] if isinstance(hits[0], str) else "".join(hits[0].itertext())
            text = " ".join(text.split())
            if text:
                # "Page — Site name": keep the page part
                return re.split(r"\s+[—|–]\s+|\s+-\s+(?=[^-]*$)", text)[0].strip() or text
    return None


_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)\b[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
         "wbr", "p", "li", "option", "td", "th", "tr", "dt", "dd"}  # void, or often left unclosed: never counted
MAX_DEPTH = 128  # libxml2 stops at 256 levels and drops everything below: deeper tags are removed first


def flatten_deep(html: str, max_depth: int = MAX_DEPTH) -> tuple[str, int]:
    """(html with the tags nested deeper than ``max_depth`` removed, their text kept; how many were removed).

    >>> flatten_deep("<div>" * 3 + "deep text" + "</div>" * 3, 1)
    ('<div>deep text</div>', 2)
    """
    if html.count("<") < 2 * max_depth:
        return html, 0
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, kept)
    depth = dropped = pos = 0
    for m in _TAG.finditer(html):
        closing, tag, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        keep = True
        if tag not in _VOID and not selfclosing:
            if not closing:
                keep = depth < max_depth
                stack.append((tag, keep))
                depth += keep
            else:
                while stack and stack[-1][0] != tag and any(t == tag for t, _ in stack):
                    depth -= stack.pop()[1]  # an element left open inside this one
                if stack and stack[-1][0] == tag:
                    keep = stack.pop()[1]
                    depth -= keep
        if not keep:
            out.append(html[pos : m.start()])
            pos = m.end()
            dropped += 1
    out.append(html[pos:])
    return "".join(out), dropped // 2


def clean_html(html: str) -> CleanHtml:
    """HTML text -> :class:`CleanHtml` with boilerplate removed. Never raises on broken markup (lxml repairs it)."""
    removed: Counter = Counter()
    html = _XML_DECL.sub("", html, count=1)
    html, deep = flatten_deep(html)
    if deep:
        removed["nesting_too_deep"] += deep
    if not html.strip():
        return CleanHtml("", None, removed)
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return CleanHtml("", None, removed)
    for el in list(doc.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el, Counter(), "comment")
    for el in list(doc.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.getroottree().getroot() is not doc:
            continue  # a comment, or inside a subtree already dropped
        tag = el.tag.lower().rsplit("}", 1)[-1]
        if tag in _JUNK_TAGS:
            _drop(el, removed, tag)
        elif (el.get("role") or "").lower() in _JUNK_ROLES:
            _drop(el, removed, f"role={el.get('role').lower()}")
        elif any(_JUNK_TOKEN.match(tok) for tok in _tokens(el)):
            _drop(el, removed, "boilerplate_class")
        elif tag == "a" and "".join(el.itertext()).strip().lower() in _ANCHOR_SYMBOLS:
            _drop(el, removed, "permalink")
        elif (el.get("aria-hidden") or "").lower() == "true" and not _text_len(el) > 80:
            _drop(el, removed, "hidden")
    body = doc.find(".//body")
    if body is None:
        body = doc
    main = _main_content(doc, body)
    for el in list(main.iter("header", "footer")):
        if el is not main and el.tag == "footer":
            _drop(el, removed, "footer")
    for el in list(main.iter("ul", "ol", "dl", "table", "div", "p")):
        if el is not main and el.getparent() is not None and _link_dense(el):
            _drop(el, removed, "link_list")
    title = _title(doc, main)
    out = lxml.html.tostring(main, encoding="unicode", method="html")
    return CleanHtml(f"<html><body>{out}</body></html>", title, removed)


def _main_content(doc: etree._Element, body: etree._Element) -> etree._Element:
    total = _text_len(body)
    for xpath in _MAIN_XPATHS:
        hits = [el for el in doc.xpath(xpath) if isinstance(el.tag, str)]
        if not hits:
            continue
        if xpath == "//article" and len(hits) > 1:
            continue  # a list of teasers, not one article
        best = max(hits, key=_text_len)
        if total and _text_len(best) >= 0.25 * total:
            return best
    return body
