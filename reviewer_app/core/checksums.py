"""Content hashes of files: a call is identified by its audio's sha256, a model file is checked by its own."""
from __future__ import annotations

import hashlib
import os


def sha256_of_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
