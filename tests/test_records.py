from groundset.records import Block, Chunk, Document, Sample, Turn


def test_document_id_is_content_hash():
    a = Document.make("a.txt", "A", [Block(text="one"), Block(text="two")])
    b = Document.make("a.txt", "A", [Block(text="one"), Block(text="two")])
    c = Document.make("a.txt", "A", [Block(text="one"), Block(text="three")])
    assert a.id == b.id != c.id
    assert a.text == "one\n\ntwo"


def test_chunk_id_is_uuid_and_stable():
    import uuid

    cid = Chunk.make_id("a.txt", "some text")
    assert str(uuid.UUID(cid)) == cid
    assert cid == Chunk.make_id("a.txt", "some text") != Chunk.make_id("b.txt", "some text")


def test_sample_roundtrip_and_claims():
    s = Sample(
        id=Sample.make_id("conversation", ["c2", "c1"], {"t": 0.7}, 0),
        task="conversation",
        turns=[Turn(role="user", content="Hi?"), Turn(role="assistant", content="Hello.", chunk_ids=["c1"])],
    )
    assert Sample.make_id("conversation", ["c1", "c2"], {"t": 0.7}, 0) == s.id  # order of seeds does not matter
    again = Sample.model_validate_json(s.model_dump_json())
    assert again == s
    assert again.claims_text() == ["Hello."]
    assert Sample(id="x", task="qa", question="q", answer="a").claims_text() == ["a"]
