"""A stand-in for the Mistral API, served over real HTTP on 127.0.0.1, for Voxroom's tests.

See ``tests/README.md`` ("Stand-in Mistral server") for the routes, scripts and faults.
"""

from tests.standin.faults import GUARDRAIL_MESSAGE, Fault
from tests.standin.records import RecordedRequest, UploadedFile
from tests.standin.scripts import (
    DEFAULT_SEGMENTS,
    HOSTILE_SEGMENTS,
    LatencyProfile,
    Reply,
    ScriptedReference,
    ScriptedSegment,
    ScriptedTurn,
    SpeechScript,
    TranscriptionScript,
)
from tests.standin.server import MistralStandIn, closed_url, free_closed_port
from tests.standin.wire import UNKNOWN_EVENT

__all__ = [
    "DEFAULT_SEGMENTS",
    "GUARDRAIL_MESSAGE",
    "HOSTILE_SEGMENTS",
    "UNKNOWN_EVENT",
    "Fault",
    "LatencyProfile",
    "MistralStandIn",
    "RecordedRequest",
    "Reply",
    "ScriptedReference",
    "ScriptedSegment",
    "ScriptedTurn",
    "SpeechScript",
    "TranscriptionScript",
    "UploadedFile",
    "closed_url",
    "free_closed_port",
]
