"""The kill series patches this process (a slowed embedder and fake); nothing of it may outlive the test."""


def test_the_harness_stand_ins_are_undone(tmp_path):
    import groundset.embed
    import groundset.llm.fake_replies as replies
    from tests.reliability import harness

    before = (groundset.embed.load_embedder, replies.grounded_reply)
    harness.Harness(tmp_path).setup()
    assert groundset.embed.load_embedder is not before[0] and replies.grounded_reply is not before[1]
    harness.restore()
    assert (groundset.embed.load_embedder, replies.grounded_reply) == before
