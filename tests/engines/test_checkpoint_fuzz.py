"""Corrupt checkpoints: every mutation of a valid file is refused with a CatoptError (never a
ValueError, TypeError or a huge allocation from deep inside numpy)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co


def _problem() -> co.OpenProblem:
    d = co.relation("(a,) :- f(a, b), g(b)")
    return co.compose(d, [co.OpenProblem(lambda x: (x[0] - 1) ** 2 + x[1] ** 2, 2, ports=[0, 1]),
                          co.OpenProblem(lambda x: x[0] ** 2, 1, ports=[0])])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("ck")
    co.solve(_problem(), step=0.1, steps=6, checkpoint=folder)
    return (folder / "checkpoint.npz").read_bytes()


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return out.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _resume(tmp: Path, blob: bytes) -> None:
    (tmp / "checkpoint.npz").write_bytes(blob)
    co.solve(_problem(), step=0.1, steps=20, resume=tmp)


REPLACEMENTS = [np.array([1, 2], dtype=object), np.array("text"), np.zeros((2, 2)),
                np.array(3.5), np.array(-7), np.zeros(0), np.array([1j, 2j]),
                np.array(["a", "b"]), np.arange(10**3)]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mutated_checkpoints_raise_only_catopt_errors(saved, tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    members = _members(saved)
    how = data.draw(st.sampled_from(["bytes", "truncate", "member", "drop", "header"]))
    if how == "bytes":
        blob = bytearray(saved)
        for _ in range(data.draw(st.integers(1, 20))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    elif how == "truncate":
        blob = saved[:data.draw(st.integers(0, len(saved) - 1))]
    elif how == "member":
        key = data.draw(st.sampled_from(sorted(members)))
        members[key] = _npy(data.draw(st.sampled_from(REPLACEMENTS)))
        blob = _zip(members)
    elif how == "drop":
        members.pop(data.draw(st.sampled_from(sorted(members))))
        blob = _zip(members)
    else:  # a header that declares an enormous array in a tiny file
        key = data.draw(st.sampled_from(sorted(members)))
        header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': (0, {2**70}), }}"
        header = header + " " * (118 - len(header)) + "\n"
        members[key] = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + \
            header.encode() + b"\x00" * 8
        blob = _zip(members)
    try:
        _resume(tmp, blob)
    except co.CatoptError:
        pass


def test_a_checkpoint_with_a_huge_member_is_refused_before_allocating(saved, tmp_path) -> None:
    members = _members(saved)
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (400000000,), }"
    header = header + " " * (118 - len(header)) + "\n"
    members["history.npy"] = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + \
        header.encode()
    with pytest.raises(co.LimitError, match="max_record"):
        _resume(tmp_path, _zip(members))
