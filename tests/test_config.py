import pytest

from groundset.config import Config, load_config
from groundset.errors import ConfigError


def test_defaults_without_file():
    cfg = load_config(None)
    assert cfg.ingest.chunk_tokens == 200
    assert cfg.store.collection == "groundset"
    assert cfg.llm.spec == "local"


def test_file_then_overrides_win(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text('[ingest]\nchunk_tokens = 120\n[store]\ncollection = "docs"\n')
    cfg = load_config(p, {"store.collection": "other", "ingest.chunk_overlap": "10", "llm.spec": None})
    assert cfg.ingest.chunk_tokens == 120
    assert cfg.ingest.chunk_overlap == 10
    assert cfg.store.collection == "other"


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text("[ingest]\nchunk_tokenz = 120\n")
    with pytest.raises(ConfigError, match=r"\[ingest\] chunk_tokenz: unknown key"):
        load_config(p)


def test_bad_value_is_named():
    with pytest.raises(ConfigError, match=r"\[ingest\] chunk_tokens"):
        load_config(None, {"ingest.chunk_tokens": "-5"})


def test_cross_field_validation():
    with pytest.raises(ConfigError, match="chunk_overlap"):
        load_config(None, {"ingest.chunk_tokens": "50", "ingest.chunk_overlap": "60"})


def test_unknown_section_in_override():
    with pytest.raises(ConfigError, match=r"unknown section \[ingets\]"):
        load_config(None, {"ingets.chunk_tokens": "5"})


def test_invalid_toml_and_missing_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[ingest\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)
    with pytest.raises(ConfigError, match="groundset init"):
        load_config(tmp_path / "missing.toml")


def test_llm_spec_validated():
    with pytest.raises(ConfigError, match=r"\[llm\] spec"):
        load_config(None, {"llm.spec": "ollama:llama3"})
    with pytest.raises(ConfigError, match="needs a model name"):
        load_config(None, {"llm.spec": "openai"})


def test_fingerprint_changes_with_section():
    a = load_config(None)
    b = load_config(None, {"ingest.chunk_tokens": "150"})
    assert a.fingerprint("ingest") != b.fingerprint("ingest")
    assert a.fingerprint("llm") == b.fingerprint("llm")
    assert isinstance(a, Config)
