"""`voxroom minutes`: structured output from the agent (the stand-ins answer the schema they are sent,
from the transcript), strict checks of the answer, minutes saved with the session and in the exports."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from tests.conftest import FAKE_KEY, run_cli
from tests.offline.openai_standin import Answer, OpenAIStandin
from tests.sessions.conftest import make_session
from tests.standin import Fault, MistralStandIn, Reply
from tests.standin.structured import HOSTILE
from tui.minutes.prompt import build_prompt
from tui.minutes.schema import minutes_schema, validate
from tui.model import NO_AGENT_NEXT_STEP
from tui.sessions.clock import clock_time
from tui.sessions.export import export_session, front_matter
from tui.sessions.minutes import MINUTES_FILE, MinutesError, load_minutes
from tui.sessions.model import Segment, Session, TurnRecord
from tui.sessions.store import SessionStore

LINES = [("0:00", "Alice"), ("0:02", "Bob"), ("0:06", "Alice"), ("0:08", "Bob")]
"""The stand-in makes one action item per transcript line: its speaker, its time."""


def meeting(store: SessionStore) -> Session:
    """Two turns, two named people (``make_session``: 5 s turns, lines at 0.5 s and 2.5 s into each)."""
    session = make_session(store, turns=2, title='Budget: Q3 "final"\nreview')
    store.rename_speaker(session, "speaker_1", "Alice")
    store.rename_speaker(session, "speaker_2", "Bob")
    return session


@pytest.fixture
def store(mistral_env: MistralStandIn, isolated_env: Path) -> SessionStore:
    return SessionStore(isolated_env / "sessions")


def test_minutes_have_people_as_owners_and_times_inside_the_session(
    store: SessionStore, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    code, out, err = run_cli(capsys, "minutes", session.id, "-f", "json")
    assert code == 0, err
    assert err == f"Saved the minutes in session {session.id} (4 action items).\n"
    printed = json.loads(out)
    items = printed["action_items"]
    assert [(i["time"], i["owner_name"]) for i in items] == LINES
    assert [i["owner"] for i in items] == ["speaker_1", "speaker_2", "speaker_1", "speaker_2"]
    assert all(0 <= i["at"] <= session.duration for i in items)
    assert items[1]["quote"] == "Answer 0: we ship in March."
    assert items[2]["clock"] == clock_time(session, 6.0) and re.fullmatch(r"\d\d:\d\d", items[2]["clock"])
    path = store.root / session.id / MINUTES_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = load_minutes(path.parent)
    assert saved is not None and [a.owner for a in saved.actions] == [i["owner"] for i in items]
    assert saved.model == "mistral-small-latest"
    # the request on the wire: structured output with the schema, outside the session's conversation
    (request,) = mistral_env.requests_to("conversations.start")
    body = request.json
    assert body["completion_args"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "meeting_minutes", "schema": minutes_schema(session), "strict": True},
    }
    assert body["store"] is False and body["model"] == "mistral-small-latest" and "agent_id" not in body
    owner_enum = body["completion_args"]["response_format"]["json_schema"]["schema"]["properties"][
        "action_items"
    ]["items"]["properties"]["owner"]["enum"]
    assert owner_enum == ["Alice", "speaker_1", "Bob", "speaker_2", "unassigned"]
    assert "[0:08] Bob: Answer 1: we ship in March." in body["inputs"]
    assert "People: Alice (speaker_1), Bob (speaker_2)" in body["inputs"]
    assert FAKE_KEY not in path.read_text()


def test_markdown_has_front_matter_and_task_boxes(
    store: SessionStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    session = meeting(store)
    out_file = tmp_path / "minutes.md"
    code, out, err = run_cli(capsys, "minutes", session.id, "-f", "md", "-o", str(out_file))
    assert code == 0 and out == "" and f"wrote {out_file} (md)" in err
    text = out_file.read_text()
    date = re.search(r"^date: (\d{4}-\d\d-\d\d)$", text, re.M)
    assert date is not None
    assert text.startswith(
        "---\n"
        'title: "Budget: Q3 \\"final\\" review"\n'
        f"date: {date[1]}\n"
        "attendees:\n"
        '  - "Alice"\n'
        '  - "Bob"\n'
        "tags: [meeting, voxroom]\n"
        "---\n"
        "\n"
        '# Budget: Q3 "final" review\n'
    )
    title = re.search(r"^title: (.*)$", text, re.M)
    assert title is not None and json.loads(title[1]) == 'Budget: Q3 "final" review'
    # a clock is the line's written time (0:06, not the segment's 5.5 s) from its turn's start
    tasks = re.findall(r"^- \[ \] (\w+): (.*) \((\d\d:\d\d)\)$", text, re.M)
    assert [(owner, clock) for owner, _, clock in tasks] == [
        (name, clock_time(session, at)) for (_, name), at in zip(LINES, (0.0, 2.0, 6.0, 8.0), strict=True)
    ]
    assert "  *“Answer 0: we ship in March.”*" in text
    # the session's own exports carry the minutes too
    full = export_session(store.open(session.id), "md")
    assert full.startswith(text.split("# Budget")[0]) and "## Minutes" in full
    assert full.index("## Minutes") < full.index("## Transcript")
    assert "- [ ] Bob: " in full and "### Action items" in full
    data = json.loads(export_session(store.open(session.id), "json"))
    assert [i["owner_name"] for i in data["minutes"]["action_items"]] == [n for _, n in LINES]
    txt = export_session(store.open(session.id), "txt")
    assert "Minutes" in txt.splitlines() and re.search(r"^\[ \] Alice: .* \(\d\d:\d\d\)$", txt, re.M)


def test_running_again_replaces_the_minutes(
    store: SessionStore, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    assert run_cli(capsys, "minutes", session.id)[0] == 0
    mistral_env.script(Reply(HOSTILE["markup"]))
    code, out, _ = run_cli(capsys, "minutes", session.id, "-f", "json")
    assert code == 0
    minutes = load_minutes(store.root / session.id)
    assert minutes is not None and len(minutes.actions) == 1
    assert minutes.summary == "Bold alert(1) red x end" == json.loads(out)["summary"]
    assert minutes.actions[0].task == "Fix it now" and minutes.actions[0].owner == "unassigned"


@pytest.mark.parametrize("kind", sorted(set(HOSTILE) - {"markup"}))
def test_an_invalid_answer_is_one_sentence_and_nothing_is_saved(
    kind: str, store: SessionStore, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    assert run_cli(capsys, "minutes", session.id)[0] == 0
    before = (store.root / session.id / MINUTES_FILE).read_bytes()
    mistral_env.script(Reply(HOSTILE[kind]))
    code, out, err = run_cli(capsys, "minutes", session.id)
    assert code == 2 and out == ""
    assert err.startswith("voxroom: The agent's minutes were not usable (") and err.count("\n") == 1
    assert err.endswith("so nothing was saved. Run voxroom minutes again.\n")
    assert (store.root / session.id / MINUTES_FILE).read_bytes() == before


def test_hostile_owner_and_time_are_named(store: SessionStore) -> None:
    session = meeting(store)
    with pytest.raises(MinutesError, match="owner 'Mallory' is not a person of this session"):
        validate(HOSTILE["owner"], session)
    with pytest.raises(MinutesError, match=r"time 9:59:59 is after the session's end \(0:10\)"):
        validate(HOSTILE["time"], session)


def test_no_agent_is_one_sentence(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = meeting(SessionStore(isolated_env / "sessions"))
    code, out, err = run_cli(capsys, "minutes", session.id, "--offline")
    assert code == 2 and out == ""
    assert err == f"voxroom: No agent is configured, so no minutes can be written. {NO_AGENT_NEXT_STEP}\n"
    assert not (isolated_env / "sessions" / session.id / MINUTES_FILE).exists()


def test_an_openai_compatible_server_gets_response_format(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(SessionStore(isolated_env / "sessions"))
    with OpenAIStandin() as server:
        config = tmp_path / "voxroom.toml"
        config.write_text(f'[agent]\nopenai_url = "{server.url}"\nopenai_model = "standin-model"\n')
        code, out, err = run_cli(
            capsys, "minutes", session.id, "-f", "json", "--offline", "--config", str(config)
        )
        assert code == 0, err
        assert [(i["time"], i["owner_name"]) for i in json.loads(out)["action_items"]] == LINES
        (request,) = server.requests
        assert request.body["stream"] is False
        assert request.body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "meeting_minutes", "schema": minutes_schema(session), "strict": True},
        }
        assert request.body["messages"][0]["role"] == "system"
        server.script(Answer(HOSTILE["owner"]))
        code, _, err = run_cli(capsys, "minutes", session.id, "--offline", "--config", str(config))
        assert code == 2 and "'Mallory' is not a person of this session" in err


def test_a_long_transcript_is_cut_oldest_first_with_a_note() -> None:
    session = Session(id="long", speaker_names={"speaker_1": "Ann"})
    session.add_turn(
        TurnRecord(
            duration=600.0,
            segments=[
                Segment(n * 6.0, n * 6.0 + 5, "speaker_1", f"line {n} " + "x" * 80) for n in range(100)
            ],
        )
    )
    prompt = build_prompt(session, limit=2_000)
    assert prompt.left_out > 0 and prompt.lines + prompt.left_out == 100
    lines = prompt.text.splitlines()
    transcript = lines[lines.index("Transcript:") + 1 :]
    assert len("\n".join(transcript)) <= 2_000
    assert transcript[-1].startswith("[9:54] Ann: line 99 ")
    first_kept = 100 - prompt.lines
    assert transcript[0].startswith(
        f"[{first_kept * 6 // 60}:{first_kept * 6 % 60:02d}] Ann: line {first_kept} "
    )
    assert f"its first {prompt.left_out} lines (up to " in prompt.text


def test_front_matter_stays_valid_yaml_for_any_title() -> None:
    session = Session(id="x", title="a: b # c\n- d \"e\" 'f' \\ g\u2028h")
    lines = front_matter(session)
    assert lines[0] == "---" and lines[1].startswith("title: ")
    assert json.loads(lines[1][len("title: ") :]) == "a: b # c - d \"e\" 'f' \\ g h"
    assert lines[-2:] == ["---", ""] and "attendees: []" in lines


def test_secrets_in_the_answer_are_scrubbed(
    store: SessionStore, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    answer = json.loads(HOSTILE["markup"])
    answer["summary"] = f"The key is {FAKE_KEY}, sent as Bearer abcdef123456 to http://u:pw@h.example/."
    mistral_env.script(Reply(json.dumps(answer)))
    code, out, _ = run_cli(capsys, "minutes", session.id, "-f", "json")
    assert code == 0
    saved = (store.root / session.id / MINUTES_FILE).read_text()
    for text in (out, saved):
        assert FAKE_KEY not in text and "abcdef123456" not in text and "u:pw" not in text


def test_minutes_are_never_written_or_read_through_a_link(
    store: SessionStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    session = meeting(store)
    outside = tmp_path / "outside.json"
    outside.write_text('{"version": 1, "summary": "forged", "action_items": []}')
    link = store.root / session.id / MINUTES_FILE
    link.symlink_to(outside)
    assert load_minutes(link.parent) is None
    assert "forged" not in export_session(store.open(session.id), "md")
    assert run_cli(capsys, "minutes", session.id)[0] == 0
    assert not link.is_symlink() and "forged" in outside.read_text()  # the link was replaced, not followed
    minutes = load_minutes(link.parent)
    assert minutes is not None and minutes.summary != "forged"


def test_a_sample_keeps_no_minutes(mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "minutes", "sample:endgame")
    assert code == 2 and "read-only" in err and err.count("\n") == 1
    assert mistral_env.requests_to("conversations.start") == []


def test_owners_are_shown_by_their_current_name(
    store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    assert run_cli(capsys, "minutes", session.id)[0] == 0
    store.rename_speaker(session, "speaker_2", "Robert")
    md = export_session(store.open(session.id), "md")
    assert "- [ ] Robert: " in md and "- [ ] Bob: " not in md


def test_service_refusals_are_one_sentence_and_save_nothing(
    store: SessionStore, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    session = meeting(store)
    mistral_env.fail("conversations.start", Fault.guardrail_block(), times=1)
    code, out, err = run_cli(capsys, "minutes", session.id)
    assert (code, out) == (2, "") and err.startswith(
        "voxroom: Blocked by moderation (violence_and_threats 0.93 over 0.5): rephrase the request"
    )
    mistral_env.fail("conversations.start", Fault.http(401), times=1)
    code, out, err = run_cli(capsys, "minutes", session.id)
    assert code == 2 and "rejected the API key (401)" in err and err.count("\n") == 1
    assert not (store.root / session.id / MINUTES_FILE).exists()


def test_front_matter_leaves_out_a_date_it_cannot_write() -> None:
    for created in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00-12:00", "not a date"):
        lines = front_matter(Session(id="x", created=created))
        dates = [line for line in lines if line.startswith("date:")]
        assert len(dates) <= 1 and all(re.fullmatch(r"date: \d{4}-\d\d-\d\d", d) for d in dates), dates
