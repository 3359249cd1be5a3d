"""A publication's log as a live stream (see mlreef.streams): lines, then its status."""

from __future__ import annotations

from mlreef.streams.sources import StreamLine, StreamSource

from .models import FINAL_STATUSES, LogLine, Publication


class PublicationLogSource(StreamSource):
    """Key: the publication's primary key. The status event carries what the page shows."""

    def lines_after(self, key: str, after: int, limit: int) -> list[StreamLine]:
        rows = LogLine.objects.filter(publication_id=int(key), number__gt=after).order_by("number")[
            :limit
        ]
        return [StreamLine(row.number, row.as_json()) for row in rows]

    def state(self, key: str) -> dict | None:
        return (
            Publication.objects.filter(pk=int(key))
            .values("status", "failure_reason", "image_reference", "image_digest")
            .first()
        )

    def is_final(self, state: dict) -> bool:
        return state["status"] in FINAL_STATUSES
