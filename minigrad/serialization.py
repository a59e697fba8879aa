"""``mg.save`` / ``mg.load``: checkpoints as safetensors files, never pickle.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are tensors,
NumPy arrays or plain values (int, float, str, bool, None). Tensors and arrays become
safetensors entries named by their dotted path (``"0.weight"``,
``"state.0.exp_avg"``), so a module's ``state_dict`` saved here is an ordinary
safetensors file: ``safetensors.torch.load_file`` reads it with PyTorch's key names.
Everything else — the structure, dict key types (int keys of an optimizer's state),
plain values — is one JSON document in the file's metadata, so loading rebuilds the
object exactly.

Saving writes a temporary file in the target's directory, fsyncs it and renames it over
the target: a crash leaves either the old file or the new one, never half of one.
Loading checks the header before trusting it; a truncated or foreign file raises a
ValueError naming the file. No code is ever executed on load.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from . import backend
from .tensor import Tensor

_META_KEY = "minigrad"  # metadata entry holding the JSON skeleton
_FORMAT_VERSION = 1


def _safetensors_numpy():
    try:
        import safetensors.numpy as stnp
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('mg.save/mg.load need the safetensors package: pip install "minigrad[io]"') from e
    return stnp


# ---------------------------------------------------------------------------- save
def _skeleton(obj, path, arrays):
    """JSON-able description of `obj`; tensors/arrays go into `arrays` under their path."""
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray) or _is_device_array(obj):
        key = ".".join(path)
        if key in arrays:
            raise ValueError(f"mg.save: two entries flatten to the same key {key!r}; rename one of them")
        if not key:
            raise ValueError("mg.save: a bare tensor needs a name; save a dict such as {'x': tensor}")
        host = backend.to_host(obj.array if isinstance(obj, Tensor) else obj)
        # not np.ascontiguousarray: it turns 0-d arrays (num_batches_tracked) into 1-d
        arrays[key] = host if host.flags.c_contiguous else host.copy(order="C")
        return {"T" if isinstance(obj, Tensor) else "A": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"mg.save: dict keys must be str or int, got {type(k).__name__} at {'.'.join(path) or '<root>'}")
            items.append([k, _skeleton(v, path + [str(k)], arrays)])
        return {"D": items}
    if isinstance(obj, (list, tuple)):
        body = [_skeleton(v, path + [str(i)], arrays) for i, v in enumerate(obj)]
        return {"L" if isinstance(obj, list) else "U": body}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"V": obj}
    if isinstance(obj, np.generic):
        return {"V": obj.item()}
    raise TypeError(
        f"mg.save: cannot save a {type(obj).__name__} at {'.'.join(path) or '<root>'}; only dicts, lists, "
        "tuples, tensors, arrays and plain values (int, float, str, bool, None) are allowed"
    )


def _is_device_array(obj):
    return hasattr(obj, "__cuda_array_interface__") and hasattr(obj, "get")


def save(obj, path) -> None:
    """Write `obj` (e.g. ``model.state_dict()`` or ``optimizer.state_dict()``) to `path`.

    The file is a standard safetensors file; it is written atomically (temporary file in
    the same directory, fsync, rename).
    """
    stnp = _safetensors_numpy()
    arrays: dict = {}
    skeleton = _skeleton(obj, [], arrays)
    metadata = {"format": "pt", _META_KEY: json.dumps({"version": _FORMAT_VERSION, "root": skeleton})}
    data = stnp.save(arrays, metadata=metadata)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---------------------------------------------------------------------------- load
def _check_header(raw: bytes, path):
    """Validate the safetensors framing ourselves, so bad files fail with a clear error."""
    if len(raw) < 8:
        raise ValueError(f"mg.load: {path!r} is not a safetensors file (only {len(raw)} bytes)")
    n = int.from_bytes(raw[:8], "little")
    if n <= 0 or 8 + n > len(raw):
        raise ValueError(f"mg.load: {path!r} is truncated or not a safetensors file (header of {n} bytes, file of {len(raw)})")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"mg.load: {path!r} is not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise ValueError(f"mg.load: {path!r} is not a safetensors file (its header is not a JSON object)")
    data_len = len(raw) - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not offsets or offsets[1] > data_len:
            raise ValueError(f"mg.load: {path!r} is truncated: tensor {key!r} ends past the end of the file")
    return header.get("__metadata__") or {}


def _rebuild(node, arrays, device, path):
    kind, body = next(iter(node.items()))
    if kind in ("T", "A"):
        if body not in arrays:
            raise ValueError(f"mg.load: {path!r} is damaged: tensor {body!r} is listed but missing")
        arr = arrays[body]
        if kind == "A":
            return arr
        return Tensor._make(backend.asarray(arr, None, device) if device != "cpu" else arr, False, None)
    if kind == "D":
        return {k: _rebuild(v, arrays, device, path) for k, v in body}
    if kind == "L":
        return [_rebuild(v, arrays, device, path) for v in body]
    if kind == "U":
        return tuple(_rebuild(v, arrays, device, path) for v in body)
    if kind == "V":
        return body
    raise ValueError(f"mg.load: {path!r} has an unknown entry kind {kind!r}")


def load(path, device=None):
    """Read a file written by `save` (or any safetensors file) back into Python objects.

    Tensors are placed on `device` (default: the CPU); NumPy arrays stay NumPy arrays.
    A safetensors file from elsewhere loads as a flat ``{name: tensor}`` dict.
    """
    stnp = _safetensors_numpy()
    path = os.fspath(path)
    device = backend.canonical_device(device)
    with open(path, "rb") as f:
        raw = f.read()
    metadata = _check_header(raw, path)
    try:
        arrays = stnp.load(raw)
    except Exception as e:  # safetensors' own error type varies across versions
        raise ValueError(f"mg.load: {path!r} is not a valid safetensors file: {e}") from None
    if _META_KEY not in metadata:
        return {k: _rebuild({"T": k}, arrays, device, path) for k in arrays}
    try:
        doc = json.loads(metadata[_META_KEY])
        root = doc["root"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"mg.load: {path!r} has damaged minigrad metadata") from None
    if doc.get("version", 0) > _FORMAT_VERSION:
        raise ValueError(f"mg.load: {path!r} was written by a newer minigrad (format {doc['version']})")
    return _rebuild(root, arrays, device, path)
