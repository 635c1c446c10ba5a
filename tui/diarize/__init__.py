"""Offline diarization: a voice encoder, clustering, and the people behind speaker labels.

Nothing is imported here; import the submodules (they need NumPy) where they are used.
"""
