"""Deterministic AI Studio conversations, shaped as 003's Insights model.

A conversation is a walk through an agent's flow (see ``scenarios``): a ``start`` node, a ``speak``
per prompt, a ``param_completion`` per caller answer (a new request id each time the caller speaks),
``classification`` of asides, a ``webhook`` with the collected parameters, a ``condition`` on its
answer, a closing ``speak`` and ``end_call``. Everything else in the document is derived from the
flow path, so it always agrees: ``transcription`` (the agent's lines keyed by its published version
id, as 003's example output does, the caller's by ``user``), ``flow_data.collected_tags`` (every
node's tags in order), ``tags_list`` and ``tags`` (their counts), ``collected_parameters`` (every
completion), ``params_list`` and ``params`` (the last value per parameter), ``request_ids``, and
``channel_data`` (duration in milliseconds, the recording's ``audio_url``, ``status_code`` 0 / 100 /
200 for clean / with retries / with a failed webhook).

A call still in progress shows the flow path so far, ``status`` and ``channel_data.call_status``
``in_progress``, and no duration or recording; :func:`conversation` returns its final form too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from simulator.core.rand import SeededSource
from simulator.vendors.vonage.layers import render_instant
from simulator.vendors.vonage.scenarios import ASIDES, CHANNELS, LANGUAGES, SCENARIOS, UNCLEAR, VOICES, Scenario

SPEAK_URL = {"voice": "http://telephony-connector.ai.vonage.com/api/actions/speak",
             "whatsapp": "http://whatsapp-connector.ai.vonage.com/api/actions/send",
             "http": "http://http-connector.ai.vonage.com/api/actions/reply"}
CLASSIFY_URL = "http://nlu.ai.vonage.com/api/v1/classify"
JSON_HEADERS = '{"Content-Type": "application/json"}'


@dataclass(frozen=True)
class Agent:
    id: str
    version_id: str
    name: str
    voice: str
    language: str
    number: str
    scenario: Scenario
    categories: dict[str, str]  # role -> 32-hex tag category id
    nodes: dict[str, str]  # node key -> 24-hex node id


def agents_for(source: SeededSource, count: int) -> list[Agent]:
    agents = []
    for index in range(count):
        child = source.child(f"agent:{index}")
        scenario = SCENARIOS[index % len(SCENARIOS)]
        language = child.choice(LANGUAGES)
        keys = ["start", "greeting", "webhook", "condition", "closing", "end", "classify"]
        keys += [f"ask:{p.name}" for p in scenario.params] + [f"got:{p.name}" for p in scenario.params]
        agents.append(Agent(
            id=child.hex(24), version_id=child.hex(24),
            name=f"{scenario.name}-{index + 1}" if index >= len(SCENARIOS) else scenario.name,
            voice=child.choice(VOICES[language]), language=language, number="1" + child.digits(10),
            scenario=scenario, categories={role: child.hex(32) for role in scenario.categories},
            nodes={key: child.hex(24) for key in keys},
        ))
    return agents


@dataclass
class _Call:
    """The state of a conversation being generated."""

    agent: Agent
    session_id: str
    account_id: str
    channel: str
    source: SeededSource
    steps: list[dict[str, Any]] = field(default_factory=list)
    transcription: list[dict[str, str]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # ms after the start when each step finished
    lines: list[int] = field(default_factory=list)  # transcription lines spoken by the end of each step
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # parameter -> its latest state
    collected: list[dict[str, Any]] = field(default_factory=list)
    elapsed: int = 0
    request_id: str = ""
    retries: bool = False
    failed: bool = False

    def parameters(self) -> list[dict[str, Any]]:
        return [dict(self.values[p.name]) for p in self.agent.scenario.params]

    def tag(self, role: str, name: str) -> list[dict[str, str]]:
        category = self.agent.categories.get(role) or next(iter(self.agent.categories.values()))
        return [{"tag": name, "category": category}]

    def step(self, kind: str, node: str, took: int, *, request: tuple[str, str, str, str] = ("", "", "POST", ""),
             response: tuple[int, str] = (200, ""), url: str = "", user_input: str = "",
             tags: list[dict[str, str]] | None = None, altered: list[dict[str, Any]] | None = None) -> None:
        headers, payload, verb, request_url = request
        context: dict[str, Any] = {"output": None, "user_input": user_input, "execution_parameters": self.parameters(),
                                   "url": url, "status": {"code": response[0], "message": response[1]}}
        if altered:
            context["altered_parameters"] = altered
        self.elapsed += took
        self.offsets.append(self.elapsed)
        self.lines.append(len(self.transcription))
        self.steps.append({
            "synchronized": True,
            "request": {"headers": headers, "payload": payload, "verb": verb, "url": request_url},
            "response": {"code": response[0], "payload": response[1]},
            "context": context, "type": kind, "request_id": self.request_id, "node_id": self.agent.nodes[node],
            "tags": tags or [], "execution_time": took,
        })

    def say(self, node: str, text: str, collect: bool, tags: list[dict[str, str]] | None = None) -> None:
        agent = self.agent
        payload = (f'{{"session_id": "{self.session_id}", "action_id": "{agent.nodes[node]}", "is_collect_input": '
                   f'{"true" if collect else "false"}, "type": "speak", "text": {orjson.dumps(text).decode()}, '
                   f'"audio": null, "voice_id": "{agent.voice}", "language_code": "{agent.language}"}}')
        answer = f'{{"message": "Successfully registered SPEAK action for session_id: {self.session_id}"}}'
        url = SPEAK_URL[self.channel]
        self.transcription.append({agent.version_id: text})  # spoken as the step runs
        self.step("speak", node, 80 + 55 * len(text) + self.source.integer(0, 400),
                  request=(JSON_HEADERS, payload, "POST", url), response=(201, answer), url=url, tags=tags)

    def hear(self, text: str) -> None:
        self.request_id = self.source.uuid()
        self.elapsed += 700 + 60 * len(text) + self.source.integer(0, 2500)  # the caller thinks and speaks
        self.transcription.append({"user": text})

    def complete(self, name: str, kind: str, said: str, value: str, tags: list[dict[str, str]] | None) -> None:
        audio = f"{self.account_id}/{self.agent.version_id}/{self.session_id}_{self.request_id}.mp3"
        state: dict[str, Any] = {"value_text": said, "name": name, "completed": True, "type": kind, "value": value}
        if self.channel == "voice":
            state["audio_url"] = audio
        self.values[name] = state
        self.collected.append(dict(state))
        altered: dict[str, Any] = {"alteration_source": "completed", "entity": kind, "name": name, "value": value,
                                   "value_text": said}
        if self.channel == "voice":
            altered |= {"audio_duration": round(0.4 + 0.06 * len(said), 2), "audio_url": audio}
        self.step("param_completion", f"got:{name}", self.source.integer(20, 140), user_input=said, tags=tags,
                  altered=[altered])


def conversation(source: SeededSource, agent: Agent, account_id: str) -> tuple[dict[str, Any], _Call]:
    """A finished call: (fields of the document that do not depend on the flow, the generated flow)."""
    session_id = source.uuid()
    channel = source.choice(CHANNELS)
    call = _Call(agent, session_id, account_id, channel, source, request_id=source.uuid())
    scenario = agent.scenario
    call.values = {p.name: {"value_text": "", "name": p.name, "completed": False, "type": p.type, "value": ""}
                   for p in scenario.params}
    call.step("start", "start", 0)
    call.say("greeting", scenario.greeting, collect=False)
    for param in scenario.params:
        call.say(f"ask:{param.name}", param.prompt, collect=True)
        while source.chance(0.15):  # the caller mumbles or says something else first
            call.retries = True
            if source.chance(0.5):
                call.hear(source.choice(UNCLEAR))
                call.step("param_completion", f"got:{param.name}", source.integer(20, 90),
                          user_input=call.transcription[-1]["user"])
            else:
                aside, tag = source.choice(ASIDES)
                call.hear(aside)
                intent = tag or "none"
                call.step("classification", "classify", source.integer(30, 220),
                          request=(JSON_HEADERS, orjson.dumps({"text": aside}).decode(), "POST", CLASSIFY_URL),
                          response=(200, orjson.dumps({"intent": intent}).decode()), url=CLASSIFY_URL,
                          user_input=aside, tags=call.tag("sentiment", tag) if tag else None)
            call.say(f"ask:{param.name}", f"Sorry, I didn't get that. {param.prompt}", collect=True)
        said, value = source.choice(param.answers)
        call.hear(said)
        call.complete(param.name, param.type, said, value, call.tag(param.tag, value) if param.tag else None)
        if source.chance(0.05):  # the caller corrects the answer: the parameter is collected twice
            said, value = source.choice(param.answers)
            call.hear(f"no wait, {said}")
            call.complete(param.name, param.type, f"no wait, {said}", value, None)
    _webhook(call)
    closing = scenario.closing.format(**{name: state["value"] for name, state in call.values.items()})
    outcome = scenario.outcome[1] if call.failed else scenario.outcome[0]
    call.say("closing", closing, collect=False, tags=call.tag(scenario.categories[-1], outcome))
    call.step("end_call", "end", 0, tags=call.tag(scenario.categories[-1], outcome) if source.chance(0.3) else None)
    base = {"account_id": account_id, "api_key": "N/A", "id": session_id, "language": agent.language,
            "channel": channel, "source": "1" + source.digits(10), "destination": agent.number}
    return base, call


def _webhook(call: _Call) -> None:
    verb, url = call.agent.scenario.webhook
    payload = orjson.dumps({"session_id": call.session_id,
                            **{name: state["value"] for name, state in call.values.items()}}).decode()
    call.failed = call.source.chance(0.08) or any(state["value"] == "0000" for state in call.values.values())
    if call.failed:
        code, answer = call.source.choice(((500, '{"error": "upstream timeout"}'), (404, '{"error": "not found"}'),
                                           (422, '{"error": "invalid parameters"}')))
    else:
        code, answer = 200, orjson.dumps({"status": "ok", "reference": call.source.hex(12)}).decode()
    headers = '{"Content-Type": "application/json", "Authorization": "Bearer ***"}'
    call.step("webhook", "webhook", call.source.integer(80, 900), request=(headers, payload, verb, url),
              response=(code, answer), url=url)
    call.step("condition", "condition", call.source.integer(1, 15),
              response=(200, "success" if code < 300 else "failure"))


def document(base: dict[str, Any], call: _Call, start_ms: int, steps: int | None = None) -> dict[str, Any]:
    """The Insights document of a call: all of it, or (``steps``) as it stands while in progress."""
    agent, ended = call.agent, steps is None
    path = call.steps if steps is None else call.steps[:steps]
    collected_tags = [tag for step in path for tag in step["tags"]]
    counts: dict[tuple[str, str], int] = {}
    for tag in collected_tags:
        counts[(tag["category"], tag["tag"])] = counts.get((tag["category"], tag["tag"]), 0) + 1
    tags: dict[str, dict[str, int]] = {}
    for (category, name), count in counts.items():
        tags.setdefault(category, {})[name] = count
    completions = [state for step in path if step["type"] == "param_completion"
                   for state in step["context"].get("altered_parameters", [])]
    collected = call.collected[:len(completions)]
    latest: dict[str, dict[str, Any]] = {}
    for state in collected:
        latest[state["name"]] = state
    transcription = call.transcription[:call.lines[len(path) - 1]] if path else []
    channel_data: dict[str, Any] = {"call_status": "ended" if ended else "in_progress"}
    if ended:
        duration = call.elapsed + 600 + call.source.child("hangup").integer(0, 1500)
        channel_data = {"duration": duration, "call_status": "ended",
                        "status_code": 200 if call.failed else 100 if call.retries else 0}
        if call.channel == "voice":
            channel_data["audio_url"] = f"{call.account_id}/{agent.version_id}/{call.session_id}.mp3"
    return {
        "transcription": transcription,
        "account_id": base["account_id"], "api_key": "N/A", "status": "ended" if ended else "in_progress",
        "id": base["id"], "language": base["language"], "tags": tags,
        "params": {name: {"completed": state["completed"], "value": state["value"]} for name, state in latest.items()},
        "parameters": {name: state["value"] for name, state in latest.items()},
        "tags_list": [{"count": count, "tag": name, "category": category}
                      for (category, name), count in counts.items()],
        "params_list": list(latest.values()),
        "agent_information": {"version_id": agent.version_id, "id": agent.id, "name": agent.name,
                              "voice": agent.voice, "language": agent.language},
        "source": base["source"], "destination": base["destination"], "channel": base["channel"],
        "session_start_time": render_instant(start_ms),
        "request_ids": list(dict.fromkeys(step["request_id"] for step in path)),
        "channel_data": channel_data,
        "flow_data": {"collected_tags": collected_tags, "collected_parameters": collected,
                      "injected_parameters": []},
        "flow_path": path,
    }
