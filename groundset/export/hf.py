"""The one module that touches ``datasets`` and ``huggingface_hub``: write splits to disk, push them to the Hub.

Rows arrive as plain dicts with a column spec in the neutral notation of ``groundset.export.schemas``; this module
turns the spec into ``datasets.Features`` so that every format round-trips with the same features:

```
out/                          format = hf              format = parquet                     format = jsonl
  README.md                   card                     card (with configs: data_files)      card
  dataset_dict.json, train/…  save_to_disk layout      data/train-00000-of-00001.parquet    data/train.jsonl
```

The Hub always receives the parquet layout (what the Hub's viewer and ``load_dataset(repo_id)`` read best): a parquet
export folder as written, else a parquet copy of the same tables (the runner stages it): ``create_repo`` (exist_ok),
``list_repo_files``, then one ``create_commit``. The token comes from ``HF_TOKEN``
or the user's saved login (``huggingface_hub`` looks both up itself); groundset never reads, prints or writes it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from groundset.errors import GroundsetError

__all__ = ["to_features", "to_datasets", "dataset_info_yaml", "data_files_yaml", "write_dataset", "push_folder",
           "read_back", "PushError"]


class PushError(GroundsetError):
    """The Hub refused or could not be reached. The message names the likely fix (token, repo id, network)."""


def _feature(spec: str):
    from datasets import List, Value

    if spec == "messages":
        return List({"role": Value("string"), "content": Value("string")})
    if spec.startswith("list<") and spec.endswith(">"):
        return List(_feature(spec[5:-1]))
    return Value(spec)


def to_features(columns: dict[str, str]):
    """``{"question": "string", "contexts": "list<string>"}`` → ``datasets.Features``."""
    from datasets import Features

    return Features({name: _feature(spec) for name, spec in columns.items()})


def _dataset(rows: list[dict[str, Any]], columns: dict[str, str]):
    from datasets import Dataset

    features = to_features(columns)
    data = {name: [row.get(name) for row in rows] for name in columns}
    return Dataset.from_dict(data, features=features)


def to_datasets(splits: dict[str, list[dict[str, Any]]], columns: dict[str, str]) -> dict[str, Any]:
    """Split name → ``datasets.Dataset`` of its rows: built once, written to as many layouts as needed."""
    return {name: _dataset(rows, columns) for name, rows in splits.items()}


def _yaml_type(spec: str) -> dict[str, Any]:
    """The YAML form the Hub's dataset cards use for one column type of our notation."""
    if spec == "messages":
        return {"list": [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}]}
    if spec.startswith("list<") and spec.endswith(">"):
        inner = _yaml_type(spec[5:-1])
        return {"list": inner["dtype"] if list(inner) == ["dtype"] else inner}
    return {"dtype": spec}


def dataset_info_yaml(columns: dict[str, str]) -> dict[str, Any]:
    """The ``dataset_info`` block of the card's YAML header: the features, so that ``load_dataset(dir)`` of a jsonl
    export gets the same types back (JSON alone cannot tell an all-null string column from a null one). Written
    from our column notation, not from a private ``datasets`` helper (tests/export check it reads back as
    ``to_features(columns)``)."""
    return {"features": [{"name": name, **_yaml_type(spec)} for name, spec in columns.items()]}


def data_files_yaml(fmt: str, splits: list[str]) -> list[dict[str, Any]] | None:
    """The ``configs`` block that tells ``load_dataset(dir_or_repo)`` which file is which split (parquet/jsonl)."""
    if fmt == "hf":
        return None
    pattern = "data/{s}-*.parquet" if fmt == "parquet" else "data/{s}.jsonl"
    return [{"config_name": "default", "data_files": [{"split": s, "path": pattern.format(s=s)} for s in splits]}]


@contextmanager
def _no_bars() -> Iterator[None]:
    """The library is quiet: no tqdm bars from ``datasets`` / ``huggingface_hub`` while we write, read or push
    (their previous setting is restored after)."""
    from datasets.utils import logging as ds_logging
    from huggingface_hub import utils as hub_utils

    ds_on, hub_off = ds_logging.is_progress_bar_enabled(), hub_utils.are_progress_bars_disabled()
    ds_logging.disable_progress_bar()
    hub_utils.disable_progress_bars()
    try:
        yield
    finally:
        if ds_on:
            ds_logging.enable_progress_bar()
        if not hub_off:
            hub_utils.enable_progress_bars()


