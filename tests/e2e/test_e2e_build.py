"""`local.api --from-build`: the `sam build` output serves what the source tree serves."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_support import LocalApi, descendants, start_api
from support import ROOT

from local.s3 import MotoServer

BUILD = ROOT / ".aws-sam" / "build"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.build,
    pytest.mark.skipif(
        not (BUILD / "template.yaml").is_file(), reason="needs `make build` (.aws-sam/build)"
    ),
]


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory, s3: MotoServer) -> Iterator[dict[str, LocalApi]]:
    logs = tmp_path_factory.mktemp("build-api")
    started = {
        "source": start_api(logs / "source.log", s3),
        "build": start_api(logs / "build.log", s3, "--from-build"),
    }
    yield started
    for api in started.values():
        api.stop()


def predict_bodies(demo_records: Callable[..., list[dict[str, Any]]]) -> list[bytes]:
    bodies = []
    for name in ("predict_single.json", "predict_batch.json", "predict_nulls_and_minimal.json"):
        event = json.loads((ROOT / "events" / name).read_text())
        text = event["body"]
        bodies.append(base64.b64decode(text) if event["isBase64Encoded"] else text.encode())
    bodies.append(json.dumps({"records": demo_records(64, with_price=True)}).encode())
    return bodies


def test_build_serves_the_same_predictions(
    apis: dict[str, LocalApi], demo_records: Callable[..., list[dict[str, Any]]]
) -> None:
    for body in predict_bodies(demo_records):
        answers = {
            origin: requests.post(
                f"{api.base}/predict",
                data=body,
                headers={"content-type": "application/json"},
                timeout=120,
            )
            for origin, api in apis.items()
        }
        assert {r.status_code for r in answers.values()} == {200}
        source, build = (answers[o].json() for o in ("source", "build"))
        assert build["predictions"] == source["predictions"]
        assert build["count"] == len(json.loads(body)["records"])
        assert build.get("metrics") == source.get("metrics")
    health = requests.get(f"{apis['build'].base}/health", timeout=30)
    assert health.status_code == 200


def mapped_files(pid: int) -> set[str]:
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


def test_build_container_loads_the_layers(apis: dict[str, LocalApi]) -> None:
    """Native code comes from the layers: lightgbm, numpy, and libgomp from the ml layer's lib/."""
    requests.get(f"{apis['build'].base}/health", timeout=120)  # after the cold start
    (container,) = descendants(apis["build"].process.pid)
    files = mapped_files(container)
    ml, core = str(BUILD / "MlLayer"), str(BUILD / "CoreLayer")
    assert any(f.startswith(f"{ml}/lib/") and "libgomp" in f for f in files), sorted(files)
    assert any(f.startswith(f"{ml}/python/lightgbm/") for f in files)
    assert any(f.startswith(f"{core}/python/numpy/") for f in files)
    venv = str(ROOT / ".venv")
    leaked = [f for f in files if f.startswith(venv) and ("numpy" in f or "lightgbm" in f)]
    assert leaked == []
