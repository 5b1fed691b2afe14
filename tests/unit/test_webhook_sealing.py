"""Webhook secrets at rest: sealed per endpoint, with a key file only the server can read."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from loyalty_server.errors import ConfigError
from loyalty_server.webhooks.sealing import KEY_FILE, SecretBox
from loyalty_server.webhooks.signing import new_secret

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def test_round_trip(tmp_path: Path) -> None:
    box = SecretBox.open(tmp_path)
    secret = new_secret()
    blob = box.seal(secret, endpoint_id="we_1")
    assert secret.encode() not in blob
    assert blob[0] == 1
    assert box.unseal(blob, endpoint_id="we_1") == secret


def test_each_seal_uses_a_fresh_nonce(tmp_path: Path) -> None:
    box = SecretBox.open(tmp_path)
    assert box.seal("whsec_same", endpoint_id="we_1") != box.seal("whsec_same", endpoint_id="we_1")


def test_a_blob_copied_to_another_endpoint_does_not_open(tmp_path: Path) -> None:
    box = SecretBox.open(tmp_path)
    blob = box.seal(new_secret(), endpoint_id="we_1")
    with pytest.raises(ValueError, match="does not open: wrong key or endpoint"):
        box.unseal(blob, endpoint_id="we_2")


@pytest.mark.parametrize("position", [1, 12, 13, -1])
def test_a_tampered_blob_does_not_open(tmp_path: Path, position: int) -> None:
    box = SecretBox.open(tmp_path)
    blob = bytearray(box.seal(new_secret(), endpoint_id="we_1"))
    blob[position] ^= 0x01
    with pytest.raises(ValueError, match="does not open"):
        box.unseal(bytes(blob), endpoint_id="we_1")


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(27), b"\x02" + bytes(60)])
def test_a_malformed_blob_is_refused(tmp_path: Path, blob: bytes) -> None:
    with pytest.raises(ValueError, match="malformed"):
        SecretBox.open(tmp_path).unseal(blob, endpoint_id="we_1")


def test_another_key_does_not_open(tmp_path: Path) -> None:
    blob = SecretBox.open(tmp_path / "a").seal(new_secret(), endpoint_id="we_1")
    with pytest.raises(ValueError, match="does not open"):
        SecretBox.open(tmp_path / "b").unseal(blob, endpoint_id="we_1")


@posix_only
def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    SecretBox.open(tmp_path)
    path = tmp_path / KEY_FILE
    key = path.read_bytes()
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    SecretBox.open(tmp_path)
    assert path.read_bytes() == key
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary left behind


def test_a_second_open_reads_the_first_ones_blobs(tmp_path: Path) -> None:
    secret = new_secret()
    blob = SecretBox.open(tmp_path).seal(secret, endpoint_id="we_1")
    assert SecretBox.open(tmp_path).unseal(blob, endpoint_id="we_1") == secret


def test_a_missing_data_dir_is_created(tmp_path: Path) -> None:
    SecretBox.open(tmp_path / "data" / "nested")
    assert (tmp_path / "data" / "nested" / KEY_FILE).exists()


def test_concurrent_first_opens_agree_on_one_key(tmp_path: Path) -> None:
    secret = new_secret()
    boxes: list[SecretBox] = []
    barrier = threading.Barrier(8)

    def open_box() -> None:
        barrier.wait()
        boxes.append(SecretBox.open(tmp_path))

    threads = [threading.Thread(target=open_box) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    blob = boxes[0].seal(secret, endpoint_id="we_1")
    assert all(box.unseal(blob, endpoint_id="we_1") == secret for box in boxes)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_wrong_size_key_file_is_a_config_error(tmp_path: Path, size: int) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(os.urandom(size))
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="exactly 32 bytes"):
        SecretBox.open(tmp_path)


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_others_can_read_is_a_config_error(tmp_path: Path, mode: int) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(os.urandom(32))
    path.chmod(mode)
    with pytest.raises(ConfigError, match="chmod 600"):
        SecretBox.open(tmp_path)


def test_repr_hides_the_key(tmp_path: Path) -> None:
    box = SecretBox.open(tmp_path)
    key = (tmp_path / KEY_FILE).read_bytes()
    shown = repr(box) + str(box)
    assert "hidden" in shown
    assert key.hex() not in shown
    assert repr(key) not in shown
