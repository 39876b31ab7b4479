"""The audio behind a recording's fileUrl: a WAV file (RIFF, PCM 16-bit mono 8 kHz, telephone quality).

The sound is one second of a quiet tone with a slow tremolo and a little noise, drawn from the
recording's own seeded source and repeated for the recording's length. Whole-hertz frequencies make
that second loop seamlessly, and any byte range is read straight out of it, so a ten-minute file
costs no more to serve than its bytes.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections import OrderedDict

from simulator.core.blobs import Blob
from simulator.core.rand import SeededSource

RATE = 8000  # samples per second
SAMPLE_BYTES = 2
HEADER_BYTES = 44
_SECOND_BYTES = RATE * SAMPLE_BYTES
_CACHE_SIZE = 64
_seconds: OrderedDict[tuple[int, str], bytes] = OrderedDict()


def frames_for(seconds: float) -> int:
    return round(seconds * RATE)


def wav_header(frames: int) -> bytes:
    data = frames * SAMPLE_BYTES
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data, b"WAVE",
        b"fmt ", 16, 1, 1, RATE, RATE * SAMPLE_BYTES, SAMPLE_BYTES, 8 * SAMPLE_BYTES,
        b"data", data,
    )


def _second_of_audio(source: SeededSource) -> bytes:
    """One second of little-endian samples; kept for the last few recordings served (range requests)."""
    key = (source.seed, source.scope)
    cached = _seconds.get(key)
    if cached is not None:
        _seconds.move_to_end(key)
        return cached
    tone = source.integer(220, 660)  # Hz
    level = source.integer(600, 1400)  # about -30 dBFS: quiet
    noise = source.bytes(RATE)
    samples = array("h", (
        int(level * (0.6 + 0.4 * math.sin(4 * math.pi * i / RATE)) * math.sin(2 * math.pi * tone * i / RATE))
        + (noise[i] - 128)
        for i in range(RATE)
    ))
    if sys.byteorder == "big":
        samples.byteswap()
    block = samples.tobytes()
    _seconds[key] = block
    if len(_seconds) > _CACHE_SIZE:
        _seconds.popitem(last=False)
    return block


def wav_blob(source: SeededSource, seconds: float, filename: str) -> Blob:
    frames = frames_for(seconds)
    header = wav_header(frames)
    block = _second_of_audio(source)
    size = HEADER_BYTES + frames * SAMPLE_BYTES

    def read(start: int, end: int) -> bytes:
        out = bytearray()
        position = start
        while position < end:
            if position < HEADER_BYTES:
                chunk = header[position : min(end, HEADER_BYTES)]
            else:
                offset = (position - HEADER_BYTES) % _SECOND_BYTES
                chunk = block[offset : offset + min(end - position, _SECOND_BYTES - offset)]
            out += chunk
            position += len(chunk)
        return bytes(out)

    return Blob(size=size, media_type="audio/wav", read=read, filename=filename)
