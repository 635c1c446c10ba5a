"""Which service serves each step is decided once (``tui.backends.plan_for``): the label the status bar
shows, the plain-http warning, the agent that is built and ``doctor`` all follow that decision."""

from __future__ import annotations

import pytest

from tui.agent.base import NoAgent
from tui.agent.openai import OpenAICompatAgent
from tui.backends import (
    Service,
    make_agent,
    make_backends,
    plan_for,
    transport_warning,
    used_models,
)
from tui.commands.doctor import check_backends
from tui.config import Secret, Settings
from tui.errors import ConfigError
from tui.model import NO_AGENT_NEXT_STEP


def offline_with_openai(url: str) -> Settings:
    settings = Settings(backend="offline")
    settings.agent.openai_url = url
    settings.agent.openai_model = "llama3.2"
    return settings


def test_offline_with_an_openai_url_names_the_openai_agent_it_runs() -> None:
    settings = offline_with_openai("http://127.0.0.1:11434/v1")
    plan = plan_for(settings)
    assert (plan.transcription, plan.agent, plan.speech) == (Service.OFFLINE, Service.OPENAI, Service.OFFLINE)
    assert plan.label == "offline + openai agent"
    assert isinstance(make_agent(settings), OpenAICompatAgent)
    assert used_models(settings)["agent"] == "openai:llama3.2"
    assert make_backends(settings).label == "offline + openai agent"  # what the session saves
    assert transport_warning(settings) == ""  # loopback: nothing travels over the network


def test_offline_with_a_plain_http_openai_url_to_another_machine_is_warned() -> None:
    warning = transport_warning(offline_with_openai("http://user:pw-9876@192.168.1.4:11434/v1"))
    assert warning.startswith("agent.openai_url (http://192.168.1.4:11434/v1) is plain http://")
    assert "pw-9876" not in warning and "MISTRAL_SERVER_URL" not in warning
    assert transport_warning(offline_with_openai("https://192.168.1.4/v1")) == ""


def test_the_agent_follows_its_own_backend_first() -> None:
    settings = offline_with_openai("http://127.0.0.1:11434/v1")
    settings.agent.backend = "none"  # said outright: no agent, even with a server configured
    assert plan_for(settings).agent is Service.NONE and isinstance(make_agent(settings), NoAgent)
    assert plan_for(settings).label == "offline"
    online = Settings(backend="mistral", api_key=Secret("k"))
    online.agent.openai_url = "http://192.168.1.4:11434/v1"
    assert plan_for(online).agent is Service.MISTRAL and plan_for(online).label == "Mistral"
    assert "agent.openai_url" not in transport_warning(online)  # not in use, not warned about
    online.agent.backend = "openai"
    assert plan_for(online).label == "Mistral + openai agent"
    assert plan_for(Settings(backend="offline")).agent is Service.NONE


def test_realtime_is_decided_with_the_transcription_service() -> None:
    online = Settings(backend="mistral", api_key=Secret("k"))
    assert plan_for(online).realtime is True
    online.transcription.realtime = False
    assert plan_for(online).realtime is False
    assert plan_for(Settings(backend="offline")).realtime is False
    assert plan_for(online).describe() == "Mistral: transcription mistral, agent mistral, speech mistral"


def test_an_unknown_service_is_one_sentence_with_what_to_use() -> None:
    settings = Settings(backend="offline")
    settings.speech.backend = "openai"
    with pytest.raises(ConfigError) as caught:
        plan_for(settings)
    assert caught.value.message == "Unknown speech backend 'openai'."
    assert "mistral, offline, none" in (caught.value.hint or "")


def test_doctor_names_the_served_agent_and_the_next_step_without_one() -> None:
    checks = {c.name: c for c in check_backends(offline_with_openai("http://192.168.1.4:11434/v1"))}
    assert checks["backend"].detail.startswith("offline + openai agent: ")
    assert "agent" not in checks and "agent.openai_url" in checks["transport"].detail
    bare = {c.name: c for c in check_backends(Settings(backend="offline"))}
    assert bare["agent"].detail == f"none configured: turns are transcribed only. {NO_AGENT_NEXT_STEP}"
    for needed in ("MISTRAL_API_KEY", "agent.openai_url", "agent.openai_model", "http://127.0.0.1:11434/v1"):
        assert needed in NO_AGENT_NEXT_STEP
    assert NoAgent.MESSAGE.endswith(NO_AGENT_NEXT_STEP)  # what `voxroom ask` prints


def test_the_rooms_live_transcription_is_realtime_exactly_when_the_plan_says_so() -> None:
    from tui.room.wiring import live_transcription
    from tui.stt.realtime import RealtimeTranscription

    online = Settings(backend="mistral", api_key=Secret("k"), server_url="http://127.0.0.1:9")
    batch = Settings(backend="mistral", api_key=Secret("k"), server_url="http://127.0.0.1:9")
    batch.transcription.realtime = False
    for settings in (online, batch, Settings(backend="offline")):
        live = live_transcription(settings, make_backends(settings))({})
        assert isinstance(live, RealtimeTranscription) is plan_for(settings).realtime
