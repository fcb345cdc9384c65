"""MediaWiki XML exports: article selection, wikitext cleaning, streaming, broken dumps."""

from __future__ import annotations

import bz2
from pathlib import Path

import pytest

from groundset.errors import InputError
from groundset.ingest.config import IngestConfig
from groundset.ingest.readers import discover, read_path
from groundset.ingest.wikipedia import read_dump, wikitext_blocks

NS = "http://www.mediawiki.org/xml/export-0.10/"

ARTICLE = """{{Infobox language
| name = Python
| paradigm = [[Multi-paradigm programming language|Multi-paradigm]]
}}
'''Python''' is a [[high-level programming language|high-level]], general-purpose programming language.<ref name="faq">{{cite web |url=https://docs.python.org |title=FAQ}}</ref> It was created by [[Guido van Rossum]] in {{nowrap|1991}}.<ref>Some book, p. 12.</ref>
[[File:Python logo.svg|thumb|The Python logo, with a [[snake]]]]

== History ==
Python was conceived in the late 1980s.<!-- hidden editor note --> Its speed was about {{convert|5|km}} per year.
{| class="wikitable"
! Version !! Year
|-
| 2.0 || 2000
|}

=== Python 3 ===
Python 3.0 was released in 2008.

* It removed old features.
* It changed <code>print</code> into a function.

== References ==
{{Reflist}}
* Smith, J. ''Snakes''. 2001.

== External links ==
* [https://www.python.org Official website]

[[Category:Programming languages]]
[[de:Python (Programmiersprache)]]
"""


def page(title: str, text: str, ns: int = 0, redirect: str | None = None, page_id: int = 1) -> str:
    red = f'<redirect title="{redirect}" />' if redirect else ""
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f"<page><title>{title}</title><ns>{ns}</ns><id>{page_id}</id>{red}<revision><id>9</id>"
            f'<text xml:space="preserve">{esc}</text></revision></page>')


def dump(*pages: str) -> str:
    return (f'<mediawiki xmlns="{NS}" version="0.10" xml:lang="en"><siteinfo><sitename>Wikipedia</sitename>'
            f"</siteinfo>{''.join(pages)}</mediawiki>")


SMALL = dump(
    page("Python (programming language)", ARTICLE, page_id=1),
    page("Pyhton", "#REDIRECT [[Python (programming language)]]", redirect="Python (programming language)", page_id=2),
    page("Talk:Python", "Discussion about the article.", ns=1, page_id=3),
    page("Monty Python", "'''Monty Python''' were a British comedy group.\n\n== Films ==\nThey made films.", page_id=4),
)


def test_articles_only_with_clean_text_and_sections(tmp_path):
    path = tmp_path / "wiki.xml"
    path.write_text(SMALL, encoding="utf-8")
    docs = list(read_path(path, IngestConfig()))
    assert [d.title for d in docs] == ["Python (programming language)", "Monty Python"]
    assert docs[0].source == f"{path}#Python (programming language)"
    assert docs[0].metadata["page_id"] == "1" and docs[1].metadata["dump_skipped"] == {
        "redirect": 1, "namespace": 1, "empty": 0}
    doc = docs[0]
    assert [(b.kind, b.section, b.text) for b in doc.blocks] == [
        ("table", [], "Name: Python\nParadigm: Multi-paradigm"),  # the infobox as statements
        ("text", [], "Python is a high-level, general-purpose programming language. "
                     "It was created by Guido van Rossum in 1991."),
        ("title", ["History"], "History"),
        ("text", ["History"], "Python was conceived in the late 1980s. Its speed was about 5 km per year."),
        ("table", ["History"], "Version: 2.0; Year: 2000"),  # a row with its column headers
        ("title", ["History", "Python 3"], "Python 3"),
        ("text", ["History", "Python 3"], "Python 3.0 was released in 2008."),
        ("list", ["History", "Python 3"], "- It removed old features.\n- It changed print into a function."),
    ]
    for junk in ("Infobox", "cite", "logo", "snake", "wikitable", "hidden", "Smith", "Official website",
                 "Category", "Programmiersprache", "References"):
        assert junk not in doc.text, junk
    assert doc.metadata["tables"] == 2
    assert doc.metadata["dropped"] == {"file_or_category_link": 2, "reference": 2, "reference_section": 2,
                                       "template": 1}  # what was left out, by kind (the report's "cleaned")


