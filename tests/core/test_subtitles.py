from __future__ import annotations

from tui.model import Segment
from tui.subtitles import to_srt, to_vtt


def test_srt_and_vtt_are_well_formed() -> None:
    segs = [Segment(0.1, 1.5, "speaker_1", "Hello --> <b>&"), Segment(3661.25, 3662.0, "speaker_2", "Bye")]
    srt = to_srt([(s, 0.0) for s in segs], {"speaker_1": "Alice"})
    assert srt.splitlines()[:3] == ["1", "00:00:00,100 --> 00:00:01,500", "Alice: Hello -> <b>&"]
    assert "2\n01:01:01,250 --> 01:01:02,000\nspeaker_2: Bye" in srt
    vtt = to_vtt([(s, 10.0) for s in segs])
    assert vtt.startswith(
        "WEBVTT\n\n1\n00:00:10.100 --> 00:00:11.500\n<v speaker_1>Hello -&gt; &lt;b&gt;&amp;"
    )
