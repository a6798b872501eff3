"""Recurrent layers: a cell run over the time axis by ``time_loop`` (unrolled, or one ONNX Scan
for an unknown or long time length), with Keras masks."""
