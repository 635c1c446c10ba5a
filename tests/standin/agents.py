"""``/v1/agents``: create, list, get, update (PATCH, a new version), delete. Kept in memory."""

from __future__ import annotations

from typing import Any

from tests.standin.calls import Call, StandInState, now_iso
from tests.standin.faults import error_body

EDITABLE = (
    "model",
    "name",
    "instructions",
    "tools",
    "completion_args",
    "guardrails",
    "description",
    "handoffs",
    "metadata",
    "version_message",
    "deployment_chat",
)


def new_agent(state: StandInState, fields: dict[str, Any], agent_id: str | None = None) -> dict[str, Any]:
    """Build and store an agent object shaped like the SDK's ``Agent`` model."""
    stamp = now_iso()
    agent: dict[str, Any] = {
        "object": "agent",
        "id": agent_id or state.new_id("ag"),
        "model": fields["model"],
        "name": fields["name"],
        "instructions": fields.get("instructions"),
        "tools": fields.get("tools") or [],
        "completion_args": fields.get("completion_args") or {},
        "guardrails": fields.get("guardrails"),
        "description": fields.get("description"),
        "handoffs": fields.get("handoffs"),
        "metadata": fields.get("metadata"),
        "version_message": fields.get("version_message"),
        "version": 0,
        "versions": [0],
        "created_at": stamp,
        "updated_at": stamp,
        "deployment_chat": bool(fields.get("deployment_chat", False)),
        "source": "api",
        "owner_id": None,
    }
    with state.lock:
        state.agents[agent["id"]] = agent
    return agent


class AgentRoutes:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def create(self, call: Call) -> None:
        body = call.json
        missing = [name for name in ("model", "name") if not body.get(name)]
        if missing:
            call.respond.error(422, error_body(422, f"Missing field(s): {', '.join(missing)}"))
            return
        call.respond.json(200, new_agent(self._state, body))

    def list(self, call: Call) -> None:
        call.respond.json(200, self._sorted())

    def list_pages(self, call: Call) -> None:
        """``GET /v1/agents/pages``: everything in one page (``next_page_token`` null)."""
        call.respond.json(200, {"object": "list", "data": self._sorted(), "next_page_token": None})

    def _sorted(self) -> list[dict[str, Any]]:
        with self._state.lock:
            agents = [dict(a) for a in self._state.agents.values()]
        return sorted(agents, key=lambda a: a["created_at"], reverse=True)

    def get(self, call: Call) -> None:
        agent = self._find(call)
        if agent is not None:
            call.respond.json(200, agent)

    def update(self, call: Call) -> None:
        agent = self._find(call)
        if agent is None:
            return
        with self._state.lock:
            for name in EDITABLE:
                if call.json.get(name) is not None:
                    agent[name] = call.json[name]
            agent["version"] += 1
            agent["versions"].append(agent["version"])
            agent["updated_at"] = now_iso()
            answer = dict(agent)
        call.respond.json(200, answer)

    def delete(self, call: Call) -> None:
        with self._state.lock:
            removed = self._state.agents.pop(call.params["agent_id"], None)
        if removed is None:
            call.respond.error(404, not_found("Agent", call.params["agent_id"]))
        else:
            call.respond.no_content()

    def _find(self, call: Call) -> dict[str, Any] | None:
        with self._state.lock:
            agent = self._state.agents.get(call.params["agent_id"])
        if agent is None:
            call.respond.error(404, not_found("Agent", call.params["agent_id"]))
        return agent


def not_found(kind: str, ident: str) -> dict[str, Any]:
    return error_body(404, f"{kind} {ident} not found", code="not_found")
