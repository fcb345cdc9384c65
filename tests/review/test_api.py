"""Every public name of the review package exists, and the page ships inside the package."""

import importlib
from importlib import resources

import pytest

MODULES = ["apply", "calibrate", "items", "journal", "sampling", "server", "session", "stats"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_honest(name):
    module = importlib.import_module(f"groundset.review.{name}")
    assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
    assert module.__doc__


def test_the_page_is_package_data_and_fetches_nothing_from_the_network():
    page = resources.files("groundset.review").joinpath("page.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    for tag in ("<link", "<img", "<script src", "@import", "url("):
        assert tag not in page