def write_dataset(
    splits: dict[str, list[dict[str, Any]]], columns: dict[str, str], fmt: str, folder: Path, card: str,
    extra_files: dict[str, str] | None = None, *, datasets: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``splits`` (name → rows) in ``fmt`` into the existing, empty ``folder`` with ``card`` as README.md
    (and ``extra_files``, name → text, e.g. LICENSE.md); returns the files written.

    ``datasets``: the splits already built by ``to_datasets`` (so a second layout does not convert them again).
    Putting the folder in place (atomically, never over foreign files) is ``groundset.export.publish``'s job; this
    function only writes.
    """
    with _no_bars():
        return _write(datasets if datasets is not None else to_datasets(splits, columns), fmt, folder, card,
                      extra_files)


def _write(built: dict[str, Any], fmt: str, folder: Path, card: str, extra_files: dict[str, str] | None) -> list[Path]:
    from datasets import DatasetDict

    written: list[Path] = []
    if fmt == "hf":
        DatasetDict(built).save_to_disk(str(folder))
        written.append(folder / "dataset_dict.json")
    elif fmt in ("parquet", "jsonl"):
        (folder / "data").mkdir(exist_ok=True)
        for name, ds in built.items():
            if fmt == "parquet":
                path = folder / "data" / f"{name}-00000-of-00001.parquet"
                ds.to_parquet(str(path))
            else:
                path = folder / "data" / f"{name}.jsonl"
                ds.to_json(str(path), lines=True, force_ascii=False)
            written.append(path)
    else:
        raise GroundsetError(f"unknown export format {fmt!r}: use hf, jsonl or parquet")
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    (folder / "README.md").write_text(card, encoding="utf-8")
    written.append(folder / "README.md")
    return written


def push_folder(folder: Path, repo_id: str, *, private: bool | None = None) -> str:
    """Create the dataset repo (if needed) and commit ``folder``, a parquet layout written by ``write_dataset``
    (its README.md card carrying the parquet ``configs`` block); returns the commit URL. groundset's own bookkeeping
    files (``.groundset-*``, the export manifest) stay local.

    ``private``: None leaves visibility to the Hub (a new repo gets the namespace's default, e.g. an organisation's
    private-by-default); True makes sure the repo is private *before anything is uploaded* — ``create_repo`` ignores
    ``private`` for an existing repo, so an existing public one is switched with ``update_repo_settings`` and read
    back, and the push is refused when it stays public; False asks for a public new repo (an existing private
    repo is not made public: that is a decision for the Hub's settings page).

    One commit adds README.md and ``data/<split>-*.parquet`` and deletes any other ``data/`` file already in the repo,
    so a re-push replaces the splits instead of mixing old and new ones. The endpoint is ``HF_ENDPOINT`` (read now)
    or the public Hub.
    """
    import os

    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)
    local = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and not p.name.startswith(".groundset-"))
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if private:
            _make_private(api, repo_id)
        remote = api.list_repo_files(repo_id, repo_type="dataset")
        stale = [f for f in remote if f.startswith("data/") and f not in local]
        ops = [CommitOperationDelete(path_in_repo=f) for f in stale]
        ops += [CommitOperationAdd(path_in_repo=f, path_or_fileobj=str(folder / f)) for f in local]
        with _no_bars():
            info = api.create_commit(
                repo_id, ops, repo_type="dataset", commit_message="Upload dataset generated with groundset"
            )
    except LocalTokenNotFoundError:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login`, then push again") from None
    except OfflineModeIsEnabled:
        raise PushError("HF_HUB_OFFLINE is set: unset it to push to the Hub") from None
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = {
            401: "the token was refused: check HF_TOKEN / `hf auth login`",
            403: "the token may not write to this namespace: use a write token for it",
            404: "the namespace does not exist or the token cannot see it",
        }.get(status, "see the Hub's message")
        raise PushError(f"push to {repo_id} failed (HTTP {status}): {hint}") from None
    except _transport_errors() as e:  # connection refused, DNS, timeouts
        raise PushError(
            f"push to {repo_id} failed: cannot reach {api.endpoint} ({type(e).__name__}); check the network or "
            "HF_ENDPOINT, then run `groundset export --push-to-hub` again"
        ) from None
    return str(info.commit_url)


def _make_private(api, repo_id: str) -> None:
    """Ensure the existing dataset repo ``repo_id`` is private, or raise PushError (nothing pushed yet)."""
    from huggingface_hub.errors import HfHubHTTPError

    if api.repo_info(repo_id, repo_type="dataset").private:
        return
    try:
        api.update_repo_settings(repo_id, repo_type="dataset", private=True)
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        raise PushError(
            f"{repo_id} exists and is public, and making it private failed (HTTP {status}); nothing was pushed. "
            "Make it private on the Hub (Settings → Change visibility) or with a token allowed to change settings, "
            "or push to a new repo id"
        ) from None
    if not api.repo_info(repo_id, repo_type="dataset").private:
        raise PushError(f"{repo_id} is still public after asking the Hub to make it private; nothing was pushed. "
                        "Make it private on the Hub (Settings → Change visibility), then push again")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level errors of the HTTP client huggingface_hub uses (httpx2 in 2.x, httpx before), and OSError."""
    import importlib

    errors: list[type[BaseException]] = [OSError]
    for name in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def read_back(out: Path, fmt: str):
    """Load what ``write_dataset`` wrote as a ``DatasetDict``, the way a user would (``load_from_disk`` / ``load_dataset(dir)``)."""
    from datasets import load_dataset, load_from_disk

    with _no_bars():
        if fmt == "hf":
            return load_from_disk(str(out))
        return load_dataset(str(out))  # the card's configs + dataset_info say which file is which split, and the types

