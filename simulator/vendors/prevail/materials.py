"""Bytes behind the recordings' presigned URLs: an MP4 header then deterministic filler, exactly
as long as the size the API reports."""

from __future__ import annotations

import hashlib

from simulator.core.blobs import Blob

_BLOCK = 65536


def _ftyp() -> bytes:
    brand = b"ftypisom" + (512).to_bytes(4, "big") + b"isomiso2mp41"
    return (8 + len(brand)).to_bytes(4, "big") + brand


def recording_blob(key: str, size: int, filename: str) -> Blob:
    header = _ftyp()
    block = b"".join(hashlib.sha256(f"{key}:{i}".encode()).digest() for i in range(_BLOCK // 32))

    def read(start: int, end: int) -> bytes:
        out = bytearray()
        position = start
        while position < end:
            if position < len(header):
                chunk = header[position : min(end, len(header))]
            else:
                offset = (position - len(header)) % _BLOCK
                chunk = block[offset : offset + min(end - position, _BLOCK - offset)]
            out += chunk
            position += len(chunk)
        return bytes(out)

    return Blob(size=size, media_type="audio/mp4", read=read, filename=filename)
