"""Text to speech: one :class:`~tui.speech.base.Speaker` interface, Mistral and Piper backends."""
