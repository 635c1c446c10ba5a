"""Voxroom's widgets: one module each, no logic beyond showing state (the core lives in ``tui.room``)."""

from tui.widgets.level_bar import LevelBar
from tui.widgets.playback_meter import PlaybackMeter
from tui.widgets.recording_pane import RecordingPane
from tui.widgets.replies_pane import RepliesPane
from tui.widgets.status_bar import StatusBar
from tui.widgets.transcript_pane import TranscriptPane

__all__ = ["LevelBar", "PlaybackMeter", "RecordingPane", "RepliesPane", "StatusBar", "TranscriptPane"]
