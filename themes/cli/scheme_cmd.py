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
