"""Is an uploaded file really audio? Decided by its first bytes, not only by its name.

A text file renamed ``.wav`` or a photo renamed ``.mp3`` is refused before any decoder sees
it; a file whose header is right but whose body is corrupt is caught later, by the decoder,
in its result row.
"""

from __future__ import annotations

from voicesim.batch.inputs import AUDIO_EXTENSIONS

HEAD_BYTES = 64  # enough for every signature below

# Container signatures: (offset, bytes, format name).
_SIGNATURES = (
    (0, b"RIFF", "wav"),  # WAVE is checked at offset 8 below
    (0, b"RF64", "wav"),
    (0, b"fLaC", "flac"),
    (0, b"OggS", "ogg"),
    (0, b"\x1a\x45\xdf\xa3", "webm"),  # Matroska/WebM (EBML)
    (0, b"ID3", "mp3"),  # MP3 with an ID3v2 tag
    (4, b"ftyp", "m4a"),  # MP4 family: M4A/AAC
)


def audio_format(head: bytes) -> str | None:
    """The container the first bytes announce, or None when they are not audio we decode."""
    for offset, signature, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if name == "wav" and head[8:12] != b"WAVE":
                return None  # RIFF but AVI or another RIFF kind
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # an MPEG audio frame (MP3, or AAC in ADTS) with no tag first
    return None


def _describe(head: bytes) -> str:
    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "its content is a document or picture, not audio"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its content is not a known audio format"
    return "its content is text, not audio"


def upload_problem(name: str, head: bytes) -> str | None:
    """One line naming the file and why it cannot be scored, or None when it looks right."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    formats = ", ".join(sorted(e.lstrip(".").upper() for e in AUDIO_EXTENSIONS))
    if suffix not in AUDIO_EXTENSIONS:
        return f"{name}: unsupported format ({suffix or 'no extension'}); audio files are {formats}"
    if audio_format(head) is None:
        return f"{name}: not audio: {_describe(head)}; upload {formats} recordings"
    return None
