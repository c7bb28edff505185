"""Fixtures for the practice tests: the private PulseAudio daemon of the speech tests."""

from tests.speech.pulse import pulse_server  # noqa: F401  (a session fixture, used by name)
