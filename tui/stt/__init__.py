"""Speech to text: one :class:`~tui.stt.base.Transcriber` interface, Mistral and offline backends."""
