"""Stored files: bytes under a name, nothing else known about them."""

import pytest

from svclib.storage import LocalStorage


def test_store_open_delete(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.store("a1b2.bin", b"one")
    storage.store("a1b2.bin", b"two")
    assert storage.open("a1b2.bin") == b"two"
    storage.delete("a1b2.bin")
    assert storage.open("a1b2.bin") is None
    storage.delete("a1b2.bin")  # forgetting twice is fine


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", ".hidden", "", "a..b", "x" * 200])
def test_a_name_cannot_leave_the_root(tmp_path, name):
    storage = LocalStorage(tmp_path / "root")
    with pytest.raises(ValueError):
        storage.store(name, b"no")
    assert storage.open(name) is None
    assert not (tmp_path / "etc").exists()
