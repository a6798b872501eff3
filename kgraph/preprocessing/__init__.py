"""``keras.preprocessing``: the older home of Keras' data helpers, kept because programs still
write ``from keras.preprocessing.sequence import pad_sequences`` or
``keras.preprocessing.image.load_img(...)``.

Every name is the one in ``kgraph.utils`` (re-exported, not copied), plus ``image.smart_resize``.
"""

from kgraph.preprocessing import image, sequence
from kgraph.utils.image_dataset import image_dataset_from_directory
from kgraph.utils.text_dataset import text_dataset_from_directory
from kgraph.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
