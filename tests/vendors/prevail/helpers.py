from __future__ import annotations

from typing import Any


def new_request(postback_url: str = "http://127.0.0.1:9/hook", **remote: Any) -> dict[str, Any]:
    """The example body of Prevail's 'Submit Session Requests' page."""
    return {
        "session_request": {
            "invite_emails": ["john@smith.com", "jane@doe.com"],
            "deponent": {"name": "John Smith", "email": "john@smith.com", "role": "deponent"},
            "remote_session": {
                "title": "requested session",
                "case": "567-case-id-name",
                "start_date": "2025-01-28",
                "start_time": "01:30 AM",
                "time_zone": "Pacific Time (US & Canada)",
                **remote,
            },
            "session_details": {
                "additional_details": "",
                "preferred_manager": "Ash Smith",
                "video_provider": "chime",
                "session_type": "remote_deposition",
            },
            "postback_url": postback_url,
        }
    }
