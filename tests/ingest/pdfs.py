"""PDFs made in the test whose text layer carries ligature glyphs, as LaTeX-made manuals do (issue 17: one unseen
manual kept 696 "ﬁ/ﬂ"). Also used by ``benchmarks/fidelity.py`` for its ligature row.

The font is the standard Times-Roman with an encoding whose ``/Differences`` put the glyphs ``/fi``, ``/fl``,
``/ffi``, ``/ffl`` and ``/ff`` at codes 129-133, with no ``/ToUnicode`` map: a text extractor reads them by glyph
name, as U+FB01, U+FB02, U+FB03, U+FB04 and U+FB00.
"""

from __future__ import annotations

LIGATURES = {"ﬁ": 129, "ﬂ": 130, "ﬃ": 131, "ﬄ": 132, "ﬀ": 133}

# a manual's page: (x, y from the bottom, font size, text); the hyphenated "transmogri- ﬁcation" runs over a line end
MANUAL = [
    (72, 720, 18, "Conﬁguration of the Workﬂow Engine"),
    (72, 690, 10, "The conﬁguration ﬁle is speciﬁed in the ﬁrst section of this manual, and every ﬁeld of it"),
    (72, 676, 10, "is checked when the engine starts. An eﬃcient workﬂow keeps the oﬀset of each job in the ﬁle"),
    (72, 662, 10, "so that a restart can ﬁnd it again; the ﬂags of a job say whether it may be retried or"),
    (72, 648, 10, "must be ﬁnished by hand. The ﬁnal step, the transmogri-"),
    (72, 634, 10, "ﬁcation of the output, is described in the next section, with the baﬄing cases ﬁrst."),
    (72, 600, 14, "2 Deﬁning a Flow"),
    (72, 576, 10, "A ﬂow is deﬁned by a list of steps; each step names the ﬁlter it applies and the ﬁles it"),
    (72, 562, 10, "reads. Steps that share a ﬁle are run one after the other, never at the same time, which"),
    (72, 548, 10, "keeps the ﬁnal output identical from one run to the next, however many workers there are."),
]


def _pdf_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in LIGATURES:
            out.append("\\%03o" % LIGATURES[ch])
        elif ch in "\\()":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def ligature_pdf(lines: list[tuple[float, float, float, str]] = MANUAL, title: str = "") -> bytes:
    """A one-page PDF 1.4 of ``lines`` ``(x, y_from_bottom, size, text)`` whose ligatures are glyphs of the font."""
    content = "".join(f"BT /F1 {s} Tf {x} {y} Td ({_pdf_string(t)}) Tj ET\n" for x, y, s, t in lines).encode("cp1252")
    differences = " ".join(f"{code} /{name}" for code, name in zip(LIGATURES.values(), ["fi", "fl", "ffi", "ffl", "ff"]))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            f"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Type /Encoding "
            f"/BaseEncoding /WinAnsiEncoding /Differences [{differences}] >> >>".encode(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            f"<< /Title ({title}) >>".encode()]
    return serialise(objs, info=True)


def serialise(objs: list[bytes], info: bool = False) -> bytes:
    """A PDF file of ``objs`` (object 1 the catalog; with ``info``, the last object is the document info)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"/Size %d /Root 1 0 R" % (len(objs) + 1) + (b" /Info %d 0 R" % len(objs) if info else b"")
    out += b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
