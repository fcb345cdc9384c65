"""The ``groundset`` command line. Thin: commands parse flags, build config objects and call the library.

Each command lives in ``groundset/commands/<name>.py`` as a click command named ``command`` and is imported only
when used, so ``groundset --help`` does not load torch. Library errors (``GroundsetError``) become a one-line
message and exit status 1; click's usage errors exit 2; a partial run (some inputs failed) exits 3.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from groundset.engines.config import ENGINES
from groundset.errors import GroundsetError

__all__ = ["main", "cli", "AppContext", "EXIT_PARTIAL", "pass_app", "RegistryChoice"]

EXIT_PARTIAL = 3

# command name -> (module, short help shown in `groundset --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("groundset.commands.init", "Write a commented groundset.toml with every key and its default."),
    "ingest": ("groundset.commands.ingest", "Partition, chunk, embed and store documents in Qdrant."),
    "generate": ("groundset.commands.generate", "Generate grounded samples (qa, multihop, conversation, …)."),
    "evaluate": ("groundset.commands.evaluate", "Score grounding, deduplicate, decontaminate: keep or reject."),
    "export": ("groundset.commands.export", "Export kept samples as a Hugging Face dataset (and push it)."),
    "report": ("groundset.commands.report", "Write the HTML report of the run."),
    "run": ("groundset.commands.run", "Run ingest → generate → evaluate → export, resuming where it stopped."),
    "status": ("groundset.commands.status", "Show what the workdir holds."),
    "review": ("groundset.commands.review", "Review samples in the browser: accept, reject or edit them."),
}


class RegistryChoice(click.Choice):
    """A click choice of the names in a registry, read when click needs them (help, parsing), not at import.

    >>> RegistryChoice("groundset.registry:TASKS").choices[:2]
    ('qa', 'multihop')
    """

    def __init__(self, registry: str):
        self._registry = registry
        super().__init__((), case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:
        module, _, name = self._registry.partition(":")
        return tuple(getattr(importlib.import_module(module), name).names())

    @choices.setter
    def choices(self, value) -> None:  # click.Choice.__init__ assigns it
        pass


def _quiet_third_parties() -> None:
    """Telemetry off and no hub lookups for model files we load by local path."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass
class AppContext:
    """What the group options give every command: the workdir, the config file and ``--set`` overrides."""

    workdir: Path
    config_path: Path | None
    overrides: dict[str, Any] = field(default_factory=dict)
    _noted: set[str] = field(default_factory=set)

    def config(self, **flags: Any):
        """Load and validate the config, with ``flags`` as ``{"section.key": value}`` overrides (None = not given).

        Named flags win over ``--set``, which wins over the file. An old key (``groundset.config_compat``) is read as
        its new one and named once on stderr.
        """
        import warnings

        from groundset.config import load_config

        merged = dict(self.overrides)
        merged.update({k.replace("__", "."): v for k, v in flags.items() if v is not None})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            config = load_config(self.config_path, merged)
        for w in caught:
            note = str(w.message)
            if not issubclass(w.category, DeprecationWarning):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            elif note not in self._noted:
                self._noted.add(note)
                click.echo(f"note: {note}", err=True)
        return config

    def workspace(self):
        from groundset.workdir import Workdir

        return Workdir(self.workdir).ensure()


pass_app = click.make_pass_decorator(AppContext)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GroundsetError as e:
            raise click.ClickException(str(e)) from None


def _parse_sets(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise click.BadParameter(f"{item!r}: use SECTION.KEY=VALUE, e.g. --set ingest.chunk_tokens=200")
        out[key.strip()] = value.strip()
    return out


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workdir",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    default="groundset-work",
    show_default=True,
    envvar="GROUNDSET_WORKDIR",
    help="Directory holding all state of a run.",
)
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="GROUNDSET_CONFIG",
    help="TOML config file [default: ./groundset.toml when it exists].",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    callback=_parse_sets,
    metavar="SECTION.KEY=VALUE",
    help="Override any config key, e.g. --set ingest.chunk_tokens=200 (repeatable).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    envvar="GROUNDSET_ENGINE",
    help="Where the stages run: local (this process) or ray (Ray Data; pip install 'groundset[ray]') [default: "
    "[run] engine, local]. Same chunk ids, sample ids and kept set either way.",
)
@click.option(
    "--ray-address",
    default=None,
    envvar="RAY_ADDRESS",
    help="Ray cluster to join with --engine ray, e.g. ray://head:10001 [default: start a local Ray].",
)
@click.version_option(package_name="groundset")
@click.pass_context
def cli(ctx: click.Context, workdir: Path, config_path: Path | None, sets: dict[str, str], engine: str | None,
        ray_address: str | None) -> None:
    """groundset: synthetic datasets grounded in your own documents.

    \b
    Quick start:
      groundset ingest docs/            # chunks in Qdrant under ./groundset-work
      groundset run                     # ingest → generate → evaluate → export
    """
    _quiet_third_parties()
    if config_path is None and Path("groundset.toml").is_file():
        config_path = Path("groundset.toml")
    named = {"run.engine": engine, "run.ray_address": ray_address}  # named flags win over --set
    ctx.obj = AppContext(workdir=workdir, config_path=config_path,
                         overrides={**sets, **{k: v for k, v in named.items() if v is not None}})


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(standalone_mode=True))


if __name__ == "__main__":
    # `python -m groundset.cli`: the commands were registered on groundset.cli (imported by them), not on this
    # __main__ copy of the module, whose AppContext they would not recognise; run the imported one
    from groundset.cli import main as _main

    _main()
