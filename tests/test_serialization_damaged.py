"""mg.load of damaged and hostile files: one ValueError naming the file, fast, bounded memory.

A generator below makes every kind of bad file (truncations at many offsets, flipped header
bytes, hostile headers); each must fail the same way: ValueError, the file's name in the
message, never StopIteration (which would silently end a map() or generator), TypeError,
IndexError, AttributeError or RecursionError.
"""
import json
import re
import time
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def checkpoint_bytes(tmp_path):
    path = tmp_path / "good.st"
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt_like = {"model": m.state_dict(), "state": {0: {"step": 3, "buf": mg.ones(2)}}, "names": ("a", None)}
    mg.save(opt_like, path)
    return path.read_bytes()


def framed(header, data=b""):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def tensor_entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def minigrad_file(root, tensors=None, data=b""):
    meta = {"minigrad": json.dumps({"version": 1, "root": root})}
    return framed({"__metadata__": meta, **(tensors or {})}, data)


def hostile_files():
    """(name, bytes) for each hostile or malformed header."""
    nested = b"[" * 200_000 + b"]" * 200_000
    yield "empty", b""
    yield "seven_bytes", b"\x01" * 7
    yield "huge_header_length", (2**63).to_bytes(8, "little") + b"{}"
    yield "header_longer_than_file", (1000).to_bytes(8, "little") + b"{}"
    yield "header_length_zero", (0).to_bytes(8, "little")
    yield "header_not_json", framed(b"{not json at all}")
    yield "header_not_utf8", framed(b'{"\xff\xfe":1}')
    yield "header_is_a_list", framed([1, 2, 3])
    yield "header_is_a_number", framed(b"12345678")
    yield "deeply_nested_header", framed(nested)
    yield "deeply_nested_entry", framed(b'{"a":' + nested + b"}")
    yield "million_empty_entries", framed(b"{" + b",".join(b'"%d":{}' % i for i in range(1_000_000)) + b"}")
    yield "million_int_entries", framed(b"{" + b",".join(b'"%d":0' % i for i in range(1_000_001)) + b"}")
    yield "too_many_tensors", framed({f"t{i}": tensor_entry("U8", (0,), (0, 0)) for i in range(100_001)})
    yield "header_over_size_limit", framed(b'{"a":"' + b"x" * (33 * 2**20) + b'"}')
    yield "entry_not_an_object", framed({"w": [1, 2]})
    yield "entry_missing_offsets", framed({"w": {"dtype": "F32", "shape": [2]}}, b"\0" * 8)
    yield "entry_extra_field", framed({"w": {**tensor_entry(), "extra": 1}}, b"\0" * 8)
    for bad in ("C64", "F8", "object", "f4", "", 5, None, ["F32"]):
        yield f"dtype_{bad!r}", framed({"w": tensor_entry(dtype=bad)}, b"\0" * 8)
    for bad in ([-1], [2.0], ["2"], [True, 2], 2, None, [1] * 65):
        yield f"shape_{str(bad)[:20]}", framed({"w": {**tensor_entry(), "shape": bad}}, b"\0" * 8)
    for bad in ([0, 16], [-8, 0], [8, 0], [0], [0, 8, 16], "0-8", [0.0, 8.0], [0, 2**70], None):
        yield f"offsets_{bad!r}", framed({"w": {**tensor_entry(), "data_offsets": bad}}, b"\0" * 8)
    yield "offsets_disagree_with_shape", framed({"w": tensor_entry(shape=(3,), offsets=(0, 8))}, b"\0" * 8)
    yield "huge_shape_small_offsets", framed({"w": tensor_entry(shape=(2**40, 2**40), offsets=(0, 8))}, b"\0" * 8)
    yield "overlapping_offsets", framed({"a": tensor_entry(offsets=(0, 8)), "b": tensor_entry(offsets=(4, 12))}, b"\0" * 12)
    yield "same_offsets_twice", framed({"a": tensor_entry(offsets=(0, 8)), "b": tensor_entry(offsets=(0, 8))}, b"\0" * 8)
    yield "gap_between_tensors", framed({"a": tensor_entry(offsets=(0, 8)), "b": tensor_entry(offsets=(12, 20))}, b"\0" * 20)
    yield "trailing_bytes", framed({"a": tensor_entry()}, b"\0" * 9)
    yield "duplicate_keys", framed(b'{"a":' + json.dumps(tensor_entry()).encode() + b',"a":'
                                   + json.dumps(tensor_entry()).encode() + b"}", b"\0" * 8)
    yield "metadata_not_an_object", framed({"__metadata__": ["x"]})
    yield "metadata_values_not_strings", framed({"__metadata__": {"minigrad": {"root": 1}}})
    yield "skeleton_not_json", framed({"__metadata__": {"minigrad": "{nope"}})
    yield "skeleton_without_root", framed({"__metadata__": {"minigrad": json.dumps({"version": 1})}})
    yield "skeleton_newer_version", framed({"__metadata__": {"minigrad": json.dumps({"version": 99, "root": {"V": 1}})}})
    yield "skeleton_version_not_int", framed({"__metadata__": {"minigrad": json.dumps({"version": "1", "root": {"V": 1}})}})
    yield "skeleton_is_a_list", framed({"__metadata__": {"minigrad": "[1, 2]"}})
    yield "skeleton_empty_node", minigrad_file({})
    yield "skeleton_node_two_kinds", minigrad_file({"V": 1, "L": []})
    yield "skeleton_unknown_kind", minigrad_file({"Z": 1})
    yield "skeleton_node_not_a_dict", minigrad_file({"L": [5]})
    yield "skeleton_body_not_a_list", minigrad_file({"D": {"a": 1}})
    yield "skeleton_dict_item_malformed", minigrad_file({"D": [["a"]]})
    yield "skeleton_dict_key_a_list", minigrad_file({"D": [[["a"], {"V": 1}]]})
    yield "skeleton_value_a_dict", minigrad_file({"V": {"a": 1}})
    yield "skeleton_missing_tensor", minigrad_file({"T": "w"})
    yield "skeleton_tensor_name_not_str", minigrad_file({"T": ["w"]})
    yield "skeleton_tensor_twice", minigrad_file({"L": [{"T": "w"}, {"A": "w"}]}, {"w": tensor_entry()}, b"\0" * 8)
    deep = {"V": 1}
    for _ in range(100):
        deep = {"L": [deep]}
    yield "skeleton_nested_100", minigrad_file(deep)
    yield "skeleton_nested_100000", framed({"__metadata__": {"minigrad": '{"version":1,"root":'
                                                             + '{"L":[' * 100_000 + "]}" * 100_000 + "}"}})
    yield "pickle", b"\x80\x04\x95" + b"\0" * 40
    yield "zip", b"PK\x03\x04" + b"\0" * 40
    yield "text", b"these are not the tensors you are looking for"


