"""``RemoteMonitor``: posts every epoch's logs to an HTTP server.

Keras posts with ``requests``; kgraph uses the standard library's ``urllib`` and sends the same
body: a form field (``data`` by default) holding the logs as JSON, or the JSON itself with
``send_as_json=True``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from kgraph.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Args:
    root: The server's root URL.
    path: The path the logs are posted to, after ``root``.
    field: The form field holding the JSON logs (when not ``send_as_json``).
    headers: Extra HTTP headers (a dict).
    send_as_json: Post ``application/json`` instead of a form.
    timeout: Seconds to wait for the server (kgraph's addition; Keras waits without limit).

    Each post is ``{"epoch": epoch, **logs}`` with numpy values as Python numbers. An
    unreachable server warns and training goes on.
    """

    reads_model = False  # only the logs

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
        timeout=10.0,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def _request(self, payload: dict) -> urllib.request.Request:
        if self.send_as_json:
            body = json.dumps(payload).encode()
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        return urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        for key, value in (logs or {}).items():
            payload[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        try:
            with urllib.request.urlopen(self._request(payload), timeout=self.timeout) as reply:
                reply.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
