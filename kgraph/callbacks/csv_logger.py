"""``CSVLogger``: one CSV row of logs per epoch."""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from kgraph.callbacks.callback import Callback


def _cell(value):
    """A log value as Keras writes it: strings as they are, sequences as ``"[a, b]"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Streams epoch results to a CSV file (columns: ``epoch`` then the sorted log keys).

    Args:
        filename: The CSV file.
        separator: The column separator (",").
        append: Append to an existing file (its header is kept) instead of overwriting it.

    When the first epoch has no ``val_*`` keys, ``val_<key>`` columns are added anyway (as
    Keras does, for a validation that starts later); missing values are written ``NA``.
    """

    reads_model = False  # only the logs: no weight sync before its hooks

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 (kept open)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(f"val_{k}" for k in list(self.keys))
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
