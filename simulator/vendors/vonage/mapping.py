"""The Insights index mapping: how each documented field is searched.

003 lists the queryable fields and says which are "ID fields" (exact, answered by ``term``): those
that hold strings are ``keyword`` here, those that hold counts, durations and codes are numbers.
The conversation's words (``transcription.*``, what the caller said, parameter values) are ``text``
analysed by the standard analyzer; text fields other than the transcription also have a
``.keyword`` sub-field. Fields not listed here are mapped dynamically on first sight.

The page's ID fields "can only be searched using term searches, match searches will not work": they
are :data:`TERM_ONLY`, and ``match`` on them finds nothing. ``parameters.<name>`` (each parameter's
last value) and ``tags.<tag>`` (how often a tag was collected, over all categories) are the page's
"nicer" fields: :func:`derived` computes them from ``params_list`` and ``tags_list``. ``tags.<category>``
stays the object of the page's model, so ``tags.*`` is both a count and an object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.esfields import keyword_value

ID_FIELDS = (
    "api_key", "id", "source", "destination", "account_id", "channel",
    "agent_information.id", "agent_information.version_id", "agent_information.name", "agent_information.voice",
    "agent_information.language",
    "flow_data.collected_tags.tag", "flow_data.collected_tags.category",
    "flow_data.collected_parameters.name", "flow_data.collected_parameters.type",
    "flow_data.collected_parameters.audio_url",
    "flow_path.node_id", "flow_path.request_id", "flow_path.type", "flow_path.tags.tag", "flow_path.tags.category",
    "flow_path.context.execution_parameters.name", "flow_path.context.execution_parameters.type",
    "flow_path.context.execution_parameters.audio_url", "flow_path.context.url",
    "flow_path.request.payload", "flow_path.request.url", "flow_path.request.headers", "flow_path.request.verb",
    "flow_path.response.payload",
    "tags_list.tag", "tags_list.category",
    "params_list.name", "params_list.type", "params_list.value", "params_list.audio_url",
    "flow_path.context.altered_parameters.alteration_source", "flow_path.context.altered_parameters.audio_url",
    "flow_path.context.altered_parameters.entity", "flow_path.context.altered_parameters.name",
    "flow_path.context.altered_parameters.value", "flow_path.context.altered_parameters.value_text",
    "channel_data.audio_url", "channel_data.call_status",
)

_PARAMETER_STATE = {"name": "keyword", "type": "keyword", "audio_url": "keyword", "entity": "text+keyword",
                    "value": "text+keyword", "value_text": "text+keyword", "completed": "boolean"}

FIELDS: dict[str, str] = {
    **dict.fromkeys(ID_FIELDS, "keyword"),
    "status": "keyword",
    "language": "keyword",
    "request_ids": "keyword",
    "session_start_time": "date",
    "transcription.*": "text",
    "tags.*": "long",
    "tags.*.*": "long",
    "parameters.*": "keyword",
    "params.*.value": "text+keyword",
    "params.*.completed": "boolean",
    "tags_list.count": "long",
    "channel_data.duration": "long",
    "channel_data.status_code": "long",
    "flow_path.synchronized": "boolean",
    "flow_path.execution_time": "long",
    "flow_path.response.code": "long",
    "flow_path.context.user_input": "text+keyword",
    "flow_path.context.status.code": "long",
    "flow_path.context.status.message": "text+keyword",
    "flow_path.context.altered_parameters.audio_duration": "double",
    **{f"flow_path.context.execution_parameters.{k}": v for k, v in _PARAMETER_STATE.items()
       if not k.startswith(("name", "type", "audio"))},
    **{f"flow_data.collected_parameters.{k}": v for k, v in _PARAMETER_STATE.items()
       if not k.startswith(("name", "type", "audio"))},
    **{f"flow_data.injected_parameters.{k}": v for k, v in _PARAMETER_STATE.items()},
    **{f"params_list.{k}": v for k, v in _PARAMETER_STATE.items() if k not in ("name", "type", "value", "audio_url")},
}

# The page's list of ID fields: every string one above, its numbers, and the "nicer" fields it names.
TERM_ONLY = frozenset({
    *ID_FIELDS, "tags_list.count", "flow_path.context.altered_parameters.audio_duration", "channel_data.duration",
    "channel_data.status_code", "parameters.*", "tags.*",
})

# A sort on an object sorts by its fields; the page sorts "by agent name" with `agent_information:asc`.
SORT_LEADS = {"agent_information": ("agent_information.name",)}


def parameters(params_list: Any) -> dict[str, Any]:
    """``parameters``: each parameter's last value in ``params_list`` (which holds one entry per parameter)."""
    found: dict[str, Any] = {}
    for state in params_list if isinstance(params_list, list) else []:
        if isinstance(state, dict) and isinstance(state.get("name"), str) and state.get("value") is not None:
            found[state["name"]] = state["value"]
    return found


def tag_counts(tags_list: Any) -> dict[str, int]:
    """``tags.<tag>``: how many times each tag was collected, over all its categories."""
    counts: dict[str, int] = {}
    for entry in tags_list if isinstance(tags_list, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("tag"), str) and type(entry.get("count")) is int:
            counts[entry["tag"]] = counts.get(entry["tag"], 0) + entry["count"]
    return counts


def derived(document: Mapping[str, Any]) -> dict[str, tuple[str, list[Any]]]:
    """Index entries for the page's nicer fields, for documents stored without them (``tags.<tag>`` is
    never in a document: there ``tags.<category>`` is the page's object)."""
    entries: dict[str, tuple[str, list[Any]]] = {}
    if "parameters" not in document:
        entries |= {f"parameters.{name}": ("keyword", [keyword_value(value)])
                    for name, value in parameters(document.get("params_list")).items()
                    if "." not in name and not isinstance(value, dict | list)}
    entries |= {f"tags.{tag}": ("long", [count]) for tag, count in tag_counts(document.get("tags_list")).items()
                if "." not in tag}
    return entries
