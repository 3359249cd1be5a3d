"""A package index in a folder, for builds that must not touch the network.

It serves a pure wheel (``tinypure``), a wheel for another Python only (``oldpython``) and an
sdist whose ``setup.py`` connects to a socket on 127.0.0.1 (``phonehome``): the ``listener``
fixture tells whether anything ever ran it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import tarfile
import zipfile
from pathlib import Path

import pytest


# -- a local package index ----------------------------------------------------------------------
def _wheel(folder: Path, name: str, version: str, tag: str, files: dict[str, bytes]) -> None:
    dist = f"{name}-{version}.dist-info"
    content = {
        **files,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        f"Tag: {tag}\n".encode(),
    }
    records = []
    for path, data in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{path},sha256={digest},{len(data)}")
    content[f"{dist}/RECORD"] = ("\n".join([*records, f"{dist}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(folder / f"{name}-{version}-{tag}.whl", "w") as archive:
        for path, data in content.items():
            archive.writestr(path, data)


def _sdist(folder: Path, name: str, version: str, setup_py: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in {
            f"{name}-{version}/setup.py": setup_py,
            f"{name}-{version}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\n"
            f"Version: {version}\n",
        }.items():
            info = tarfile.TarInfo(path)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    (folder / f"{name}-{version}.tar.gz").write_bytes(buffer.getvalue())


def make_index(root: Path, packages: dict[str, list[Path]]) -> str:
    """A PEP 503 'simple' index in a folder: one page per project listing its files."""
    simple = root / "simple"
    for name, files in packages.items():
        page = simple / name
        page.mkdir(parents=True)
        links = "".join(f'<a href="{f.as_uri()}">{f.name}</a>\n' for f in files)
        (page / "index.html").write_text(f"<html><body>{links}</body></html>")
    return simple.as_uri()


@pytest.fixture
def listener():
    """A socket on 127.0.0.1 that a package's setup.py would try to reach."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        server.setblocking(False)
        yield server


@pytest.fixture
def local_index(tmp_path, listener):
    files = tmp_path / "files"
    files.mkdir()
    port = listener.getsockname()[1]
    _sdist(
        files,
        "phonehome",
        "1.0",
        f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
        "from setuptools import setup\nsetup(name='phonehome', version='1.0')\n",
    )
    _wheel(files, "oldpython", "1.0", "cp39-cp39-manylinux_2_17_x86_64", {"oldpython.py": b""})
    _wheel(files, "tinypure", "1.0", "py3-none-any", {"tinypure.py": b"VALUE = 42\n"})
    return make_index(
        tmp_path,
        {
            "phonehome": [files / "phonehome-1.0.tar.gz"],
            "oldpython": [files / "oldpython-1.0-cp39-cp39-manylinux_2_17_x86_64.whl"],
            "tinypure": [files / "tinypure-1.0-py3-none-any.whl"],
        },
    )