def assert_clear_value_error(path):
    with pytest.raises(ValueError, match=path.name) as info:
        mg.load(path)
    assert "mg.load" in str(info.value)
    return info.value


@pytest.mark.parametrize("name,data", list(hostile_files()), ids=lambda v: v if isinstance(v, str) else "")
def test_hostile_file_raises_one_value_error_fast_with_bounded_memory(tmp_path, name, data):
    path = tmp_path / (re.sub(r"\W", "_", name) + ".st")
    path.write_bytes(data)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        assert_clear_value_error(path)
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 5.0, f"{name}: {elapsed:.1f} s"
    # the header is read once (at most 32 MiB) plus its decoded text; nothing proportional to claimed sizes
    assert peak < 3 * len(data) + 8 * 2**20, f"{name}: peak {peak / 2**20:.0f} MiB"


def test_every_truncation_raises_value_error_naming_the_file(tmp_path):
    data = checkpoint_bytes(tmp_path)
    path = tmp_path / "cut.st"
    cuts = sorted(set(range(0, len(data), 7)) | {len(data) - 1, len(data) - 4, 8, 9})
    for cut in cuts:
        path.write_bytes(data[:cut])
        assert_clear_value_error(path)
    assert len(cuts) > 100


def test_every_flipped_header_byte_raises_value_error_naming_the_file(tmp_path):
    data = checkpoint_bytes(tmp_path)
    header_end = 8 + int.from_bytes(data[:8], "little")
    path = tmp_path / "flipped.st"
    for i in range(header_end):
        damaged = bytearray(data)
        damaged[i] ^= 0x80  # a high bit in the JSON makes it invalid UTF-8; in the length, a wrong frame
        path.write_bytes(bytes(damaged))
        assert_clear_value_error(path)


def test_flipped_data_bytes_load_or_raise_value_error_never_anything_else(tmp_path):
    data = checkpoint_bytes(tmp_path)
    header_end = 8 + int.from_bytes(data[:8], "little")
    path = tmp_path / "flipped.st"
    for i in range(header_end, len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        path.write_bytes(bytes(damaged))
        assert isinstance(mg.load(path), dict)  # tensor bytes carry no structure: any bits are values


def test_a_bad_file_inside_map_raises_instead_of_ending_it(tmp_path):
    good = tmp_path / "good.st"
    bad = tmp_path / "bad.st"
    mg.save({"w": mg.ones(2)}, good)
    bad.write_bytes(good.read_bytes()[:-3])
    with pytest.raises(ValueError, match="bad.st"):
        list(map(mg.load, [good, bad, good]))


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.st")


def test_a_hand_built_valid_file_loads(tmp_path):
    # guards the generator: the same framing with consistent fields is accepted
    path = tmp_path / "ok.st"
    data = np.array([1.5, -2.0], dtype=np.float32).tobytes()
    path.write_bytes(framed({"w": tensor_entry()}, data))
    assert mg.load(path)["w"].tolist() == [1.5, -2.0]
