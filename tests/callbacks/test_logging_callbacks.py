"""CSVLogger, LambdaCallback, TerminateOnNaN and RemoteMonitor with Keras' file layout,
hooks, messages and HTTP bodies (RemoteMonitor posts to a local server on 127.0.0.1)."""

from __future__ import annotations

import csv
import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

import kgraph as keras
from tests.callbacks.helpers import ScriptedModel, X, Y, regression_model


def test_csv_logger_rows_match_history(tmp_path):
    path = tmp_path / "log.csv"
    model = regression_model()
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, validation_data=(X, Y),
                        callbacks=[keras.callbacks.CSVLogger(path)])  # fmt: skip
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose([float(r[key]) for r in rows], history.history[key], rtol=1e-6)


def test_csv_logger_append_separator_and_missing_validation(tmp_path):
    path = tmp_path / "log.tsv"
    for run in range(2):
        logger = keras.callbacks.CSVLogger(path, separator="\t", append=run == 1)
        logger.set_model(ScriptedModel())
        logger.on_train_begin({})
        logger.on_epoch_end(0, {"loss": 1.5 + run, "sizes": [1, 2]})
        logger.on_train_end({})
    lines = path.read_text().splitlines()
    # A list becomes the text "[1, 2]" (quotes included, as Keras writes it), which csv quotes.
    assert lines == [
        "epoch\tloss\tsizes\tval_loss\tval_sizes",
        '0\t1.5\t"""[1, 2]"""\tNA\tNA',
        '0\t2.5\t"""[1, 2]"""\tNA\tNA',
    ]


def test_lambda_callback_hooks_in_order():
    seen = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: seen.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: seen.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: seen.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: seen.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: seen.append("train_end"),
        on_test_end=lambda logs: seen.append(f"test_end {sorted(logs)}"),
    )
    regression_model().fit(X, Y, batch_size=8, epochs=2, verbose=0, validation_data=(X, Y),
                           callbacks=[callback])  # fmt: skip
    epoch = lambda e: [
        f"epoch_begin {e}",
        "batch_begin 0",
        "batch_end 0 ['loss', 'mae']",
        "batch_begin 1",
        "batch_end 1 ['loss', 'mae']",
        "test_end ['loss', 'mae']",
        f"epoch_end {e} ['loss', 'mae', 'val_loss', 'val_mae']",
    ]
    assert seen == ["train_begin", *epoch(0), *epoch(1), "train_end"]


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    callback = keras.callbacks.TerminateOnNaN()
    model = ScriptedModel()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    callback.on_train_batch_end(1, {"loss": float("inf")})
    assert model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        keras.callbacks.TerminateOnNaN(raise_error=True).on_train_batch_end(3, {"loss": np.nan})


def test_terminate_on_nan_in_fit_ends_training_at_the_bad_batch(capsys):
    """A rate that blows the loss up: the third batch's loss is infinite, training ends there
    without an error and the model keeps finite weights."""
    model = regression_model(lr=1e6)
    losses = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(logs["loss"])
    )
    model.fit(X * 1e3, Y, batch_size=4, epochs=5, verbose=0,
              callbacks=[keras.callbacks.TerminateOnNaN(), record])  # fmt: skip
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])
    assert len(losses) < 4  # within the first epoch
    assert model.stop_training
    assert f"Batch {len(losses) - 1}: Invalid loss, terminating training" in capsys.readouterr().out
    assert all(np.isfinite(w).all() for w in model.get_weights())


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).bodies.append((self.path, self.headers["Content-Type"], self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    Receiver.bodies = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_remote_monitor_posts_form_and_json(server):
    model = regression_model()
    monitor = keras.callbacks.RemoteMonitor(root=server, timeout=5)
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[monitor])
    assert len(Receiver.bodies) == 2
    for epoch, (path, content_type, body) in enumerate(Receiver.bodies):
        assert path == "/publish/epoch/end/"
        assert content_type == "application/x-www-form-urlencoded"
        sent = json.loads(urllib.parse.parse_qs(body.decode())["data"][0])
        assert sent["epoch"] == epoch
        assert sent["loss"] == pytest.approx(history.history["loss"][epoch])
    monitor = keras.callbacks.RemoteMonitor(
        root=server, path="/p", send_as_json=True, headers={"X-Run": "7"}
    )
    monitor.on_epoch_end(4, {"loss": np.float32(0.5), "acc": np.array(0.25)})
    path, content_type, body = Receiver.bodies[-1]
    assert (path, content_type) == ("/p", "application/json")
    assert json.loads(body) == {"epoch": 4, "loss": 0.5, "acc": 0.25}


def test_remote_monitor_unreachable_server_warns():
    monitor = keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


class Params(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seen = dict(self.params), self.model


def test_params_and_model_are_set_for_callbacks():
    model = regression_model()
    callback = Params()
    model.fit(X, Y, batch_size=5, epochs=3, verbose=0, callbacks=[callback])
    params, seen_model = callback.seen
    assert params == {"epochs": 3, "steps": 4, "verbose": 0}  # 16 samples in batches of 5
    assert seen_model is model
