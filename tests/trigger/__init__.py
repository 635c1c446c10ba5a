"""Trigger tests: the debounced toggle, and pynput's real listener on Xvfb (scripts/setup_display.sh)."""
