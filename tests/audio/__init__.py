"""Audio tests against real PortAudio on the virtual sound server (scripts/setup_audio.sh)."""
