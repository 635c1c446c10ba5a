"""Audio: decoding files, capture to disk, level meters, playback. No Textual here."""
