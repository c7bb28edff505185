"""Trainers' label corrections, as labelled replies the scorer can learn from.

A trainer who adds or removes a label on a turn says what the reply really does; exported as
JSON lines (``voicesim scorer export-corrections``), those replies join the training corpus
(``voicesim scorer train --corrections FILE``). The last correction of a label wins, as on the
review page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from voicesim.store.database import Database
from voicesim.store.models import Annotation, PracticeSession, Turn


def corrected_replies(database: Database) -> Iterator[dict[str, Any]]:
    """One row per corrected turn: ``text``, ``lang``, ``labels`` after the corrections,
    ``apology`` (the scorer's kind, when the apology stands) and where it came from."""
    query = (
        sa.select(Turn)
        .where(Turn.annotations.any(
            sa.or_(Annotation.label_added.is_not(None), Annotation.label_removed.is_not(None))))
        .options(selectinload(Turn.labels), selectinload(Turn.annotations),
                 selectinload(Turn.session).load_only(PracticeSession.language))
        .order_by(Turn.session_id, Turn.index)
    )  # fmt: skip
    with database.session() as session:
        for turn in session.scalars(query):
            labels = {item.label for item in turn.labels}
            for note in turn.annotations:  # in the order they were made
                if note.label_added:
                    labels.add(note.label_added)
                if note.label_removed:
                    labels.discard(note.label_removed)
            yield {
                "id": f"session-{turn.session_id}-turn-{turn.index}",
                "text": turn.reply_text,
                "lang": turn.session.language,
                "labels": sorted(labels),
                "apology": turn.apology_kind if "apology" in labels else None,
                "source": "trainer correction",
            }
