"""``mg.save`` / ``mg.load``: checkpoints as safetensors files, never pickle.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are tensors,
NumPy arrays or plain values (int, float, str, bool, None). Tensors and arrays become
safetensors entries named by their dotted path (``"0.weight"``,
``"state.0.exp_avg"``), so a module's ``state_dict`` saved here is an ordinary
safetensors file: ``safetensors.torch.load_file`` reads it with PyTorch's key names.
Everything else — the structure, dict key types (int keys of an optimizer's state),
plain values — is one JSON document in the file's metadata, so loading rebuilds the
object exactly.

Saving streams the tensors one by one into a temporary file named after the target
(``.{name}.tmp-{pid}-{random}``) in the target's directory, fsyncs it, renames it over
the target and fsyncs the directory: a crash leaves either the old file or the new one,
never half of one, and the next save of the same target removes temporaries left by
writers that died. ``save`` refuses anything ``load`` could not read back.

Loading checks every field of the header before trusting it and reads each tensor
straight into its array. Any malformed file — truncated, damaged, foreign or hostile
(huge lengths, deep nesting, millions of entries, bad dtypes, overlapping offsets) —
raises one ``ValueError`` naming the file and the fault, within bounded time and
memory (limits in ``minigrad._safetensors``). No code is ever executed on load.
"""
from __future__ import annotations

import json
import os
import secrets
import time

import numpy as np

from . import _safetensors as st
from . import backend
from .tensor import Tensor

_META_KEY = "minigrad"  # metadata entry holding the JSON skeleton
_FORMAT_VERSION = 1
MAX_DEPTH = 64  # nesting of dicts/lists/tuples in a checkpoint
_STALE_AFTER_S = 3600  # a temporary untouched this long belongs to a writer that hung or died


# ---------------------------------------------------------------------------- save
def _where(path):
    return ".".join(path) or "<root>"


def _skeleton(obj, path, arrays):
    """JSON-able description of `obj`; tensors/arrays go into `arrays` under their path."""
    if len(path) > MAX_DEPTH:
        raise ValueError(f"mg.save: {_where(path[:8])}... is nested deeper than {MAX_DEPTH} levels "
                         "(or contains itself); mg.load would refuse it")
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray) or _is_device_array(obj):
        key = ".".join(path)
        if not key:
            raise ValueError("mg.save: a bare tensor needs a name; save a dict such as {'x': tensor}")
        if key in arrays:
            raise ValueError(f"mg.save: two entries flatten to the same key {key!r}; rename one of them")
        if key == "__metadata__":
            raise ValueError("mg.save: '__metadata__' is reserved by the safetensors format; rename that entry")
        array = obj.array if isinstance(obj, Tensor) else obj
        if st.dtype_code(array.dtype) is None:
            raise TypeError(f"mg.save: {key!r} has dtype {array.dtype}, which safetensors cannot store "
                            f"(supported: bool, int8-64, uint8-64, float16/32/64)")
        arrays[key] = array
        return {"T" if isinstance(obj, Tensor) else "A": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"mg.save: dict keys must be str or int, got {type(k).__name__} at {_where(path)}")
            items.append([k, _skeleton(v, path + [str(k)], arrays)])
        return {"D": items}
    if isinstance(obj, (list, tuple)):
        body = [_skeleton(v, path + [str(i)], arrays) for i, v in enumerate(obj)]
        return {"L" if isinstance(obj, list) else "U": body}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"V": obj}
    if isinstance(obj, np.generic) and isinstance(obj.item(), (bool, int, float)):
        return {"V": obj.item()}
    raise TypeError(
        f"mg.save: cannot save a {type(obj).__name__} at {_where(path)}; only dicts, lists, "
        "tuples, tensors, arrays and plain values (int, float, str, bool, None) are allowed"
    )


def _is_device_array(obj):
    return hasattr(obj, "__cuda_array_interface__") and hasattr(obj, "get")


def _temp_prefix(path):
    return f".{os.path.basename(path)}.tmp-"


