"""The safetensors file format, written and read one tensor at a time (host-side).

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON (an
object mapping tensor names to ``{"dtype", "shape", "data_offsets"}`` plus an optional
``"__metadata__"`` object of strings), then the tensors' bytes back to back. This module
streams tensors to and from the file instead of building the whole checkpoint in memory,
and checks every field of a header before trusting it: each malformed file is one
``ValueError`` naming the file and the fault, and the limits below bound the time and
memory a hostile header can cost.
"""
from __future__ import annotations

import json

import numpy as np

MAX_HEADER_BYTES = 32 * 2**20
MAX_JSON_ITEMS = 1_000_000  # '{', '[' and ',' bytes: an upper bound on the values in a header
MAX_TENSORS = 100_000
MAX_NDIM = 64

# safetensors' dtype names; complex, object, str and datetime arrays have none
_CODES = {
    "BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2", "F16": "<f2",
    "I32": "<i4", "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8",
}
DTYPES = {code: np.dtype(s) for code, s in _CODES.items()}
_NAMES = {dt.newbyteorder("="): code for code, dt in DTYPES.items()}


class FormatError(ValueError):
    """A malformed file; the caller adds the file name."""


def dtype_code(dtype) -> str | None:
    """The safetensors name of a NumPy dtype (either byte order), or None if it has none."""
    return _NAMES.get(np.dtype(dtype).newbyteorder("="))


# ---------------------------------------------------------------------------- write
def build_header(entries, metadata) -> bytes:
    """The length prefix and JSON header for `entries`: (name, code, shape, nbytes) in file order."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, code, shape, nbytes in entries:
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("ascii")
    text += b" " * (-len(text) % 8)  # tensors start 8-byte aligned, as safetensors writes them
    return len(text).to_bytes(8, "little") + text


def write_array(f, host) -> None:
    """Write one host array's bytes, little-endian and C-ordered, copying only if it must."""
    if host.dtype.byteorder == ">":
        host = host.astype(host.dtype.newbyteorder("<"))
    if not host.flags.c_contiguous:
        host = host.copy(order="C")
    if host.size:
        f.write(host.reshape(-1).view(np.uint8))


# ---------------------------------------------------------------------------- read
def _pairs_without_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise FormatError("its header repeats a key")
    return dict(pairs)


def parse_json(text: bytes, what: str):
    """JSON from untrusted bytes, with the item and nesting limits enforced."""
    items = text.count(b"{") + text.count(b"[") + text.count(b",")
    if items > MAX_JSON_ITEMS:
        raise FormatError(f"its {what} has over {MAX_JSON_ITEMS:,} JSON items (limit)")
    try:
        return json.loads(text.decode("utf-8"), object_pairs_hook=_pairs_without_duplicates)
    except RecursionError:
        raise FormatError(f"its {what} is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        if isinstance(e, FormatError):
            raise
        raise FormatError(f"its {what} is not valid JSON") from None


def read_header(f, file_size: int):
    """(tensors, metadata, data_start) from an open file; tensors is [(name, dtype, shape, begin)] by offset."""
    prefix = f.read(8)
    if len(prefix) < 8:
        raise FormatError(f"it is not a safetensors file (only {len(prefix)} bytes)")
    n = int.from_bytes(prefix, "little")
    if n < 2 or n > MAX_HEADER_BYTES:
        raise FormatError(f"it is not a safetensors file (header length {n} is outside 2..{MAX_HEADER_BYTES})")
    if 8 + n > file_size:
        raise FormatError(f"it is truncated (header of {n} bytes, file of {file_size})")
    text = f.read(n)
    if text.count(b'"data_offsets"') > MAX_TENSORS:  # before parsing: one per tensor entry
        raise FormatError(f"it lists over {MAX_TENSORS:,} tensors (limit)")
    header = parse_json(text, "header")
    if not isinstance(header, dict):
        raise FormatError("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("its __metadata__ is not an object of strings")
    if len(header) > MAX_TENSORS:
        raise FormatError(f"it lists {len(header):,} tensors (limit {MAX_TENSORS:,})")
    data_len = file_size - 8 - n
    tensors = sorted((_check_entry(name, info, data_len) for name, info in header.items()), key=lambda t: t[3])
    end = 0
    for name, _, _, begin, stop in tensors:
        if begin != end:  # safetensors' own rule: back to back, no gaps, no overlaps
            raise FormatError(f"tensor {name!r} starts at byte {begin}, expected {end} (gap or overlap)")
        end = stop
    if end != data_len:
        raise FormatError(f"its tensors end at byte {end} of a {data_len}-byte data section (truncated or trailing bytes)")
    return [t[:4] for t in tensors], metadata, 8 + n


def _check_entry(name, info, data_len):
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise FormatError(f"entry {name!r} is not {{dtype, shape, data_offsets}}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        raise FormatError(f"tensor {name!r} has an unsupported dtype {code!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_NDIM
            or not all(type(s) is int and s >= 0 for s in shape)):
        raise FormatError(f"tensor {name!r} has a bad shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(o) is int for o in offsets) or not 0 <= offsets[0] <= offsets[1] <= data_len):
        raise FormatError(f"tensor {name!r} has data_offsets {offsets!r} outside the {data_len}-byte data section")
    dtype = DTYPES[code]
    count = 1
    for s in shape:
        count *= s
    if count * dtype.itemsize != offsets[1] - offsets[0]:
        raise FormatError(f"tensor {name!r} of shape {shape} and dtype {code} needs {count * dtype.itemsize} bytes, "
                          f"its offsets span {offsets[1] - offsets[0]}")
    return name, dtype, tuple(shape), offsets[0], offsets[1]


def read_array(f, dtype, shape, position: int):
    """One tensor read straight into a fresh native-endian array (no intermediate buffer)."""
    out = np.empty(shape, dtype=dtype.newbyteorder("="))
    f.seek(position)
    view = out.reshape(-1).view(np.uint8)
    if f.readinto(view) != view.size:
        raise FormatError("it was truncated while being read")
    if not np.little_endian and dtype.itemsize > 1:  # pragma: no cover - big-endian hosts
        out.byteswap(inplace=True)
    return out
