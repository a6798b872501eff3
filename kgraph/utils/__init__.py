"""``kgraph.utils``: seeds and data helpers."""

from kgraph.utils.dataset import AUTOTUNE, Dataset
from kgraph.utils.dataset_utils import split_dataset
from kgraph.utils.file_utils import get_file
from kgraph.utils.image_dataset import image_dataset_from_directory
from kgraph.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kgraph.utils.model_visualization import model_to_dot, plot_model
from kgraph.utils.numerical import to_categorical
from kgraph.utils.progbar import Progbar
from kgraph.utils.py_dataset import PyDataset
from kgraph.utils.seeds import set_random_seed
from kgraph.utils.sequence_utils import normalize, pad_sequences
from kgraph.utils.text_dataset import text_dataset_from_directory
from kgraph.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "Progbar",
    "PyDataset",
    "array_to_img",
    "get_file",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_model",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
