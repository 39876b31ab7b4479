"""The Insights index mapping: how each documented field is searched.

003 lists the queryable fields and says which are "ID fields" (exact, answered by ``term``): those
that hold strings are ``keyword`` here, those that hold counts, durations and codes are numbers.
The conversation's words (``transcription.*``, what the caller said, parameter values) are ``text``
analysed by the standard analyzer; text fields other than the transcription also have a
``.keyword`` sub-field. Fields not listed here are mapped dynamically on first sight.
"""

from __future__ import annotations

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
    "tags.*.*": "long",
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
