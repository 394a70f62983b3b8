"""A real `mlflow server` on localhost: `train` logs to it over HTTP, artifacts included."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SERVER_START_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    process = subprocess.Popen(
        [
            str(mlflow_bin),
            "server",
            "--backend-store-uri",
            f"sqlite:///{tmp / 'server.db'}",
            "--artifacts-destination",
            str(tmp / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "server.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"mlflow server did not start: {(tmp / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield {"url": url, "tmp": tmp}
    import mlflow

    mlflow.set_tracking_uri(None)  # later tests must not reach for the stopped server
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_train_logs_runs_and_artifacts_to_a_server_over_http(
    server, raw_corpus, tmp_path, make_train_config
):
    from mlflow import MlflowClient

    from casenotes.modeling.train import train

    config = make_train_config(
        tmp_path,
        server["url"],
        models=[{"name": "mentions_lr", "kind": "mention_linear"}],
        explain={"examples": 0, "deletion_notes": 20},
    )
    result = train(config, raw_corpus)
    assert result.tracking_uri == server["url"]
    client = MlflowClient(tracking_uri=server["url"])
    parent = client.get_run(result.parent_run_id)
    assert parent.data.tags["casenotes.ethics_review"] == "pending"
    child = client.get_run(result.models[0].run_id)
    assert child.data.tags["mlflow.parentRunId"] == result.parent_run_id
    assert child.info.run_name == "mentions_lr"
    paths = {a.path for a in client.list_artifacts(child.info.run_id, "reports")}
    assert "reports/evaluation.html" in paths
    # The artifacts went through the server into its own artifact store, not a local folder.
    stored = list((server["tmp"] / "artifacts").rglob("evaluation.html"))
    assert stored
    assert not (tmp_path / "mlartifacts").exists()
