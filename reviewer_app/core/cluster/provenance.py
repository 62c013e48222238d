"""Who analysed a call: stored with it (`calls.analysed_by`) and written in its JSON.

`{"node": <Ray node id, or the host name in-process>, "host": ..., "pid": ..., "device": "cpu"|"cuda"}`.
A library whose calls from one node look wrong can be searched by that node. No Ray import here:
the in-process pipeline uses it too.
"""
from __future__ import annotations

import os
import socket


def provenance(device: str, node: str | None = None) -> dict:
    host = socket.gethostname()
    return {"node": node or host, "host": host, "pid": os.getpid(), "device": device}
