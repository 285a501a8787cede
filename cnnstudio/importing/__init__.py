"""Importing existing models as editable designs: ONNX files and PyTorch modules.

A reader turns its source into a list of ``Op`` (``ops.py``): one catalogue kind per op,
its parameters, its inputs and its weights as numpy arrays. ``passes.py`` simplifies that
list the same way for every source (pass-throughs removed, channels-last regions turned back
into channels-first kinds, activations fused into the layer before them, a pool followed by
a flatten made one global pool, DenseNet-style growing concatenations chained), and
``builder.py`` makes the core ``Graph`` (named, grouped by module path, laid out) and the
weights keyed ``<node name>.<tensor>``.

- ``onnx_reader.py``: an ``.onnx`` file, read with onnx and numpy only (never executed,
  within ``core.limits``).
- ``fx_reader.py``: any torch.fx-traceable ``nn.Module`` (torch).
- ``sources.py``: what the CLI and the app name as a source (a file, ``torchvision.NAME``,
  ``FILE.py:CLASS``), ``import_model`` (read, build, verify against the source) and saving
  the project and its weights (safetensors).

An op with no layer kind stops the import with one ``UnsupportedOpsError`` naming every
such op and where it is; nothing is dropped silently.
"""
