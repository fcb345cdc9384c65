from groundset.export.splits import document_groups, split_by_document


def test_groups_join_documents_linked_by_a_sample():
    groups = document_groups([["a"], ["b"], ["a", "c"], ["c"], ["d"], []])
    assert sorted(map(sorted, groups)) == [[0, 2, 3], [1], [4], [5]]


def test_no_document_feeds_two_splits_and_seed_is_stable():
    rows = [[f"d{i % 17}"] for i in range(200)] + [["d1", "d2"], ["d3", "d16"]]
    ratios = {"train": 0.8, "validation": 0.1, "test": 0.1}
    a = split_by_document(rows, ratios, seed=7)
    assert a == split_by_document(rows, ratios, seed=7)
    assert sorted(i for idx in a.values() for i in idx) == list(range(len(rows)))
    docs = {name: {d for i in idx for d in rows[i]} for name, idx in a.items()}
    assert not docs["train"] & docs["test"] and not docs["train"] & docs["validation"]
    assert not docs["validation"] & docs["test"]
    assert all(a.values())
    assert len(a["train"]) > len(a["test"])
    assert split_by_document(rows, ratios, seed=8) != a


def test_small_corpus_still_gets_a_test_split():
    rows = [["a"]] * 5 + [["b"]] * 5 + [["c"]]
    a = split_by_document(rows, {"train": 0.9, "test": 0.1}, seed=0)
    assert a["test"] and a["train"]


def test_single_document_goes_to_train_only():
    a = split_by_document([["a"], ["a"]], {"train": 0.5, "test": 0.5}, seed=3)
    assert a == {"train": [0, 1], "test": []}


def test_shares_hold_to_within_one_document_with_ten_or_more_documents():
    import random

    rng = random.Random(0)
    for seed in range(20):
        n_docs = rng.randint(10, 40)
        rows = [[f"d{d}"] for d in range(n_docs) for _ in range(rng.randint(1, 8))]
        biggest = max(sum(1 for r in rows if r == [f"d{d}"]) for d in range(n_docs))
        for ratios in ({"train": 0.9, "test": 0.1}, {"train": 0.8, "validation": 0.1, "test": 0.1}):
            a = split_by_document(rows, ratios, seed=seed)
            for name, idx in a.items():
                assert abs(len(idx) - ratios[name] * len(rows)) <= biggest, (seed, name, len(idx), len(rows))

