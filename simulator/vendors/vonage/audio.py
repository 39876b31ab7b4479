"""Recordings behind ``audio_url``: silent MPEG-1 Layer III audio exactly as long as the call."""

from __future__ import annotations

from simulator.core.blobs import Blob

# One frame: MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono, no padding -> 144 bytes lasting 36 ms.
_FRAME = b"\xff\xfb\x18\xc0" + bytes(140)
FRAME_MS = 36


def recording(length_ms: int, filename: str) -> Blob:
    frames = max(1, -(-length_ms // FRAME_MS))
    size = frames * len(_FRAME)

    def read(start: int, end: int) -> bytes:
        first = start // len(_FRAME)
        chunk = _FRAME * (-(-end // len(_FRAME)) - first)
        offset = first * len(_FRAME)
        return chunk[start - offset:end - offset]

    return Blob(size=size, media_type="audio/mpeg", read=read, filename=filename)
