"""The one exception tree of voicesim.

Every error a user can cause is a ``VoicesimError`` whose message is one line naming the
thing (file, field, device, id), the problem and the fix. The CLI prints that line and exits
non-zero instead of showing a traceback.
"""


class VoicesimError(Exception):
    """Base of every error voicesim raises on purpose."""


class PersonaError(VoicesimError):
    """A persona file is missing, malformed or fails the schema."""


class UnknownPersonaError(PersonaError):
    """A persona id (or id and language) that no persona file defines."""


class LexiconError(VoicesimError):
    """A scorer lexicon data file is malformed."""


class UnsupportedLanguageError(VoicesimError):
    """A language code voicesim has no lexicon or voice for."""


class IllegalTransitionError(VoicesimError):
    """The dialogue engine was asked to move in a way the staircase does not allow."""


class CallOverError(IllegalTransitionError):
    """A reply was given to a call that has already ended."""


class RepliesFileError(VoicesimError):
    """A replies file for scripted practice is missing or unreadable."""


class ConfigError(VoicesimError):
    """A setting (flag or VOICESIM_* variable) has an invalid value."""


class BackendError(VoicesimError):
    """An unknown backend name, or a backend whose optional package is missing."""


class ModelNotFoundError(VoicesimError):
    """Whisper weights are not installed where voicesim looks for them."""


class AudioError(VoicesimError):
    """Audio that cannot be decoded, is empty, or has the wrong shape."""


class AudioDeviceError(VoicesimError):
    """A sound device that is missing, busy or refuses the requested format."""


class StoreError(VoicesimError):
    """The session database: a bad or unreachable URL, a duplicate user, an unknown id."""


class NotFoundError(StoreError):
    """An id (session, turn, user, batch job) that does not exist, or that the asker may not see."""


class BatchError(VoicesimError):
    """A batch run that cannot start or go on: bad paths, output file, runner or workers."""
