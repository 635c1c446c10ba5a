"""Voxroom's screens and dialogs (help, session browser, export, rename speaker, devices)."""
