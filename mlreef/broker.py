"""The embedded Celery broker: kombu's filesystem transport, with messages written atomically.

kombu writes a message file in place (open, then write) while a consumer lists the folder,
moves the file away and reads it without taking the writer's lock. A consumer polling ten
times a second on a busy machine can catch a file between its creation and its first byte,
read nothing and die on the empty JSON (``Unrecoverable error: JSONDecodeError``), and the
worker's queued builds and runs wait until their heartbeat timeout. Here a message is written
to a hidden temporary name, which the consumer's pattern (``<n>_<uuid>.<queue>.msg``) never
matches, and renamed into place once complete: a rename is atomic, so a consumer sees a
whole message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs) -> None:
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".{name}.partial")
        data = str_to_bytes(dumps(payload))
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
            os.replace(temporary, final)
        except OSError as error:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
