"""Peer reports: the device, network, IP, event and quality sections of one participant's call.

Each report is drawn from the participant's own seeded stream, so it is the same on every read;
timed parts (events, quality samples) stop at the namespace clock while the participant is still in
the session, so a LIVE participant's report grows as the clock moves.
"""

from __future__ import annotations

from typing import Any

from simulator.core.clock import isoformat, to_datetime
from simulator.core.rand import SeededSource
from simulator.vendors.realtimekit.sessions import Participant

FILTERS = ("device_info", "ip_information", "precall_network_information", "events", "quality_stats")
_PLATFORMS = (
    ("macOS", "14.5", False, "Chrome", "126.0.6478.127", "Blink"),
    ("Windows", "11", False, "Edge", "125.0.2535.92", "Blink"),
    ("Windows", "10", False, "Firefox", "127.0", "Gecko"),
    ("iOS", "17.5", True, "Safari", "17.5", "WebKit"),
    ("Android", "14", True, "Chrome", "126.0.6478.71", "Blink"),
    ("Linux", "6.5", False, "Chrome", "126.0.6478.126", "Blink"),
)
_NETWORKS = ("4g", "4g", "wifi", "ethernet", "3g")
_SAMPLES = 6


def _stamp(epoch: float) -> str:
    return isoformat(to_datetime(epoch))


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(int(fraction * len(ordered)), len(ordered) - 1)], 2)

    return {"avg": round(sum(ordered) / len(ordered), 2), "p50": at(0.5), "p75": at(0.75), "p90": at(0.9)}


def _metadata(source: SeededSource, participant: Participant, now: float) -> dict[str, Any]:
    fake = source.fake
    os_name, os_version, mobile, browser, browser_version, engine = source.choice(_PLATFORMS)
    until = participant.present_until(now)
    timeline: list[tuple[float, str, dict[str, Any]]] = [
        (participant.joined_at - 5, "precall_test_completed", {"passed": True}),
        (participant.joined_at, "peer_joined", {"reconnect": False}),
    ]
    for number in range(source.integer(0, 3)):
        at = participant.joined_at + source.integer(1, max(participant.left_at - participant.joined_at - 1, 1))
        name = source.choice(("audio_mute_toggled", "video_mute_toggled", "network_quality_changed",
                              "screenshare_started"))
        timeline.append((at, name, {"sequence": number + 1}))
    timeline.append((participant.left_at, "peer_left", {"reason": "left"}))
    events = [{"name": name, "timestamp": _stamp(at), "metadata": detail}
              for at, name, detail in sorted(timeline, key=lambda item: item[0]) if at <= until]
    microphone = {"device_id": source.hex(16), "kind": "audioinput", "label": f"{fake.company()} Microphone"}
    return {
        "device_info": {"cpus": source.choice((4, 8, 8, 10, 12, 16)), "is_mobile": mobile, "os": os_name,
                        "os_version": os_version},
        "browser_metadata": {
            "browser": browser, "browser_version": browser_version, "engine": engine,
            "user_agent": f"Mozilla/5.0 ({os_name} {os_version}) {browser}/{browser_version}", "webgl_support": True,
        },
        "sdk_name": "web-core", "sdk_type": "web", "sdk_version": "1.2.4",
        "room_view_type": participant.view_type,
        "ip_information": {
            "asn": {"asn": f"AS{source.integer(1000, 64000)}", "domain": fake.domain_name(), "name": fake.company(),
                    "route": f"{fake.ipv4_public()}/{source.choice((16, 20, 24))}", "type": "isp"},
            "city": fake.city(), "country": fake.country_code(), "ipv4": fake.ipv4_public(),
            "org": fake.company(), "region": fake.state(), "timezone": fake.timezone(),
        },
        "pc_metadata": [{
            "effective_network_type": source.choice(_NETWORKS), "reflexive_connectivity": True,
            "relay_connectivity": source.chance(0.9), "turn_connectivity": source.chance(0.85),
            "timestamp": _stamp(participant.joined_at - 5),
        }],
        "events": events,
        "selected_device_updates": [{"device": microphone, "timestamp": _stamp(participant.joined_at)}],
    }


