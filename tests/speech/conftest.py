"""Fixtures for the speech adapter tests: a private PulseAudio daemon as the sound device."""

from tests.speech.pulse import pulse_server  # noqa: F401  (a session fixture, used by name)