def test_bz2_dump_any_suffix_is_found_and_read(tmp_path):
    path = tmp_path / "enwiki-pages-articles1.xml-p1p30-shortened.bz2"
    path.write_bytes(bz2.compress(SMALL.encode("utf-8")))
    files, errors = discover([tmp_path])
    assert files == [path] and errors == []
    assert [d.title for d in read_path(path, IngestConfig())] == ["Python (programming language)", "Monty Python"]


def test_truncated_bz2_keeps_the_pages_read_before_the_break(tmp_path):
    pages = [page(f"Article {i}", f"Article number {i} is about topic {i}. " * 40, page_id=i) for i in range(300)]
    data = bz2.compress(dump(*pages).encode("utf-8"), compresslevel=1)  # 100 kB blocks: several in this dump
    path = tmp_path / "cut.xml.bz2"
    path.write_bytes(data[: len(data) // 2])
    got = []
    with pytest.raises(InputError) as e:
        for doc in read_path(path, IngestConfig()):
            got.append(doc.title)
    assert e.value.reason == "truncated_bz2" and e.value.source == str(path)
    assert 10 < len(got) < 300 and got == [f"Article {i}" for i in range(len(got))]


def test_malformed_xml_after_good_pages(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(dump(page("Good", "A good article about things.")).replace("</mediawiki>", "")
                    + "<page><title>Bad</title><ns>0</ns><revision><text>unclosed & broken</revision></page>")
    got = []
    with pytest.raises(InputError) as e:
        for doc in read_path(path, IngestConfig()):
            got.append(doc.title)
    assert e.value.reason == "malformed_xml" and got == ["Good"]


def test_xml_that_is_not_a_mediawiki_export(tmp_path):
    path = tmp_path / "sitemap.xml"
    path.write_text('<?xml version="1.0"?><urlset><url><loc>https://example.org/</loc></url></urlset>')
    with pytest.raises(InputError) as e:
        list(read_path(path, IngestConfig()))
    assert e.value.reason == "unsupported_format"


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_streaming_memory_does_not_grow_with_the_dump(tmp_path):
    """~25 MB of XML (talk pages, skipped cheaply, between articles) is read without the process growing:
    each <page> element is cleared once consumed, so lxml never holds the whole tree."""
    talk = "Talk talk talk, a long discussion. " * 350
    path = tmp_path / "big.xml"
    with path.open("w", encoding="utf-8") as f:
        f.write(f'<mediawiki xmlns="{NS}" version="0.10">')
        for i in range(2000):
            f.write(page(f"Talk:Page {i}", talk, ns=1, page_id=i))
            if i % 200 == 0:
                f.write(page(f"Article {i}", "A short article about streaming.", page_id=10_000 + i))
        f.write("</mediawiki>")
    rss = []
    for doc in read_dump(path):
        rss.append(_rss())
    assert len(rss) == 10 and doc.metadata["dump_skipped"]["namespace"] == 1801
    assert rss[-1] - rss[1] < 10_000_000  # holding the tree would take more than 25 MB


def test_wikitext_inline_templates_and_interlanguage_links():
    blocks = wikitext_blocks("Rome is in {{lang-it|Italia}}, about {{convert|1285|km}} from [[:de:Berlin|Berlin]]. "
                             "[[fr:Rome]] It has <math>x^2</math> and &nbsp;entities &amp; more.")
    assert [b.text for b in blocks] == ["Rome is in Italia, about 1285 km from Berlin. It has x^2 and entities & more."]
