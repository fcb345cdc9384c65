"""MediaWiki XML exports (Wikipedia dumps), streamed one page at a time in constant memory.

``.xml`` or bz2-compressed (``.xml.bz2``, or any ``.bz2`` holding one) files are parsed with ``lxml.iterparse``;
each ``<page>`` is turned into a Document and then cleared, so memory does not grow with the dump. Only articles
are kept: namespace 0, not redirects. Wikitext becomes plain text with mwparserfromhell: tables become ``table``
blocks of one line per row, each cell with its column header, and an infobox one of "Key: value" statements
(wikitables.py); templates, ``<ref>``s, galleries, files / images, categories, interlanguage links and comments are
removed and counted by kind in the Document's ``dropped`` metadata (the report's ``cleaned``); links kept as their text;
headings kept as ``Block.section``; reference-only sections ("References", "External links", "See also"...)
skipped. ``Document.source`` is ``f"{dump_path}#{title}"``.

>>> blocks = wikitext_blocks("'''Python''' is a [[programming language|language]].<ref>x</ref>\\n== History ==\\nBorn in 1991.")
>>> [(b.kind, b.text, b.section) for b in blocks]
[('text', 'Python is a language.', []), ('title', 'History', ['History']), ('text', 'Born in 1991.', ['History'])]
"""

from __future__ import annotations

import bz2
import html
import re
from collections import Counter
from pathlib import Path
from typing import Iterator

import mwparserfromhell
from lxml import etree
from mwparserfromhell.nodes import Argument, Comment, ExternalLink, Heading, HTMLEntity, Tag, Template, Text, Wikilink

from groundset.errors import InputError
from groundset.ingest.clean_blocks import drop_empty_headings
from groundset.ingest.text import clean_text, looks_binary
from groundset.ingest.wikitables import infobox_text, table_text
from groundset.records import Block, Document

__all__ = ["read_dump", "page_documents", "wikitext_blocks", "wikitext_parse", "is_mediawiki_dump"]

SKIP_SECTIONS = {
    "references", "external links", "see also", "further reading", "notes", "bibliography", "sources",
    "citations", "footnotes", "notes and references", "references and notes", "works cited", "sources and notes",
    "explanatory notes", "general references", "gallery",
}
_DROP_TAGS = {"ref", "references", "gallery", "timeline", "imagemap", "score", "graph", "table",
              "templatedata", "inputbox", "categorytree", "noinclude", "syntaxhighlight", "source", "hiero"}
_FILE_NS = {"file", "image", "media", "category"}
_INTERLANG = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,8})*$")
_KEEP_TEMPLATES = {"nowrap": 1, "nobr": 1, "lang": -1, "transl": -1, "small": 1, "em": 1, "visible anchor": 1}
_MAGIC = re.compile(r"__[A-Z]+__")
_WORD = re.compile(r"[^\W\d_]{3}")
_HTML_TAG = re.compile(  # tags mwparserfromhell left as text (unbalanced ones)
    r"</?(?:div|span|center|small|big|sup|sub|font|br|p|blockquote|abbr|poem|u|s|del|ins|nowiki|onlyinclude|"
    r"includeonly|noinclude|section|cite|code|var|tt|ref|references|ol|ul|li|dl|dt|dd|b|i|em|strong|table|tr|td|th|"
    r"caption|hr)\b[^>]*>",
    re.I,
)
_EMPTY_PARENS = re.compile(r"\(\s*[,;:]?\s*\)|\[\s*\]")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_MULTI_PUNCT = re.compile(r"([,;])(\s*[,;])+")


