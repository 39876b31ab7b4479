"""What the download URLs serve: chat CSV, transcripts (CSV, JSON, SRT, VTT) and the summary text.

All of it is built from the session's own participants and times: a line is spoken or a message sent
only by someone present at that moment. The lines are drawn from the session's seeded stream as a
whole and then cut at the namespace clock, so a LIVE session's chat grows and never changes its past.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import orjson

from simulator.core.blobs import Blob
from simulator.core.clock import isoformat, to_datetime
from simulator.core.rand import SeededSource
from simulator.vendors.realtimekit.sessions import Participant, Session

TRANSCRIPT_FORMATS = {
    "CSV": ("transcript.csv", "text/csv; charset=utf-8"),
    "JSON": ("transcript.json", "application/json"),
    "SRT": ("transcript.srt", "application/x-subrip"),
    "VTT": ("transcript.vtt", "text/vtt; charset=utf-8"),
}
CHAT_FILE = ("chat.csv", "text/csv; charset=utf-8")
SUMMARY_FILE = ("summary.txt", "text/plain; charset=utf-8")


@dataclass(frozen=True)
class Line:
    id: str
    speaker: Participant
    start: float
    end: float
    text: str


def _stamp(epoch: float) -> str:
    return isoformat(to_datetime(epoch))


def _present(session: Session, moment: float) -> list[Participant]:
    return [p for p in session.participants if p.joined_at <= moment < p.left_at]


def _lines(session: Session, source: SeededSource, per_seconds: int, limit: int) -> list[Line]:
    """Utterances or messages spread over the whole session, each by someone present then."""
    span = session.ends_at - session.started_at
    count = min(limit, max(3, span // per_seconds))
    moments = sorted(session.started_at + source.uniform(0, span) for _ in range(count))
    lines: list[Line] = []
    for number, moment in enumerate(moments):
        child = source.child(f"line:{number}")
        present = _present(session, moment)
        if not present:
            continue
        speaker = child.choice(present)
        words = child.integer(4, 16)
        following = moments[number + 1] if number + 1 < len(moments) else moment + 9
        # A line ends when its words are said, the next line starts, or the speaker leaves.
        end = max(min(moment + words * 0.45, following, speaker.left_at), moment + min(0.5, speaker.left_at - moment))
        lines.append(Line(child.uuid(), speaker, round(moment, 3), round(end, 3), child.fake.sentence(nb_words=words)))
    return lines


def transcript_lines(session: Session, source: SeededSource) -> list[Line]:
    return _lines(session, source.child(f"transcript:{session.id}"), per_seconds=40, limit=90)


def chat_lines(session: Session, source: SeededSource, now: float) -> list[Line]:
    return [line for line in _lines(session, source.child(f"chat:{session.id}"), per_seconds=240, limit=40)
            if line.start <= now]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def chat_csv(session: Session, lines: list[Line]) -> bytes:
    return _csv(
        ["id", "session_id", "participant_id", "custom_participant_id", "display_name", "type", "message",
         "created_at"],
        [[line.id, session.id, line.speaker.id, line.speaker.custom_participant_id, line.speaker.display_name,
          "text", line.text, _stamp(line.start)] for line in lines],
    )


def _clock(offset: float, separator: str) -> str:
    millis = round(offset * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def transcript_bytes(session: Session, lines: list[Line], kind: str) -> bytes:
    origin = session.started_at
    if kind == "CSV":
        return _csv(
            ["start_time", "end_time", "participant_id", "custom_participant_id", "display_name", "transcript"],
            [[_stamp(line.start), _stamp(line.end), line.speaker.id, line.speaker.custom_participant_id,
              line.speaker.display_name, line.text] for line in lines],
        )
    if kind == "JSON":
        return orjson.dumps({"sessionId": session.id, "transcript": [
            {"id": line.id, "participant_id": line.speaker.id,
             "custom_participant_id": line.speaker.custom_participant_id, "display_name": line.speaker.display_name,
             "start_time": _stamp(line.start), "end_time": _stamp(line.end), "text": line.text}
            for line in lines
        ]}, option=orjson.OPT_INDENT_2)
    cues = []
    for number, line in enumerate(lines, start=1):
        if kind == "SRT":
            timing = f"{_clock(line.start - origin, ',')} --> {_clock(line.end - origin, ',')}"
            cues.append(f"{number}\n{timing}\n{line.speaker.display_name}: {line.text}\n")
        else:
            timing = f"{_clock(line.start - origin, '.')} --> {_clock(line.end - origin, '.')}"
            cues.append(f"{number}\n{timing}\n<v {line.speaker.display_name}>{line.text}\n")
    body = "\n".join(cues)
    return (f"WEBVTT\n\n{body}" if kind == "VTT" else body).encode()


def summary_text(session: Session, lines: list[Line], source: SeededSource) -> bytes:
    picker = source.child(f"summary:{session.id}")
    people = sorted({line.speaker.display_name for line in lines} | {session.participants[0].display_name})
    points = picker.sample(lines, min(4, len(lines))) if lines else []
    minutes_total = round((session.ends_at - session.started_at) / 60)
    out = [
        f"Summary of \"{session.meeting_title}\"",
        f"Session {session.id}, {_stamp(session.started_at)} to {_stamp(session.ends_at)} ({minutes_total} minutes)",
        f"Participants ({len(session.participants)}): {', '.join(p.display_name for p in session.participants)}",
        "",
        "Key points:",
        *[f"- {line.speaker.display_name}: {line.text}" for line in sorted(points, key=lambda line: line.start)],
        "",
        "Action items:",
        *[f"- {name}: follow up on the points raised" for name in people[:3]],
        "",
    ]
    return "\n".join(out).encode()


def served_file(session: Session, filename: str, now: float, source: SeededSource) -> Blob | None:
    """What a download URL of ``session`` serves at ``now``, or None when it has no such file (yet):
    the chat at once, transcripts once the session has ENDED, the summary once it is ready."""
    if filename == CHAT_FILE[0]:
        return blob(chat_csv(session, chat_lines(session, source, now)), CHAT_FILE[1], filename)
    if session.status(now) != "ENDED":
        return None
    for kind, (name, media_type) in TRANSCRIPT_FORMATS.items():
        if filename == name:
            return blob(transcript_bytes(session, transcript_lines(session, source), kind), media_type, filename)
    ready = session.summary_ready_at
    if filename == SUMMARY_FILE[0] and ready is not None and now >= ready:
        return blob(summary_text(session, transcript_lines(session, source), source), SUMMARY_FILE[1], filename)
    return None


def blob(content: bytes, media_type: str, filename: str) -> Blob:
    return Blob(size=len(content), media_type=media_type, read=lambda start, end: content[start:end],
                filename=filename)
