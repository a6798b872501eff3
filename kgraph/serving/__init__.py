"""``kgraph serve``: an HTTP service (starlette on uvicorn) around :mod:`kgraph.runtime`.

Needs the ``serve`` extra (``pip install 'kgraph[serve]'``). It imports the runtime, numpy,
starlette and, for image uploads, Pillow; never the compiler or the front end. Build the app
with :func:`kgraph.serving.app.create_app`, or run it with :func:`kgraph.serving.server.serve`.
"""
