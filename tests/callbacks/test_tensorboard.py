"""TensorBoard writes real event files without TensorFlow; tensorboard's own EventAccumulator
reads them back: Keras' tag names and steps, values equal to History's, weight histograms and
images of the final weights, the model config and its ONNX graph."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util

import kgraph as keras
from kgraph import layers
from tests.callbacks.helpers import X, Y


def read(folder) -> EventAccumulator:
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


def series(accumulator, tag) -> tuple[list[int], list]:
    events = accumulator.Tensors(tag)
    return [e.step for e in events], [tensor_util.make_ndarray(e.tensor_proto) for e in events]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb")
    model = keras.Sequential([keras.Input(shape=(3,), name="features"),
                              layers.Dense(4, activation="relu", name="hidden"),
                              layers.Dense(1, name="out")], name="net")  # fmt: skip
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    callback = keras.callbacks.TensorBoard(
        log_dir=log_dir, histogram_freq=1, write_images=True, update_freq=2
    )
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, shuffle=False,
                        validation_data=(X, Y), callbacks=[callback])  # fmt: skip
    return read(log_dir / "train"), read(log_dir / "validation"), history.history, model


def test_epoch_scalars_match_history(run):
    train, val, history, _ = run
    for tag, key, acc in [
        ("epoch_loss", "loss", train),
        ("epoch_mae", "mae", train),
        ("epoch_loss", "val_loss", val),
        ("epoch_mae", "val_mae", val),
    ]:
        steps, values = series(acc, tag)
        assert steps == [0, 1, 2]
        np.testing.assert_allclose(values, history[key], rtol=1e-6)
    steps, values = series(train, "epoch_learning_rate")
    np.testing.assert_allclose(values, [0.01] * 3, rtol=1e-6)


def test_batch_scalars_every_update_freq_steps(run):
    train, _, history, _ = run
    steps, values = series(train, "batch_loss")
    assert steps == [2, 4, 6, 8, 10, 12]  # 4 batches an epoch, global batch count
    # The 4th batch of an epoch carries the epoch's mean loss.
    np.testing.assert_allclose([values[1], values[3], values[5]], history["loss"], rtol=1e-6)


def test_evaluation_scalars_at_the_iteration_count(run):
    _, val, history, _ = run
    steps, values = series(val, "evaluation_loss_vs_iterations")
    assert steps == [4, 8, 12]
    np.testing.assert_allclose(values, history["val_loss"], rtol=1e-6)


def test_weight_histograms_and_images(run):
    train, _, _, model = run
    kernel = model.get_weights()[0]  # hidden/kernel, (3, 4)
    steps, histograms = series(train, "hidden/kernel/histogram")
    assert steps == [0, 1, 2]
    final = histograms[-1]  # (buckets, 3): left edge, right edge, count
    assert final[:, 2].sum() == kernel.size
    assert final[0, 0] == pytest.approx(kernel.min(), rel=1e-6)
    assert final[-1, 1] == pytest.approx(kernel.max(), rel=1e-6)
    (image_event,) = train.Tensors("hidden/kernel/image")[-1:]
    width, height, png = image_event.tensor_proto.string_val
    assert (int(width), int(height)) == (4, 3)
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    np.testing.assert_array_equal(pixels, np.clip(np.round(kernel * 255.0), 0, 255))
    assert "hidden/bias/histogram" in train.Tags()["tensors"]


def test_graph_and_model_config(run):
    train, _, _, _ = run
    nodes = {node.name: node for node in train.Graph().node}
    assert nodes["features"].op == "Placeholder"
    assert nodes["hidden/kernel"].op == "Const"
    assert nodes["net/hidden/MatMul"].op == "MatMul"  # node names lead with the model's name
    assert list(nodes["net/hidden/MatMul"].input) == ["features", "hidden/kernel"]
    assert list(nodes["net/out/MatMul"].input) == ["net/hidden/Relu", "out/kernel"]
    (config,) = train.Tensors("keras")
    text = tensor_util.make_ndarray(config.tensor_proto).item()
    assert json.loads(text)["class_name"] == "Sequential"


def test_epoch_update_freq_writes_no_batch_values(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = keras.callbacks.TensorBoard(log_dir=tmp_path, write_graph=False)
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    tags = read(tmp_path / "train").Tags()
    assert sorted(tags["tensors"]) == ["epoch_learning_rate", "epoch_loss"]
    assert not tags["graph"]
    assert not (tmp_path / "validation").exists()


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or an integer"):
        keras.callbacks.TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="embedding projections"):
        keras.callbacks.TensorBoard(embeddings_freq=1)


NO_FRAMEWORKS = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"tensorflow", "torch", "jax", "keras", "tensorboardX"}:
            raise ImportError(f"blocked import of {name}")

sys.meta_path.insert(0, Blocker())
import numpy as np
import kgraph as keras

model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
x = np.ones((8, 3), np.float32)
model.fit(x, x[:, :1], epochs=1, verbose=0, validation_data=(x, x[:, :1]),
          callbacks=[keras.callbacks.TensorBoard(sys.argv[1], histogram_freq=1)])
print("OK")
"""


def test_runs_with_no_framework_importable(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", NO_FRAMEWORKS, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.stdout.strip().endswith("OK"), done.stderr
    assert "epoch_loss" in read(tmp_path / "validation").Tags()["tensors"]


def test_weight_images_follow_keras_layout():
    from kgraph.callbacks.tensorboard import weight_image

    bias = np.arange(3.0)
    assert weight_image(bias).shape == (1, 3, 1, 1)
    tall = np.arange(12.0).reshape(4, 3)  # more rows than columns: shown transposed
    np.testing.assert_array_equal(weight_image(tall)[0, ..., 0], tall.T)
    conv = np.arange(24.0).reshape(2, 3, 1, 4)  # (kh, kw, in=1, out): one picture per filter
    image = weight_image(conv)
    assert image.shape == (4, 2, 3, 1)
    np.testing.assert_array_equal(image[2, ..., 0], conv[:, :, 0, 2])
    assert weight_image(np.zeros((2, 3, 2, 5))) is None  # 4-D with 5 channels: not an image


def test_steps_per_second(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = keras.callbacks.TensorBoard(
        log_dir=tmp_path, write_graph=False, write_steps_per_second=True, update_freq="batch"
    )
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[callback])
    train = read(tmp_path / "train")
    steps, values = series(train, "epoch_steps_per_second")
    assert steps == [0, 1] and all(v > 0 for v in values)
    steps, _ = series(train, "batch_steps_per_second")
    assert steps == [1, 2, 3, 4]
