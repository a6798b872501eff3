"""``python -m kgraph``: the same command line as the ``kgraph`` console script (``cli.py``)."""

from kgraph.cli import main

if __name__ == "__main__":
    main(prog_name="kgraph")
