"""Webhook effects of fault rules as data: what may be done to a delivery, checked when a rule is added.

A rule whose ``match`` names a webhook (``{"vendor": "prevail", "webhook": "session_scheduled"}``)
acts on deliveries instead of calls, and its effect is one of :data:`WEBHOOK_KINDS`:

- ``duplicate``: the delivery is sent ``times`` more times (default 1), with the same bytes;
- ``reorder``: the delivery is held back until the next delivery of the same webhook has been sent
  (a later event arrives first), or for at most ``within`` seconds of namespace time (default 60);
- ``delay``: the first attempt waits ``seconds`` of namespace time;
- the tampers (:data:`TAMPERS`): ``bad_signature`` (signed with a wrong key), ``expired`` (``exp`` in
  the past), ``alg_none`` (``alg: none``, no signature), ``extra_keys`` (keys the vendor's page does
  not promise, still correctly signed).

Vendor-free: which webhooks exist is the vendors' declaration, passed in by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

TAMPERS = ("bad_signature", "expired", "alg_none", "extra_keys")
WEBHOOK_KINDS = ("duplicate", "reorder", "delay", *TAMPERS)
MAX_COPIES = 10  # extra copies of one duplicated delivery
MAX_DELAY_SECONDS = 86_400.0
MAX_HOLD_SECONDS = 3_600.0
DEFAULT_HOLD_SECONDS = 60.0
MAX_NAME_CHARS = 128
_PARAMS = {"duplicate": ("times",), "reorder": ("within",), "delay": ("seconds",)}


class WebhookRuleError(ValueError):
    """What is wrong with the webhook part of a rule: ``field`` and ``message``, as RuleError tells them."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class WebhookEffect:
    kind: str  # one of WEBHOOK_KINDS
    copies: int = 0  # duplicate: extra sends
    delay: float = 0.0  # delay: seconds of namespace time before the first attempt
    hold: float = 0.0  # reorder: at most this long held back, in seconds of namespace time

    @property
    def tamper(self) -> str | None:
        """The change made to the body when it is built, for the tampers; None for the others."""
        return self.kind if self.kind in TAMPERS else None

    def describe(self) -> str:
        if self.kind == "duplicate":
            return f"webhook duplicate ({self.copies} extra {'copy' if self.copies == 1 else 'copies'})"
        if self.kind == "delay":
            return f"webhook delay {self.delay:g} s"
        if self.kind == "reorder":
            return f"webhook reorder (held at most {self.hold:g} s)"
        return f"webhook {self.kind}"


def webhook_name(event: str) -> str:
    """The declared webhook an event belongs to: events are ``NAME`` or ``NAME:SUBJECT``."""
    return event.partition(":")[0]


def parse_webhook_effect(doc: Mapping[str, Any]) -> WebhookEffect:
    kind = doc["webhook"]
    if kind not in WEBHOOK_KINDS:
        raise WebhookRuleError("effect.webhook", f"must be one of {', '.join(WEBHOOK_KINDS)}, not {_show(kind)}")
    allowed = _PARAMS.get(kind, ())
    for key in doc:
        if key != "webhook" and key not in allowed:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes no parameter"
            raise WebhookRuleError(f"effect.{str(key)[:40]}", f"unknown key; a webhook {kind} effect {takes}")
    if kind == "duplicate":
        copies = doc.get("times", 1)
        if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
            raise WebhookRuleError("effect.times", f"must be an integer from 1 to {MAX_COPIES} (extra copies), "
                                                   f"not {_show(copies)}")
        return WebhookEffect(kind, copies=copies)
    if kind == "delay":
        if "seconds" not in doc:
            raise WebhookRuleError("effect.seconds", "is required: how long the first attempt waits, in seconds "
                                                     "of namespace time")
        return WebhookEffect(kind, delay=_seconds(doc["seconds"], "effect.seconds", MAX_DELAY_SECONDS))
    if kind == "reorder":
        hold = _seconds(doc["within"], "effect.within", MAX_HOLD_SECONDS) if "within" in doc \
            else DEFAULT_HOLD_SECONDS
        return WebhookEffect(kind, hold=hold)
    return WebhookEffect(kind)


def webhook_targets(doc: Mapping[str, Any], effect: Mapping[str, Any], vendors: Collection[str],
                    declared: Mapping[str, Collection[str]]) -> frozenset[tuple[str, str]]:
    """The (vendor, webhook) pairs a match selects; ``vendors`` are those the match allows.

    A webhook match and a webhook effect go together: either without the other is refused.
    """
    if "webhook" not in doc:
        known = [f"{webhook} ({vendor})" for vendor, names in declared.items() for webhook in names]
        raise WebhookRuleError("match.webhook", "a webhook effect acts on deliveries: name the webhook (one of "
                                                f"{', '.join(known) or 'none'})")
    if "webhook" not in effect:
        raise WebhookRuleError("effect", "a rule matching a webhook takes a webhook effect "
                                         f"({{\"webhook\": one of {', '.join(WEBHOOK_KINDS)}}})")
    name = doc["webhook"]
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        raise WebhookRuleError("match.webhook", f"must be a string of 1 to {MAX_NAME_CHARS} characters, "
                                                f"not {_show(name)}")
    for key in ("operation", "method", "path"):
        if key in doc:
            raise WebhookRuleError(f"match.{key}", "selects API calls; a rule with match.webhook acts on "
                                                   "deliveries only")
    found = frozenset((vendor, name) for vendor in vendors if name in declared.get(vendor, ()))
    if not found:
        known = [f"{webhook} ({vendor})" for vendor in vendors for webhook in declared.get(vendor, ())]
        scope = f"of vendor {next(iter(vendors))!r}" if len(vendors) == 1 else "of any vendor"
        raise WebhookRuleError("match.webhook", f"unknown webhook {name!r} {scope}; known: "
                                                f"{', '.join(known) or 'none'}")
    return found


def _seconds(value: Any, field: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 < value <= high:
        raise WebhookRuleError(field, f"must be a number of seconds above 0 and at most {high:g}, not {_show(value)}")
    return float(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
