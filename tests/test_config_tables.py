"""Backend- and judge-specific keys live in sub-tables ([llm.local], [llm.vllm], [evaluate.nli], [evaluate.default],
[evaluate.ragas]); the old flat keys
still load to the same config, with a deprecation note that the CLI prints once."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.commands.init import render_config_template
from groundset.config import load_config
from groundset.errors import ConfigError

OLD = """
[llm]
spec = "local"
batch_size = 4
local_threads = 2
local_constrained = false
tensor_parallel_size = 2
max_model_len = 4096
gpu_memory_utilization = 0.8
[evaluate]
nli_model = "/models/mnli"
nli_label = "entailment"
nli_device = "cuda"
nli_batch_size = 4
nli_max_length = 256
nli_trust_remote_code = true
lexical_sure = 0.7
semantic_candidates = 4
ragas_model = "gpt-4o-mini"
"""

NEW = """
[llm]
spec = "local"
[llm.local]
batch_size = 4
threads = 2
constrained = false
[llm.vllm]
tensor_parallel_size = 2
max_model_len = 4096
gpu_memory_utilization = 0.8
[evaluate.nli]
model = "/models/mnli"
label = "entailment"
device = "cuda"
batch_size = 4
max_length = 256
trust_remote_code = true
[evaluate.default]
lexical_sure = 0.7
semantic_candidates = 4
[evaluate.ragas]
model = "gpt-4o-mini"
"""


def test_old_flat_keys_load_as_the_sub_tables(tmp_path):
    (tmp_path / "old.toml").write_text(OLD)
    (tmp_path / "new.toml").write_text(NEW)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = load_config(tmp_path / "old.toml")
    new = load_config(tmp_path / "new.toml")
    assert old == new
    assert old.llm.local.batch_size == 4 and old.llm.vllm.max_model_len == 4096 and old.evaluate.nli.model == "/models/mnli"
    notes = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(notes) == 15 and "[llm] local_threads is now [llm.local] threads" in notes[1]
    assert old.fingerprint("llm", "evaluate") == new.fingerprint("llm", "evaluate")  # same config, same stages


def test_old_keys_work_as_overrides_and_keyword_arguments():
    from groundset.llm.config import LLMConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cfg = load_config(None, {"llm.local_threads": "3", "evaluate.nli_model": "m"})
        assert LLMConfig(batch_size=5).local.batch_size == 5
    assert cfg.llm.local.threads == 3 and cfg.evaluate.nli.model == "m"
    assert load_config(None, {"llm.local.threads": "3"}).llm.local.threads == 3


def test_old_and_new_key_together_is_an_error(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text("[llm]\nbatch_size = 4\n[llm.local]\nbatch_size = 8\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ConfigError, match=r"batch_size and \[llm.local\] batch_size are both set"):
            load_config(p)


def test_the_library_is_quiet_about_old_keys_and_the_cli_names_each_once(tmp_path, capfd):
    p = tmp_path / "g.toml"
    p.write_text("[llm]\nlocal_threads = 2\n")
    load_config(p)
    assert capfd.readouterr() == ("", "")  # a DeprecationWarning: hidden unless the caller asks for it
    result = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "w"), "--config", str(p), "status"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("note: [llm] local_threads is now [llm.local] threads") == 1


def test_init_writes_the_sub_tables_not_the_flat_keys():
    import tomllib

    text = render_config_template()
    for table in ("[llm.local]", "[llm.vllm]", "[evaluate.default]", "[evaluate.nli]", "[evaluate.ragas]",
                  "[evaluate.verifier]", "[evaluate.llm]"):
        assert table in text
    data = tomllib.loads(text)
    assert data["llm"]["local"]["batch_size"] == 8 and data["llm"]["vllm"]["tensor_parallel_size"] == 1
    assert not {"batch_size", "tensor_parallel_size", "gpu_memory_utilization"} & set(data["llm"])
    assert "local_threads" not in text and "nli_model" not in text and "nli_" not in "".join(data["evaluate"])
    assert not {"lexical_sure", "ragas_model", "semantic_low"} & set(data["evaluate"])
