"""``kgraph inspect --format table|json|markdown`` and ``kgraph view`` (Netron).

The Netron test uses the real client: ``kgraph view`` serves an exported model on loopback,
headless Chromium renders Netron's page, and the layer names and edge shapes are read from the
drawn graph (a screenshot is kept in the test's temporary folder). Without Chromium, its
driver, selenium or netron it skips with the reason (CI installs no Chromium)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from kgraph import cli

MODEL = """
import kgraph as keras
from kgraph import layers

_block = keras.Sequential([layers.Conv2D(4, 3, padding="same", name="conv2d"),
                           layers.ReLU(name="relu")], name="block_1")
inp = keras.Input((6, 6, 3), name="image")
x = layers.Flatten(name="flatten")(_block(inp))
x = layers.Dense(8, activation="gelu", name="dense")(x)
model = keras.Model(inp, layers.Dense(3, name="probs")(x), name="model")
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inspect")
    (folder / "model.py").write_text(MODEL)
    paths = {}
    for name, flags in (("flat", []), ("fn", ["--functions"])):
        paths[name] = folder / f"{name}.onnx"
        args = ["compile", str(folder / "model.py"), "-o", str(paths[name]), "--seed", "0"]
        result = CliRunner().invoke(cli.main, args + flags)
        assert result.exit_code == 0, result.output
    return paths


def _inspect(path, fmt):
    result = CliRunner().invoke(cli.main, ["inspect", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def test_inspect_json_lists_io_ops_parameters_and_metadata(exported):
    info = json.loads(_inspect(exported["flat"], "json"))
    assert info["inputs"] == [{"name": "image", "dtype": "float32", "shape": ["batch", 6, 6, 3]}]
    assert info["outputs"][0]["shape"] == ["batch", 3]
    assert info["opsets"] == {"ai.onnx": 21}
    assert info["ops"]["Gelu"] == 1 and info["ops"]["MatMul"] == 2
    # conv 3*3*3*4 + 4, dense 144*8 + 8, probs 8*3 + 3
    assert info["parameters_per_layer"] == {
        "model/block_1/conv2d": 112,
        "model/dense": 1160,
        "model/probs": 27,
    }
    assert info["parameters"] == 112 + 1160 + 27
    assert info["metadata"]["keras_config"]["config"]["name"] == "model"
    assert info["metadata"]["input_contract"]["inputs"][0]["shape"] == [None, 6, 6, 3]
    assert "Functional model 'model'" in info["doc_string"]
    outlined = json.loads(_inspect(exported["fn"], "json"))
    assert outlined["ops"] == info["ops"] and "block_1" in outlined["functions"]


def test_inspect_markdown_is_a_report(exported):
    text = _inspect(exported["flat"], "markdown")
    for heading in ("## Inputs", "## Outputs", "## Ops", "## Parameters per layer", "## Metadata"):
        assert heading in text
    assert "| `image` | float32 | [batch, 6, 6, 3] |" in text
    assert "| `model/dense` | 1,160 |" in text and "- opset: ai.onnx 21" in text


def test_inspect_table_stays_the_default(exported):
    assert _inspect(exported["flat"], "table").splitlines()[1].startswith("  producer:    kgraph")
    bad = CliRunner().invoke(cli.main, ["inspect", str(exported["flat"]), "--format", "xml"])
    assert bad.exit_code == 2 and "xml" in bad.output


def test_view_without_netron_says_how_to_get_it(exported, monkeypatch):
    monkeypatch.setitem(sys.modules, "netron", None)  # import netron raises ImportError
    result = CliRunner().invoke(cli.main, ["view", str(exported["fn"]), "--no-browser"])
    assert result.exit_code == 2
    assert "pip install 'kgraph[view]'" in result.output and len(result.output.splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser(profile):
    """Headless Chromium through selenium, or a skip naming what is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    pytest.importorskip("netron", reason="netron is not installed (pip install 'kgraph[view]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(driver))


def _rendered_text(browser, url: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for button in browser.find_elements(By.XPATH, "//*[normalize-space(text())='Accept']"):
            if button.is_displayed():  # Netron's first-run consent screen
                button.click()
        script = "return [...document.querySelectorAll('svg text')].map(t => t.textContent)"
        texts = browser.execute_script(script)
        if texts:
            return "|".join(texts)
        time.sleep(0.3)
    return ""


def _serve_and_render(browser, path, screenshot) -> list[str]:
    """``kgraph view PATH`` on a free loopback port, rendered; the texts drawn in the graph."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "kgraph", "view", str(path), "--no-browser",
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        line = server.stdout.readline().decode()
        assert f"http://127.0.0.1:{port}" in line, line
        text = _rendered_text(browser, f"http://127.0.0.1:{port}/")
        browser.save_screenshot(str(screenshot))
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert screenshot.stat().st_size > 0
    return text.split("|")


def test_netron_shows_layer_names_and_shapes(exported, tmp_path):
    browser = _browser(tmp_path / "profile")
    try:
        outlined = _serve_and_render(browser, exported["fn"], tmp_path / "netron_functions.png")
        flat = _serve_and_render(browser, exported["flat"], tmp_path / "netron_flat.png")
    finally:
        browser.quit()
    for layer in ("block_1", "flatten", "dense", "probs"):  # the layers, as openable functions
        assert layer in outlined, outlined
    for dims in ("batch 6 6 3", "batch 4 6 6", "batch 144", "batch 8", "batch 3"):
        shape = dims.replace(" ", "\N{MULTIPLICATION SIGN}")  # as Netron writes them
        assert shape in outlined and shape in flat, (shape, outlined, flat)
    assert "Gelu" in flat and "Erf" not in flat, flat  # one node, not five
    assert "Conv" in flat and "MatMul" in flat, flat
