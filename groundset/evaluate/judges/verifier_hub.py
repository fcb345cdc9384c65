"""Where a verifier model's files are: a local folder, or a Hub id already in the Hugging Face cache (no download).

>>> locate("/models/MiniCheck-RoBERTa-Large")          # doctest: +SKIP
PosixPath('/models/MiniCheck-RoBERTa-Large')
>>> locate("lytang/MiniCheck-RoBERTa-Large")           # doctest: +SKIP
BackendError: verifier model 'lytang/MiniCheck-RoBERTa-Large' is not in the Hugging Face cache (...); fetch it once
with `hf download lytang/MiniCheck-RoBERTa-Large` (or `huggingface-cli download ...`), or give a local folder

A Hub id goes through ``huggingface_hub.snapshot_download(local_files_only=True)``: the same files a download puts
there, read without any network call, so a missing model fails at once instead of hanging. The cache folder is read
from the environment when asked (``HF_HUB_CACHE``, ``HF_HOME``, ``XDG_CACHE_HOME``), not when huggingface_hub was
imported. ``KNOWN`` is what we know of the published models: how each reads its input and its documented length.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from groundset.errors import BackendError

__all__ = ["Known", "KNOWN", "PREFERRED", "hub_cache_dir", "locate", "cached", "known"]


@dataclass(frozen=True)
class Known:
    """A published fact-checking model: its input format (``kind``) and maximum input tokens, per its authors."""

    kind: str
    max_length: int | None = None
    licence: str = ""


KNOWN: dict[str, Known] = {
    "vectara/hallucination_evaluation_model": Known("hhem", 512, "Apache-2.0"),  # HHEM-2.1-open, flan-t5-base
    "lytang/MiniCheck-Flan-T5-Large": Known("minicheck-t5", 2048, "MIT"),
    "lytang/MiniCheck-DeBERTa-v3-Large": Known("minicheck", 2048, "MIT"),
    "lytang/MiniCheck-RoBERTa-Large": Known("minicheck", 512, "MIT"),
    "KRLabsOrg/lettucedect-large-modernbert-en-v1": Known("token", 4096, "MIT"),
    "KRLabsOrg/lettucedect-base-modernbert-en-v1": Known("token", 4096, "MIT"),
}
# judge = "auto" takes the first of these found in the cache (LLM-AggreFact / RAGTruth figures of their authors)
PREFERRED = list(KNOWN)


def known(model: str) -> Known | None:
    """What ``KNOWN`` says of a Hub id or of a local folder named like one (``.../MiniCheck-RoBERTa-Large``)."""
    if model in KNOWN:
        return KNOWN[model]
    base = Path(model).name.lower()
    for repo, k in KNOWN.items():
        if repo.split("/")[1].lower() == base:
            return k
    return None


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, as the environment says now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "huggingface" / "hub"


def _looks_like_repo_id(model: str) -> bool:
    parts = model.split("/")
    return 1 <= len(parts) <= 2 and all(parts) and not model.startswith((".", "~", "/"))


def fetch_command(model: str) -> str:
    return f"`hf download {model}` (or `huggingface-cli download {model}`)"


def locate(model: str, what: str = "verifier model") -> Path:
    """The folder holding ``model``'s files, or BackendError naming the model and the command that fetches it."""
    p = Path(model).expanduser()
    if p.is_dir():
        return p
    if not _looks_like_repo_id(model):
        raise BackendError(f"{what} {model!r}: no such folder; give a local model folder or a Hugging Face Hub id")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - a dependency of transformers
        raise BackendError(f"{what} {model!r}: huggingface_hub is not installed; pip install huggingface_hub") from None
    cache = hub_cache_dir()
    try:
        return Path(snapshot_download(repo_id=model, cache_dir=str(cache), local_files_only=True))
    except Exception as e:  # noqa: BLE001 - LocalEntryNotFoundError, bad ids (HFValidationError), OSError
        raise BackendError(
            f"{what} {model!r} is not in the Hugging Face cache ({cache}) and groundset downloads nothing at run time "
            f"({type(e).__name__}); fetch it once with {fetch_command(model)} on a machine with network, or give a "
            "local folder, e.g. [evaluate.verifier] model = '/models/NAME'"
        ) from None


def cached(model: str) -> bool:
    """Whether ``model`` (a Hub id) has a snapshot with a config in the local cache. Never touches the network."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return False
    try:
        hit = try_to_load_from_cache(model, "config.json", cache_dir=str(hub_cache_dir()))
    except Exception:  # noqa: BLE001 - an invalid id is simply not cached
        return False
    return isinstance(hit, str)
