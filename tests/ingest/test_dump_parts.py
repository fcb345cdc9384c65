"""A dump split into parts gives the Documents (same ids, same order) of one reader; broken parts are reported."""

import bz2

import pytest

from groundset.errors import InputError
from groundset.ingest.dump_parts import dump_parts, multistream_index, read_part
from groundset.ingest.wikipedia import read_dump

HEAD = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">\n  <siteinfo><sitename>W</sitename></siteinfo>\n'


def _page(i, title, text, ns=0):
    return (f"  <page>\n    <title>{title}</title>\n    <ns>{ns}</ns>\n    <id>{i}</id>\n"
            f"    <revision><text>{text}</text></revision>\n  </page>\n")


def _pages():
    pages = [_page(i, f"Article {i}", f"'''Article {i}''' is about topic {i}. A second sentence, &lt;page&gt; quoted.")
             for i in range(1, 8)]
    pages.insert(3, _page(99, "Talk:x", "a talk page", ns=1))
    pages.insert(5, _page(98, "Old", "#REDIRECT [[Article 1]]"))
    return pages


def _ids(docs):
    return [(d.id, d.source) for d in docs]


def test_xml_dump_in_byte_ranges_gives_the_same_documents(tmp_path):
    path = tmp_path / "w.xml"
    path.write_text(HEAD + "".join(_pages()) + "</mediawiki>\n")
    parts = dump_parts(path, part_bytes=300)
    assert len(parts) >= 3
    assert all(p.kind == "xml" for p in parts) and parts[-1].end is None
    assert [p.end for p in parts[:-1]] == [p.start for p in parts[1:]]  # contiguous, no page read twice
    whole = _ids(read_dump(path))
    assert len(whole) == 7
    assert _ids(d for p in parts for d in read_part(p)) == whole


def test_one_part_when_the_range_is_larger_than_the_dump(tmp_path):
    path = tmp_path / "w.xml"
    path.write_text(HEAD + "".join(_pages()) + "</mediawiki>\n")
    parts = dump_parts(path, part_bytes=1 << 30)
    assert len(parts) == 1
    assert _ids(read_part(parts[0])) == _ids(read_dump(path))


def _multistream(tmp_path, pages, index=True):
    streams = [HEAD.encode()] + ["".join(pages[i:i + 2]).encode() for i in range(0, len(pages), 2)]
    streams[-1] += b"</mediawiki>\n"
    comp = [bz2.compress(s) for s in streams]
    offsets, pos = [], 0
    for c in comp:
        offsets.append(pos)
        pos += len(c)
    path = tmp_path / "w-pages-articles-multistream.xml.bz2"
    path.write_bytes(b"".join(comp))
    if index:
        lines = "".join(f"{offsets[k]}:{k}:T{k}\n{offsets[k]}:{k + 100}:U{k}\n" for k in range(1, len(comp)))
        (tmp_path / "w-pages-articles-multistream-index.txt.bz2").write_bytes(bz2.compress(lines.encode()))
    return path


def test_multistream_bz2_is_cut_at_its_index_offsets(tmp_path):
    path = _multistream(tmp_path, _pages())
    assert multistream_index(path) is not None
    parts = dump_parts(path, part_bytes=1)
    assert len(parts) == 5 and {p.kind for p in parts} == {"multistream"}
    whole = _ids(read_dump(path))
    assert len(whole) == 7
    assert _ids(d for p in parts for d in read_part(p)) == whole


def test_bz2_without_index_is_one_part_read_whole(tmp_path):
    path = _multistream(tmp_path, _pages(), index=False)
    parts = dump_parts(path, part_bytes=1)
    assert [p.kind for p in parts] == ["whole"]
    assert _ids(read_part(parts[0])) == _ids(read_dump(path))


def test_broken_xml_in_a_part_is_an_input_error_after_its_good_pages(tmp_path):
    pages = _pages()
    pages[-1] = pages[-1].replace("</title>", "")  # the last page is malformed
    path = tmp_path / "w.xml"
    path.write_text(HEAD + "".join(pages) + "</mediawiki>\n")
    last = dump_parts(path, part_bytes=300)[-1]
    with pytest.raises(InputError) as err:
        list(read_part(last))
    assert err.value.reason == "malformed_xml" and "bytes" in err.value.detail


def test_truncated_stream_in_a_multistream_part_is_reported(tmp_path):
    path = _multistream(tmp_path, _pages())
    data = path.read_bytes()
    path.write_bytes(data[:-20])  # the last stream loses its end
    last = dump_parts(path, part_bytes=1)[-1]
    with pytest.raises(InputError) as err:
        list(read_part(last))
    assert err.value.reason == "corrupt_bz2"
