"""Old flat keys of a section, still read: ``[llm] local_threads = 4`` is ``[llm.local] threads = 4``.

A section model calls ``move_flat_keys`` in a ``mode="before"`` validator, so every way of building it (a TOML file,
``--set llm.local_threads=4``, ``LLMConfig(local_threads=4)``) behaves as before. Each old key used gives a
``DeprecationWarning`` naming the new one; the library stays quiet (Python hides those by default) and the CLI
prints them once (``groundset.cli.AppContext.config``).

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     move_flat_keys({"local_threads": 4}, "llm", {"local_threads": ("local", "threads")})
{'local': {'threads': 4}}
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["move_flat_keys"]


def move_flat_keys(data: Any, table: str, moved: dict[str, tuple[str, str]]) -> Any:
    """``data`` with each old key of ``moved`` ({old: (sub_table, new)}) put in its sub-table; raises ValueError
    when the old and the new key are both set (which one was meant is not ours to guess)."""
    if not isinstance(data, dict) or not any(k in data for k in moved):
        return data
    data = dict(data)
    for old, (sub, new) in moved.items():
        if old not in data:
            continue
        value = data.pop(old)
        target = data.get(sub)
        target = dict(target) if isinstance(target, dict) else {}
        if new in target:
            raise ValueError(f"{old} and [{table}.{sub}] {new} are both set: keep [{table}.{sub}] {new} only")
        target[new] = value
        data[sub] = target
        warnings.warn(f"[{table}] {old} is now [{table}.{sub}] {new} (the old key still works; `groundset init` "
                      "writes the new layout)", DeprecationWarning, stacklevel=2)
    return data
