"""Every reliability test leaves the process as it found it: the kill series' stand-ins are undone after each."""

import pytest


@pytest.fixture(autouse=True)
def _restore_the_real_embedder_and_fake():
    yield
    from tests.reliability.harness import restore

    restore()