# ---------------------------------------------------------------------------------------------------- wikitext
_REF = re.compile(r"<ref\b[^>]*/>|<ref\b[^>]*>.*?</ref\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_BRACES = re.compile(r"\{\{|\}\}")
_TEMPLATE_NAME = re.compile(r"\{\{\s*([^|}]*)")
_BRACKETS = re.compile(r"\[\[|\]\]")
_LINK_TARGET = re.compile(r"\[\[\s*([^|\]]*)")


_MARK = re.compile("\ue000(\\d+)\ue001")


def _mark(stash: list[tuple[str, str]], kind: str, source: str) -> str:
    stash.append((kind, source))
    return f"\n\n\ue000{len(stash) - 1}\ue001\n\n"


def _prestrip(wikitext: str, stash: list[tuple[str, str]], dropped: Counter) -> str:
    """Cut refs, comments, file links and the templates we drop anyway before mwparserfromhell builds its tree
    (citations and navboxes are most of an article's markup; building their nodes in Python was 3/4 of the time).
    Tables and infoboxes are put aside in ``stash``, a marker paragraph in their place; what is cut is counted."""
    dropped["reference"] += len(_REF.findall(wikitext))
    text = _COMMENT.sub("", _REF.sub("", wikitext))

    def template(start: int, end: int) -> str | None:
        name = _name_at(text, start, _TEMPLATE_NAME)
        if _kept_template(name):
            return None
        if name.startswith("infobox"):
            return _mark(stash, "infobox", text[start:end])
        dropped["template"] += 1
        return ""

    text = _cut(text, _BRACES, "{{", template)
    links = text

    def link(start: int, end: int) -> str | None:
        if not _is_dropped_link(_name_at(links, start, _LINK_TARGET)):
            return None
        dropped["file_or_category_link"] += 1
        return ""

    text = _cut(text, _BRACKETS, "[[", link)
    return _stash_tables(text, stash)


def _name_at(text: str, start: int, pattern: re.Pattern) -> str:
    return pattern.match(text, start).group(1).strip().lower().replace("_", " ")


def _cut(text: str, tokens: re.Pattern, opener: str, replace) -> str:
    """Replace the outermost balanced spans (``{{...}}``, ``[[...]]``) by ``replace(start, end)``; None keeps one."""
    spans: list[tuple[int, int, str]] = []
    stack: list[int] = []
    for m in tokens.finditer(text):
        if m.group() == opener:
            stack.append(m.start())
        elif stack:
            start = stack.pop()
            if not stack:
                new = replace(start, m.end())
                if new is not None:
                    spans.append((start, m.end(), new))
    if not spans:
        return text
    out, pos = [], 0
    for start, end, new in spans:
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _is_dropped_link(target: str) -> bool:
    prefix = target.split(":", 1)[0].strip() if ":" in target and not target.startswith(":") else ""
    return prefix in _FILE_NS


def _stash_tables(text: str, stash: list[tuple[str, str]]) -> str:
    """Put each outermost ``{| ... |}`` wiki table (nested ones inside it) into ``stash``, a marker in its place."""
    if "{|" not in text:
        return text
    out: list[str] = []
    table: list[str] = []
    depth = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("{|"):
            depth += 1
        if depth:
            table.append(line)
            if stripped.startswith("|}"):
                depth -= 1
                if not depth:
                    out.append(_mark(stash, "table", "\n".join(table)))
                    table = []
        else:
            out.append(line)
    if table:  # a table left open at the end of the article
        out.append(_mark(stash, "table", "\n".join(table)))
    return "\n".join(out)


def _kept_template(name: str) -> bool:
    return name == "convert" or name.startswith("lang-") or name in _KEEP_TEMPLATES


def _render(nodes) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(str(node.value))
        elif isinstance(node, Wikilink):
            target = str(node.title).strip()
            prefix = target.split(":", 1)[0].strip().lower() if ":" in target and not target.startswith(":") else ""
            if prefix in _FILE_NS or (prefix and _INTERLANG.match(prefix) and node.text is None):
                continue
            out.append(_render(node.text.nodes) if node.text is not None else target.lstrip(":").split("#")[0])
        elif isinstance(node, ExternalLink):
            if node.title is not None:
                out.append(_render(node.title.nodes))
        elif isinstance(node, Tag):
            tag = str(node.tag).strip().lower()
            if tag in ("br", "hr"):
                out.append("\n")
            elif node.wiki_markup in ("*", "#", ";", ":") and tag in ("li", "dt", "dd"):
                out.append(node.wiki_markup)  # list markup: _paragraph_blocks makes it a list block
            elif tag in ("math", "chem", "ce") and node.contents is not None:
                out.append(str(node.contents).strip())  # formulas stay as their TeX: sentences keep their subject
            elif tag not in _DROP_TAGS and node.wiki_markup != "{|" and node.contents is not None:
                out.append(_render(node.contents.nodes))
        elif isinstance(node, Template):
            out.append(_template(node))
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, (Comment, Argument, Heading)):
            continue
        else:
            out.append(str(node))
    return "".join(out)


def _template(node: Template) -> str:
    """Most templates (infoboxes, citations, navboxes) go; a few inline ones keep their visible text."""
    name = str(node.name).strip().lower().replace("_", " ")
    if name == "convert" and len(node.params) >= 2:
        return f"{_render(node.params[0].value.nodes).strip()} {_render(node.params[1].value.nodes).strip()}"
    if name.startswith("lang-") and node.params:
        return _render(node.params[0].value.nodes)
    if name in _KEEP_TEMPLATES and node.params:
        positional = [p for p in node.params if not p.showkey]
        if positional:
            return _render(positional[_KEEP_TEMPLATES[name] if _KEEP_TEMPLATES[name] < 0 else 0].value.nodes)
    return ""


