"""Transfer learning with a pretrained MobileNetV3Small, end to end (the seed note's §4).

1. Writes scikit-learn's bundled digits as PNG files, one folder per class (a small folder of
   real images, as a user would have).
2. Loads them with ``image_dataset_from_directory``.
3. Puts a new head on a frozen ``MobileNetV3Small(include_top=False)`` and trains the head.
4. Unfreezes the base and fine-tunes everything with a low learning rate.
5. Exports the model with its preprocessing (resizing the raw images to the base's input size and
   MobileNetV3's own ``[0, 255] -> [-1, 1]`` rescaling) to ONNX.
6. Runs ``kgraph predict`` on one raw image's pixels.

``weights="imagenet"`` reads Keras' weight file from the Keras cache (``~/.keras/models``) or
downloads it; offline and without the file, the example says so and starts from random
weights (the steps are the same; the accuracy is lower).

Run: ``python examples/transfer_learning.py [--out DIR] [--epochs N] [--per-class N]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

import kgraph as keras

IMAGE_SIZE = (64, 64)  # what the base sees
RAW_SIZE = (40, 40)  # the PNG files


def write_digit_images(folder: str, per_class: int) -> None:
    """scikit-learn's 8x8 digits as 40x40 RGB PNGs under ``folder/<digit>/``."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    counts = dict.fromkeys(range(10), 0)
    for image, label in zip(digits.images, digits.target):
        if counts[label] >= per_class:
            continue
        os.makedirs(os.path.join(folder, str(label)), exist_ok=True)
        pixels = (255 - image * (255 / 16)).astype(np.uint8)  # dark ink on white paper
        picture = Image.fromarray(pixels).resize(RAW_SIZE, Image.BILINEAR).convert("RGB")
        picture.save(os.path.join(folder, str(label), f"{counts[label]:03d}.png"))
        counts[label] += 1


def pretrained_base(weights: str):
    """The frozen feature extractor; random weights when the ImageNet file is unavailable."""
    shape = (*IMAGE_SIZE, 3)
    try:
        base = keras.applications.MobileNetV3Small(
            weights=weights, include_top=False, input_shape=shape
        )
    except keras.applications.weights.WeightsUnavailableError as error:
        print(f"{error}\nContinuing with random weights.")
        base = keras.applications.MobileNetV3Small(
            weights=None, include_top=False, input_shape=shape
        )
    base.trainable = False
    return base


def build_model(base, num_classes: int):
    """Raw 40x40 images in, resized inside the model, class logits out."""
    inputs = keras.Input((*RAW_SIZE, 3), name="image")
    x = keras.layers.Resizing(*IMAGE_SIZE)(inputs)
    x = base(x, training=False)  # batch norms keep their statistics, frozen or not
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(num_classes, name="digit")(x)
    return keras.Model(inputs, outputs, name="digits_mobilenet_v3")


def train(model, base, train_ds, val_ds, epochs: int) -> None:
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.Adam(1e-3), loss, metrics=["accuracy"])
    print(f"Frozen base: {len(model.trainable_weights)} trainable tensors (the head)")
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=2)
    base.trainable = True
    model.compile(keras.optimizers.Adam(1e-5), loss, metrics=["accuracy"])  # recompile
    print(f"Fine-tuning: {len(model.trainable_weights)} trainable tensors")
    model.fit(train_ds, validation_data=val_ds, epochs=max(1, epochs // 2), verbose=2)


def predict_with_cli(onnx_path: str, image_path: str, out: str) -> np.ndarray:
    """``kgraph predict`` on the raw pixels of one PNG (no preprocessing outside the model)."""
    pixels = keras.utils.img_to_array(keras.utils.load_img(image_path))[None]
    raw = os.path.join(out, "image.npy")
    np.save(raw, pixels.astype("float32"))
    prediction = os.path.join(out, "prediction.npy")
    command = [sys.executable, "-m", "kgraph", "predict", onnx_path, raw, "-o", prediction]
    subprocess.run(command, check=True)
    return np.load(prediction)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="transfer_learning_out")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--weights", default="imagenet")
    args = parser.parse_args(argv)
    folder = os.path.join(args.out, "digits")
    write_digit_images(folder, args.per_class)
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        folder,
        image_size=RAW_SIZE,
        batch_size=16,
        validation_split=0.25,
        subset="both",
        seed=1,
    )
    base = pretrained_base(None if args.weights.lower() == "none" else args.weights)
    model = build_model(base, num_classes=len(train_ds.class_names))
    train(model, base, train_ds, val_ds, args.epochs)
    onnx_path = os.path.join(args.out, "digits_mobilenet_v3.onnx")
    model.export(onnx_path)
    image = os.path.join(folder, "7", "000.png")
    logits = predict_with_cli(onnx_path, image, args.out)
    print(f"kgraph predict on {image}: class {int(np.argmax(logits))} (true class 7)")
    _, accuracy = model.evaluate(val_ds, verbose=0)
    print(f"validation accuracy after fine-tuning: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