def _quality(source: SeededSource, participant: Participant, now: float) -> dict[str, Any]:
    until = participant.present_until(now)
    span = max(until - participant.joined_at, 0)
    moments = [participant.joined_at + span * (i + 1) / _SAMPLES for i in range(_SAMPLES)] if span > 0 else []
    base_rtt, base_mos = source.uniform(20, 180), source.uniform(3.6, 4.5)
    audio, video = [], []
    audio_id, video_id = source.uuid(), source.uuid()
    sends_video = not participant.preset_name.endswith("viewer")
    for number, moment in enumerate(moments):
        elapsed = moment - participant.joined_at
        sample = source.child(f"sample:{number}")
        mos = round(min(max(base_mos + sample.uniform(-0.4, 0.3), 1.0), 5.0), 2)
        audio.append({
            "bytes_sent": int(elapsed * 4000), "jitter": round(sample.uniform(0.5, 30), 2), "mid": "0",
            "mos_quality": mos, "packets_lost": sample.integer(0, 40), "packets_sent": int(elapsed * 50),
            "producer_id": audio_id, "rtt": round(base_rtt + sample.uniform(-10, 40), 1), "ssrc": 1000 + number,
            "timestamp": _stamp(moment),
        })
        if sends_video:
            video.append({
                "bytes_sent": int(elapsed * 120000), "jitter": round(sample.uniform(1, 40), 2), "mid": "1",
                "mos_quality": mos, "packets_lost": sample.integer(0, 120), "packets_sent": int(elapsed * 110),
                "producer_id": video_id, "rtt": round(base_rtt + sample.uniform(-10, 40), 1), "ssrc": 2000 + number,
                "timestamp": _stamp(moment), "frame_width": sample.choice((640, 960, 1280)),
                "frame_height": sample.choice((360, 540, 720)), "frames_per_second": sample.choice((15, 24, 30)),
                "quality_limitation_reason": sample.choice(("none", "none", "bandwidth", "cpu")),
            })
    quality: dict[str, Any] = {"audio_producer": audio}
    if audio:
        quality["audio_producer_cumulative"] = _cumulative(audio)
    if sends_video:
        quality["video_producer"] = video
        if video:
            cumulative = _cumulative(video)
            cumulative["frame_per_second"] = _percentiles([s["frames_per_second"] for s in video])
            cumulative["frame_width"] = _percentiles([s["frame_width"] for s in video])
            quality["video_producer_cumulative"] = cumulative
    return quality


def _cumulative(samples: list[dict[str, Any]]) -> dict[str, Any]:
    losses = [100 * s["packets_lost"] / max(s["packets_sent"], 1) for s in samples]
    rtts = [s["rtt"] for s in samples]

    def share(values: list[float], limit: float) -> float:
        return round(sum(1 for v in values if v >= limit) / len(values), 2)

    return {
        "packet_loss": {"avg": round(sum(losses) / len(losses), 2), "5_or_greater_event_fraction": share(losses, 5),
                        "10_or_greater_event_fraction": share(losses, 10),
                        "25_or_greater_event_fraction": share(losses, 25),
                        "50_or_greater_event_fraction": share(losses, 50)},
        "quality_mos": _percentiles([s["mos_quality"] for s in samples]),
        "rtt": {"avg": round(sum(rtts) / len(rtts), 2), "100ms_or_greater_event_fraction": share(rtts, 100),
                "250ms_or_greater_event_fraction": share(rtts, 250),
                "500ms_or_greater_event_fraction": share(rtts, 500)},
    }


def peer_report(source: SeededSource, participant: Participant, now: float, section: str | None) -> dict[str, Any]:
    """The whole report, or only the section a ``filters`` value names, drawn from the participant's child of
    the vendor's stream ``source``."""
    source = source.child(f"peer:{participant.id}")
    metadata = _metadata(source.child("metadata"), participant, now)
    if section is None:
        return {"metadata": metadata, "quality": _quality(source.child("quality"), participant, now)}
    if section == "quality_stats":
        return {"quality": _quality(source.child("quality"), participant, now)}
    keys = {"device_info": ("device_info", "browser_metadata"), "ip_information": ("ip_information",),
            "precall_network_information": ("pc_metadata",), "events": ("events",)}[section]
    return {"metadata": {key: metadata[key] for key in keys}}