def _remove_stale_temporaries(path, now):
    """Delete temporaries of this target whose writer is gone or that nobody touched for an hour."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temp_prefix(path)
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix):].split("-", 1)[0]
        full = os.path.join(directory, name)
        try:
            stale = (not pid_text.isdigit() or not _alive(int(pid_text))
                     or now - os.stat(full).st_mtime > _STALE_AFTER_S)
            if stale:
                os.remove(full)
        except OSError:  # another save removed it first, or it is not ours to remove
            pass


def _alive(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _fsync_directory(directory):
    if os.name != "posix":  # pragma: no cover - Windows cannot open directories
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - an unreadable directory: the rename is done regardless
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some network filesystems cannot fsync a directory
        pass
    finally:
        os.close(fd)


def save(obj, path) -> None:
    """Write `obj` (e.g. ``model.state_dict()`` or ``optimizer.state_dict()``) to `path`.

    The file is a standard safetensors file, written atomically and streamed: tensors go
    to a temporary file one at a time (a GPU tensor is copied to the host alone), which
    is fsynced and renamed over `path`; the directory is fsynced after the rename.
    Raises TypeError/ValueError, before writing anything, for what `mg.load` could not
    read back (sets, complex/object/str arrays, non-str/int keys, a tensor named
    ``"__metadata__"``, nesting deeper than 64 levels).
    """
    arrays: dict = {}
    skeleton = _skeleton(obj, [], arrays)
    if len(arrays) > st.MAX_TENSORS:
        raise ValueError(f"mg.save: {len(arrays):,} tensors exceed the {st.MAX_TENSORS:,} mg.load accepts")
    metadata = {"format": "pt", _META_KEY: json.dumps({"version": _FORMAT_VERSION, "root": skeleton})}
    entries = [(k, st.dtype_code(a.dtype), tuple(a.shape), int(a.nbytes)) for k, a in arrays.items()]
    header = st.build_header(entries, metadata)
    if len(header) - 8 > st.MAX_HEADER_BYTES or header.count(b"{") + header.count(b"[") + header.count(b",") > st.MAX_JSON_ITEMS:
        raise ValueError(f"mg.save: the checkpoint's structure is too large for mg.load's header limits "
                         f"({len(header) - 8:,} bytes)")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    now = time.time()
    _remove_stale_temporaries(path, now)
    tmp = os.path.join(directory, f"{_temp_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            for array in arrays.values():
                st.write_array(f, backend.to_host(array))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


# ---------------------------------------------------------------------------- load
class _Rebuilder:
    """Turns a validated skeleton back into objects, reading each tensor when it is reached."""

    def __init__(self, f, tensors, data_start, device):
        self.f, self.data_start, self.device = f, data_start, device
        self.tensors = {name: (dtype, shape, begin) for name, dtype, shape, begin in tensors}
        self.used = set()

    def array(self, name):
        if not isinstance(name, str) or name not in self.tensors:
            raise st.FormatError(f"its structure refers to a tensor {name!r} the file does not hold")
        if name in self.used:
            raise st.FormatError(f"its structure refers to tensor {name!r} twice")
        self.used.add(name)
        dtype, shape, begin = self.tensors[name]
        return st.read_array(self.f, dtype, shape, self.data_start + begin)

    def tensor(self, name):
        host = self.array(name)
        data = backend.asarray(host, None, self.device) if self.device != "cpu" else host
        return Tensor._make(data, False, None)

    def build(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise st.FormatError(f"its structure is nested deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict) or len(node) != 1:
            raise st.FormatError("its structure has a malformed node")
        (kind, body), = node.items()
        if kind == "T":
            return self.tensor(body)
        if kind == "A":
            return self.array(body)
        if kind == "V":
            if body is None or isinstance(body, (bool, int, float, str)):
                return body
            raise st.FormatError(f"its structure has a value of type {type(body).__name__}")
        if not isinstance(body, list):
            raise st.FormatError(f"its structure has a {kind!r} node whose body is not a list")
        if kind == "D":
            out = {}
            for item in body:
                if (not isinstance(item, list) or len(item) != 2 or isinstance(item[0], bool)
                        or not isinstance(item[0], (str, int))):
                    raise st.FormatError("its structure has a malformed dict item")
                out[item[0]] = self.build(item[1], depth + 1)
            return out
        if kind == "L":
            return [self.build(v, depth + 1) for v in body]
        if kind == "U":
            return tuple(self.build(v, depth + 1) for v in body)
        raise st.FormatError(f"its structure has an unknown node kind {kind!r}")


def _skeleton_of(metadata):
    doc = st.parse_json(metadata[_META_KEY].encode("utf-8", "surrogatepass"), "minigrad metadata")
    if not isinstance(doc, dict) or "root" not in doc or type(doc.get("version", 0)) is not int:
        raise st.FormatError("its minigrad metadata is damaged")
    if doc.get("version", 0) > _FORMAT_VERSION:
        raise st.FormatError(f"it was written by a newer minigrad (format {doc['version']})")
    return doc["root"]


def load(path, device=None, *, weights_only=True):
    """Read a file written by `save` (or any safetensors file) back into Python objects.

    Tensors are placed on `device` (default: the CPU); NumPy arrays stay NumPy arrays.
    A safetensors file from elsewhere loads as a flat ``{name: tensor}`` dict.
    Each tensor is read straight from the file into its own array (peak memory is the
    checkpoint's size, not twice it). Any malformed file raises ``ValueError`` naming
    the file and what is wrong; a missing file raises ``FileNotFoundError``.

    `weights_only` is accepted for PyTorch compatibility and changes nothing: minigrad
    never unpickles, so loading a file cannot run code whatever its value.
    """
    path = os.fspath(path)
    device = backend.canonical_device(device)
    with open(path, "rb") as f:
        try:
            size = os.fstat(f.fileno()).st_size
            tensors, metadata, data_start = st.read_header(f, size)
            rebuilder = _Rebuilder(f, tensors, data_start, device)
            if _META_KEY not in metadata:
                return {name: rebuilder.tensor(name) for name, *_ in tensors}
            result = rebuilder.build(_skeleton_of(metadata))
        except st.FormatError as e:
            raise ValueError(f"mg.load: {path!r} cannot be loaded: {e}") from None
        except RecursionError:
            raise ValueError(f"mg.load: {path!r} cannot be loaded: its structure is nested too deeply") from None
        except MemoryError:
            raise ValueError(f"mg.load: {path!r} cannot be loaded: a tensor does not fit in memory") from None
    return result
