"""The assistant: one :class:`~tui.agent.base.Agent` interface, Mistral, OpenAI-compatible and none."""
