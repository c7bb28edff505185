"""Adapters around the core that touch models and audio: Whisper transcribers, the model
locator, voice activity detection.

Importing this package (or ``voicesim.speech.transcribers``) loads neither torch, whisper nor
faster_whisper: the engines are imported when a transcriber is first used.
"""
