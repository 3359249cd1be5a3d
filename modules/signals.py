"""Signals other apps listen to, so modules need not know about them."""

from django.dispatch import Signal

# Sent after a push changed branches: module, user, changes={branch: (old_sha, new_sha)}.
push_received = Signal()