def _tidy(text: str) -> str:
    text = html.unescape(_HTML_TAG.sub("", text)).replace("'''", "").replace("''", "")
    text = _MAGIC.sub("", text)
    text = _EMPTY_PARENS.sub("", text)
    text = _MULTI_PUNCT.sub(r"\1", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", clean_text(text))


_GALLERY = re.compile(r"<gallery\b.*?(?:</gallery\s*>|$)", re.S | re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z][\w-]*\b[^>]*>")


def _cell_text(wikitext: str) -> str:
    """A table cell or infobox value as plain text (cells often hold half a tag: "</gallery>", "<ol>")."""
    return _ANY_TAG.sub(" ", _tidy(_render(mwparserfromhell.parse(wikitext, skip_style_tags=True).nodes))).strip()


def _stashed_block(marker: re.Match, stash: list[tuple[str, str]], section: list[str], dropped: Counter) -> list[Block]:
    kind, source = stash[int(marker.group(1))]
    gone = len(_GALLERY.findall(source))
    if gone:
        dropped["gallery"] += gone
        source = _GALLERY.sub("", source)
    text = table_text(source.split("\n"), _cell_text) if kind == "table" else infobox_text(source, _cell_text)
    if not text:
        dropped[f"{kind}_without_text"] += 1
        return []
    return [Block(text=text, section=list(section), kind="table")]


def _paragraph_blocks(text: str, section: list[str], stash: list[tuple[str, str]], dropped: Counter) -> list[Block]:
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text):
        marker = _MARK.fullmatch(para.strip())
        if marker:
            blocks.extend(_stashed_block(marker, stash, section, dropped))
            continue
        para = _MARK.sub("", para)
        lines = [ln for ln in para.split("\n") if ln.strip()]
        items = [ln for ln in lines if ln.lstrip()[:1] in ("*", "#", ";", ":")]
        if lines and len(items) == len(lines):
            clean = [_tidy(ln.lstrip().lstrip("*#;:")) for ln in items]
            listed = "\n".join(f"- {c}" for c in clean if c)
            if listed:
                blocks.append(Block(text=listed, section=list(section), kind="list"))
            continue
        para_text = _tidy(" ".join(ln.lstrip("*#;: ") if ln.lstrip()[:1] in "*#;:" else ln for ln in lines))
        if _WORD.search(para_text):
            blocks.append(Block(text=para_text, section=list(section), kind="text"))
    return blocks


def wikitext_blocks(wikitext: str) -> list[Block]:
    """Wikitext of one article -> Blocks; heading blocks carry their own section path, the lead has none."""
    return wikitext_parse(wikitext)[0]


def wikitext_parse(wikitext: str) -> tuple[list[Block], Counter]:
    """Wikitext of one article -> (Blocks, what was left out by kind). Tables become ``table`` blocks of one line
    per row with its headers; an infobox becomes one of "Key: value" statements (wikitables.py)."""
    stash: list[tuple[str, str]] = []
    dropped: Counter = Counter()
    code = mwparserfromhell.parse(_prestrip(wikitext, stash, dropped), skip_style_tags=True)
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []
    skip_below: int | None = None
    for section in code.get_sections(flat=True, include_lead=True):
        headings = section.filter_headings(recursive=False)
        body_nodes = section.nodes
        if headings and section.nodes and section.nodes[0] is headings[0]:
            level, title = headings[0].level, _tidy(_render(headings[0].title.nodes))
            body_nodes = section.nodes[1:]
            if skip_below is not None and level > skip_below:
                continue
            skip_below = None
            if title.lower() in SKIP_SECTIONS:
                skip_below = level
                dropped["reference_section"] += 1
                continue
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title))
            blocks.append(Block(text=title, section=[t for _, t in path], kind="title"))
        elif skip_below is not None:
            continue
        blocks.extend(_paragraph_blocks(_render(body_nodes), [t for _, t in path], stash, dropped))
    blocks, empty = drop_empty_headings(blocks)  # e.g. a section that held only an image
    dropped["empty_heading"] += empty
    return blocks, +dropped


# ---------------------------------------------------------------------------------------------------- dump
def _open(path: Path):
    with path.open("rb") as f:
        magic = f.read(3)
    return bz2.open(path, "rb") if magic == b"BZh" else path.open("rb")


def _bz2_complete(path: Path) -> bool:
    """True when the bzip2 file decompresses to its end-of-stream marker (read through, output discarded)."""
    try:
        with bz2.open(path, "rb") as f:
            while f.read(1 << 20):
                pass
        return True
    except (EOFError, OSError):
        return False


