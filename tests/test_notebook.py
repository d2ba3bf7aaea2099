"""The annual-report walkthrough notebook runs from top to bottom on the library API alone."""

import json

import pytest

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "annual_report.ipynb"


def test_notebook_is_stored_without_outputs_and_uses_no_cli():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    source = "".join("".join(c["source"]) for c in code)
    assert "themes.cli" not in source and "subprocess" not in source and "!themes" not in source


@pytest.mark.slow
def test_notebook_runs(small_bundle, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # The kernel inherits the environment: the session's small bundle stands in for a council's.
    monkeypatch.setenv("THEMES_MODEL", str(small_bundle))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Model: small" in text and "rounded to" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("Any reason in this category" in o["data"]["text/html"] for o in tables)
