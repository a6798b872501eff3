"""``keras.distribution`` on one device.

Keras distributes a JAX program over a mesh of devices (data parallel, model parallel). A
kgraph model runs in one onnxruntime session on one device (``compile(device=...)``), so
here the devices are the one kgraph runs on (``"gpu:0"`` when the CUDA provider works, else
``"cpu:0"``), meshes, layouts and distributions are Keras' objects with Keras' checks, and a
distribution over that single device trains and predicts as usual (``distribute_tensor`` and
``distribute_dataset`` hand back what they get). Setting a distribution over more devices
than that, or initializing several processes, raises one clear error instead of training on
one device while claiming more.
"""

from __future__ import annotations

import collections.abc
import contextlib
import re

import numpy as np

_CURRENT = [None]


def list_devices(device_type=None) -> list[str]:
    """The devices kgraph can run on, as ``"type:id"``: the default type is ``"gpu"`` when
    the CUDA provider works, else ``"cpu"`` (never a mix, as Keras)."""
    from kgraph.runtime.providers import cuda_unavailable_reason

    gpu = cuda_unavailable_reason() is None
    kind = (device_type or ("gpu" if gpu else "cpu")).lower()
    if kind not in ("cpu", "gpu", "tpu"):
        raise ValueError(f"Unknown device type: {device_type}. Expected 'cpu', 'gpu' or 'tpu'.")
    return ["cpu:0"] if kind == "cpu" else (["gpu:0"] if kind == "gpu" and gpu else [])


def get_device_count(device_type=None) -> int:
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None) -> None:
    """Accepts a single-process setup only (kgraph has no multi-host training)."""
    if num_processes not in (None, 1):
        raise ValueError(
            "kgraph trains in one process on one device; multi-process distribution is not "
            f"supported. Received: num_processes={num_processes}"
        )


class DeviceMesh:
    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                "Shape and axis_names cannot be empty. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have same size. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        devices = np.array(list_devices() if devices is None else devices)
        if np.prod(shape) != np.prod(devices.shape):
            raise ValueError(
                "Shape does not match the number of devices. "
                f"Received: shape={shape}; devices.shape={devices.shape}"
            )
        self._shape, self._axis_names = tuple(shape), list(axis_names)
        self._devices = np.reshape(devices, shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    def __init__(self, axes, device_mesh=None):
        self._axes, self.device_mesh = tuple(axes), device_mesh

    axes = property(lambda self: self._axes)

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class Distribution:
    """A device mesh and where batches and variables go on it (one device in kgraph)."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        devices = np.asarray(device_mesh.devices).ravel().tolist()
        if len(devices) > 1:
            raise ValueError(
                "kgraph runs a model on one device (one onnxruntime session); a distribution "
                f"over {len(devices)} devices is not supported. Received: devices={devices}"
            )
        self._device_mesh, self._batch_dim_name = device_mesh, batch_dim_name
        self.auto_shard_dataset = auto_shard_dataset

    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)

    def get_data_layout(self, data_shape):
        axes = [self.batch_dim_name] + [None] * (len(data_shape) - 1)
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable):
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None

    def distribute_dataset(self, dataset):
        return dataset

    @contextlib.contextmanager
    def scope(self):
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), ["batch"], devices)
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)


class ModelParallel(Distribution):
    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True):
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance. "
                f"Received: layout_map={layout_map}"
            )
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map

    def get_variable_layout(self, variable):
        found = self._layout_map[variable.path]
        return found or super().get_variable_layout(variable)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """Regex keys (matched against variable paths with ``re.search``) to layouts."""

    def __init__(self, device_mesh):
        self._layouts: dict = {}
        self._device_mesh = device_mesh

    device_mesh = property(lambda self: self._device_mesh)

    def __getitem__(self, key):
        if key in self._layouts:
            return self._layouts[key]
        matches = [k for k in self._layouts if re.search(k, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matches}. Please "
                "make sure each tensor/variable path only matches at most one layout key."
            )
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layouts[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if isinstance(layout, tuple):
            layout = TensorLayout(layout, self._device_mesh)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"{layout} should be a TensorLayout type. Received: type={type(layout)}"
            )
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        self._layouts[key] = layout

    def __delitem__(self, key):
        return self._layouts.pop(key)

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)


def distribute_tensor(tensor, layout):
    """``tensor`` as it is: on one device a layout places nothing."""
    return tensor


def distribution():
    """The distribution set by ``set_distribution`` (or a ``scope``), else None."""
    return _CURRENT[0]


def set_distribution(value) -> None:
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"Expect a `Distribution` instance. Received: {value}")
    _CURRENT[0] = value
