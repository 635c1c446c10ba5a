"""The app shows the backends ``tui.backends.plan_for`` decided: offline with an OpenAI-compatible
agent is named as such in the status bar, and a plain-http agent URL to another machine is warned about."""

from __future__ import annotations

from tests.helpers import wait_until
from tui.app import VoxroomApp
from tui.config import Settings


async def test_offline_with_an_openai_agent_is_named_and_its_plain_http_warned(
    tui_settings: Settings, make_room
) -> None:
    settings = Settings(backend="offline", data_dir=tui_settings.data_dir)
    settings.hotkey.global_listener = False
    settings.agent.openai_url = "http://192.168.1.4:11434/v1"  # never contacted: no turn is asked
    app = VoxroomApp(settings, room=make_room(settings), hotkey=False, warm_up=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.main.status_bar.text.startswith("offline + openai agent │ "))
        warnings = [n for n in app._notifications if n.title == "Connection not encrypted"]
        assert len(warnings) == 1 and "agent.openai_url (http://192.168.1.4:11434/v1)" in warnings[0].message
