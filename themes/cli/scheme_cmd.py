"""themes scheme list | show | validate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import err, out, reported

app = typer.Typer(no_args_is_help=True, help="List, show and check label schemes.")


@app.command("list")
def list_schemes() -> None:
    """List the built-in schemes."""
    from rich.table import Table

    from ..scheme import list_builtin

    with reported():
        table = Table("id", "name", "version", "labels", "kind")
        for s in list_builtin():
            kind = f"{len(s.categories)} categories > {len(s.leaves)} reasons" if s.is_hierarchical else "flat"
            table.add_row(s.id, s.name, s.version, str(len(s.leaves)), kind)
        out.print(table)


@app.command("show")
def show(
    scheme: Annotated[str, typer.Argument(help="A built-in scheme name (causes, pillars) or a scheme .toml file.")],
) -> None:
    """Show a scheme as a tree with every label's id, name and definition."""
    from rich.markup import escape
    from rich.tree import Tree

    from ..scheme import load

    with reported():
        s = load(scheme)
        tree = Tree(f"[bold]{escape(s.id)}[/] {escape(s.name)} (version {escape(s.version)})")
        nodes = {}
        for label in s.labels:
            text = f"[bold]{escape(label.id)}[/] {escape(label.name)}"
            if label.definition:
                text += f"\n[dim]{escape(label.definition)}[/]"
            parent = nodes.get(label.parent, tree) if label.parent else tree
            nodes[label.id] = parent.add(text)
        out.print(tree)
        if s.notes:
            out.print("\nNotes for coders:\n" + s.notes, markup=False)


@app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="The scheme .toml file to check.")],
) -> None:
    """Check a scheme file and list every problem, not only the first."""
    from ..scheme import validate_file

    with reported():
        problems = validate_file(path)
        if problems:
            err.print(f"{path.name}: {len(problems)} problem(s):", markup=False)
            for p in problems:
                err.print(f"  - {p}", markup=False)
            raise typer.Exit(code=2)
        err.print(f"{path.name} is a valid scheme.", markup=False)


@app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="The old version: a built-in scheme name or a scheme .toml file.")],
    new: Annotated[str, typer.Argument(help="The new version: a built-in scheme name or a scheme .toml file.")],
    crosswalk: Annotated[Path | None, typer.Option(help="A crosswalk from OLD to NEW: settles splits, merges and renames it maps.")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Also write the changes to .csv or .xlsx.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the --out file if it exists.")] = False,
) -> None:
    """List labels added, removed, renamed, moved, split or merged between two scheme versions."""
    from rich.table import Table
    from rich.text import Text

    from ..crosswalk import load as load_crosswalk
    from ..data import check_output_path, write_table
    from ..scheme import load
    from ..scheme_diff import COLUMNS, diff as scheme_diff

    with reported():
        if output is not None:
            check_output_path(output, overwrite=overwrite)
        before, after = load(old), load(new)
        changes = scheme_diff(before, after, crosswalk=load_crosswalk(crosswalk) if crosswalk else None)
        if output is not None:
            write_table(changes, output)
        if changes.empty:
            err.print(f"No label changes between {before.id} {before.version} and {after.id} {after.version}.", markup=False)
            return
        table = Table(*COLUMNS, title=f"{before.id} {before.version} -> {after.id} {after.version}")
        for row in changes.itertuples(index=False):
            table.add_row(*(Text(str(v)) for v in row))
        out.print(table)
