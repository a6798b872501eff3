"""``kgraph.callbacks``: hooks into the training loop."""

from kgraph.callbacks.callback import Callback, CallbackList
from kgraph.callbacks.history import History
from kgraph.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
