"""Export tests read datasets back: point the ``datasets`` cache at the test's own tmp_path.

``datasets`` resolves its cache directory when imported (before the autouse fixture moves HOME), so without this
``load_dataset(dir)`` reuses the Arrow cache of an earlier test or run that wrote to the same path.
"""

import pytest


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    yield
