"""Nothing opens a network connection: train, classify and evaluate with the network disabled.

Connections are refused and recorded (a swallowed refusal would still be caught); the package
source is also checked for imports of networking modules. The optional Dask engine talks to the
scheduler a user names: it is the one exception, and it is not used here.
"""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pandas as pd
import pytest

from themes.cli import app

from .conftest import TRAINING

PACKAGE = Path(__file__).resolve().parents[1] / "themes"
NETWORK_MODULES = {"socket", "urllib", "urllib3", "requests", "http", "httpx", "aiohttp", "ftplib", "smtplib", "xmlrpc", "websocket", "paramiko"}


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append(repr(args[:2]))
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_refusal_works(no_network):
    with pytest.raises(OSError, match="network disabled"):
        socket.create_connection(("example.invalid", 80))
    with pytest.raises(OSError), socket.socket() as s:
        s.connect(("127.0.0.1", 9))
    assert len(no_network) == 2
    no_network.clear()


def test_train_classify_evaluate_offline(no_network, runner, tmp_path):
    data = pd.read_csv(TRAINING, dtype=str, keep_default_na=False)
    data.head(90).to_csv(tmp_path / "train.csv", index=False)
    data.iloc[90:110].to_csv(tmp_path / "gold.csv", index=False)
    data.iloc[90:110].drop(columns=["causes", "pillars"]).to_csv(tmp_path / "export.csv", index=False)
    model = tmp_path / "model"
    result = runner.invoke(app, ["train", str(tmp_path / "train.csv"), "--out", str(model), "--seed", "2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["classify", str(tmp_path / "export.csv"), "--out", str(tmp_path / "coded.xlsx"), "--model", str(model)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["evaluate", str(tmp_path / "gold.csv"), "--model", str(model), "--json"])
    assert result.exit_code == 0, result.output
    assert no_network == []


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            if isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
    return found


def test_package_imports_no_networking_module():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported_modules(path) if m.split(".")[0] in NETWORK_MODULES)
        for path in PACKAGE.rglob("*.py")
    }
    assert len(offenders) > 10  # the walk found the package
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_static_check_would_notice(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import urllib.request\nfrom http import client\n__import__('socket')\n")
    assert {"urllib.request", "http", "socket"} <= imported_modules(sample)
