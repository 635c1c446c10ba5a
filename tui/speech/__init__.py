"""Text to speech: one :class:`~tui.speech.base.Speaker` interface (and
:class:`~tui.speech.base.StreamingSpeaker` for text taken as it is written); Mistral over HTTP or the
realtime speech socket, hibari and Piper offline."""