def is_mediawiki_dump(path: Path) -> bool:
    """True when the (possibly bz2-compressed) file starts like a MediaWiki XML export."""
    try:
        with _open(path) as f:
            head = f.read(2048)
    except (OSError, EOFError):
        return False
    return b"<mediawiki" in head


def page_documents(f, src: str, counts: dict[str, int]) -> Iterator[Document]:
    """One Document per article ``<page>`` of the XML stream ``f`` (a whole dump, or a part of one wrapped in a root
    element), cleared page by page. ``counts`` ("seen", "redirect", "namespace", "empty") is updated as pages pass;
    the source is ``f"{src}#{title}"`` however the dump was split, so the ids do not depend on the split."""
    for _, page in etree.iterparse(f, events=("end",), tag="{*}page", huge_tree=True):
        counts["seen"] += 1
        title = page.findtext("{*}title") or ""
        ns = (page.findtext("{*}ns") or "0").strip()
        page_id = page.findtext("{*}id")
        is_redirect = page.find("{*}redirect") is not None
        text = page.findtext("{*}revision/{*}text") or ""
        page.clear()
        while page.getprevious() is not None:
            del page.getparent()[0]
        if ns != "0":
            counts["namespace"] += 1
            continue
        if is_redirect or text.lstrip()[:9].upper() == "#REDIRECT":
            counts["redirect"] += 1
            continue
        blocks, dropped = wikitext_parse(text)
        if not blocks:
            counts["empty"] += 1
            continue
        skipped = {k: v for k, v in counts.items() if k != "seen"}
        tables = sum(1 for b in blocks if b.kind == "table")
        yield Document.make(f"{src}#{title}", title, blocks, format="wikipedia", page_id=page_id,
                            dump_pages_seen=counts["seen"], dump_skipped=skipped, tables=tables,
                            dropped=dict(sorted(dropped.items())))


def read_dump(path: Path) -> Iterator[Document]:
    """Yield one Document per article of a MediaWiki export. Pages are read and cleared one at a time.

    Raises InputError ``truncated_bz2`` (compressed stream ends early), ``corrupt_bz2`` (damaged compressed data),
    ``malformed_xml`` (XML broken), ``binary_junk`` (not XML, not bzip2: e.g. random bytes named ``.xml.bz2``) or
    ``unsupported_format`` (XML that is not a MediaWiki export), always after the Documents read before the break.
    Each Document's metadata has ``page_id`` and ``dump_pages_seen`` / ``dump_skipped`` counters so far
    (redirects and non-article namespaces are skipped, not failed).
    """
    src = str(path)
    counts = {"seen": 0, "redirect": 0, "namespace": 0, "empty": 0}
    with path.open("rb") as f:
        magic = f.read(4096)
    if path.suffix.lower() == ".bz2" and not magic.startswith(b"BZh"):
        reason = "binary_junk" if looks_binary(magic) else "unsupported_format"
        raise InputError(src, reason, "named .bz2 but not bzip2-compressed (no 'BZh' header); check what the file is")
    if not magic.startswith(b"BZh") and looks_binary(magic) and not magic.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(src, "binary_junk", "binary data, not XML; check what the file is")
    try:
        with _open(path) as f:
            head = f.peek(2048)[:2048] if hasattr(f, "peek") else b""
            if head and b"<mediawiki" not in head and b"<page" not in head:
                raise InputError(src, "unsupported_format", "an XML file that is not a MediaWiki export")
            yield from page_documents(f, src, counts)
    except EOFError as e:
        seen = counts["seen"]
        raise InputError(src, "truncated_bz2", f"the compressed dump ends early after {seen} pages ({e}); "
                         "the articles before the break were kept; re-download the dump") from e
    except OSError as e:
        seen = counts["seen"]
        if "invalid data" in str(e).lower():
            raise InputError(src, "corrupt_bz2", f"the bzip2 stream is damaged after {seen} pages ({e}); the articles "
                             "before the damage were kept; re-download the dump") from e
        raise InputError(src, "truncated_bz2" if "bz2" in str(e).lower() else "malformed_xml",
                         f"cannot decompress or read it after {seen} pages ({e})") from e
    except etree.XMLSyntaxError as e:
        seen = counts["seen"]
        if magic.startswith(b"BZh") and not _bz2_complete(path):  # lxml reads a cut stream as cut XML
            raise InputError(src, "truncated_bz2", f"the compressed dump ends early after {seen} pages; the articles "
                             "before the break were kept; re-download the dump") from e
        raise InputError(src, "malformed_xml", f"broken XML after {seen} pages ({e}); "
                         "the articles before the break were kept") from e
    if counts["seen"] == 0:
        raise InputError(src, "unsupported_format", "no <page> elements: not a MediaWiki export")
