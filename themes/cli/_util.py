"""What every command shares: consoles, error reporting, and where the default model lives."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer


class LazyConsole:
    """A rich Console made on first use, so that ``themes --help`` does not import rich.console."""

    def __init__(self, **options: object) -> None:
        self._options = options
        self._console = None

    @property
    def real(self):  # noqa: ANN201 - rich.console.Console, imported lazily
        """The Console itself, for APIs that need one (Progress, Live): they use special
        methods, which do not pass through ``__getattr__``."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def __enter__(self):  # noqa: ANN204
        return self.real.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.real.__exit__(*exc)


# Messages and progress go to stderr so that stdout can be piped; neither ever carries data.
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)
out = LazyConsole(highlight=False)

DEFAULT_MODEL = "models/default"


def default_model() -> Path:
    """THEMES_MODEL, else ./models/default, else the bundle beside the package (a source checkout)."""
    if os.environ.get("THEMES_MODEL"):
        return Path(os.environ["THEMES_MODEL"])
    here = Path(DEFAULT_MODEL)
    if here.is_dir():
        return here
    beside = Path(__file__).resolve().parents[2] / DEFAULT_MODEL
    return beside if beside.is_dir() else here


@contextmanager
def reported() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and the error's exit code."""
    from ..errors import ThemesError

    try:
        yield
    except ThemesError as exc:
        err.print(f"Error: {exc}", markup=False)
        raise typer.Exit(code=exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("Stopped: no output was written.", markup=False)
        raise typer.Exit(code=130) from None
    except MemoryError:
        err.print("Error: out of memory. Split the input into smaller files.", markup=False)
        raise typer.Exit(code=1) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never print data
        if os.environ.get("THEMES_DEBUG"):
            raise
        err.print(
            f"Error: unexpected {type(exc).__name__}; no output was written. "
            "Set THEMES_DEBUG=1 to see the traceback (it may contain complaint text).",
            markup=False,
        )
        raise typer.Exit(code=1) from None


def say(message: str) -> None:
    err.print(message, markup=False)


def is_interactive() -> bool:
    return sys.stderr.isatty()


def print_scores(metrics: dict) -> None:
    """The cross-validated and held-out micro/macro F1 of a bundle's manifest, as tables."""
    from rich.table import Table

    from ..bundle import heldout_evaluations

    sections = [("Cross-validated", metrics.get("cross_validated"))]
    sections += [(f"Held-out ({held['file']})", held) for held in heldout_evaluations(metrics)]
    for title, results in sections:
        if not results:
            continue
        table = Table("scheme", "level", "micro-F1", "macro-F1", title=title)
        for scheme_id, result in results.items():
            if not isinstance(result, dict):
                continue
            for row in result["summary"]:
                table.add_row(scheme_id, row["level"], f"{row['micro_f1']:.3f}", f"{row['macro_f1']:.3f}")
        out.print(table)
