"""Voxroom: a full-screen terminal voice assistant for meeting rooms."""

__version__ = "0.1.0"
