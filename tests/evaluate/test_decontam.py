import json

import pytest

from groundset.errors import InputError
from groundset.evaluate.decontam import Decontaminator, read_strings

QUESTION = "Which planet in our solar system is known as the red planet"
PASSAGE = ("Mars is the fourth planet from the Sun and the second smallest planet in the Solar System, "
           "being larger than only Mercury.")


def test_thirteen_gram_overlap_and_whole_short_strings(tmp_path):
    d = Decontaminator.from_strings({"bench": [QUESTION, PASSAGE, "Yes"]})
    assert d.check(["In fact, Mars is the fourth planet from the sun and the second smallest planet there."])[0] == "bench"
    assert d.check([f"Quiz: {QUESTION.upper()}?"]) == ("bench", QUESTION.lower())
    assert d.check(["Mars is the fourth planet.", "Yes"]) is None  # too short to count


@pytest.mark.parametrize("fmt", ["jsonl", "json", "txt", "csv", "parquet", "arrow_dir"])
def test_benchmark_formats(tmp_path, fmt):
    rows = [{"question": QUESTION, "choices": ["Mars", "Venus"], "meta": {"passage": PASSAGE}}]
    if fmt == "jsonl":
        path = tmp_path / "b.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows))
    elif fmt == "json":
        path = tmp_path / "b.json"
        path.write_text(json.dumps({"data": rows}))
    elif fmt == "txt":
        path = tmp_path / "b.txt"
        path.write_text(f"{QUESTION}\n\n{PASSAGE}\n")
    elif fmt == "csv":
        path = tmp_path / "b.csv"
        path.write_text(f'question,passage\n"{QUESTION}","{PASSAGE}"\n')
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([{"question": QUESTION, "passage": PASSAGE}])
        if fmt == "parquet":
            path = tmp_path / "b.parquet"
            pq.write_table(table, path)
        else:  # the layout datasets.save_to_disk writes: arrow stream files plus json metadata
            path = tmp_path / "saved"
            path.mkdir()
            with pa.OSFile(str(path / "data-00000-of-00001.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
                w.write_table(table)
            (path / "dataset_info.json").write_text("{}")
    strings = list(read_strings(path))
    assert QUESTION in [s.strip() for s in strings] and PASSAGE in [s.strip() for s in strings]
    d = Decontaminator.from_paths([str(path)])
    assert d.check([QUESTION + "?"]) is not None


def test_missing_benchmark_names_the_key(tmp_path):
    with pytest.raises(InputError, match="decontaminate"):
        list(read_strings(tmp_path / "nope.jsonl"))
