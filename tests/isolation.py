"""Loaded with ``-p`` before Django's settings: give the test run its own DATA_DIR.

Repositories, the SQLite test database and the filesystem broker then live in a throw-away
folder, shared with the servers the tests start, and never touch a developer's data.
"""

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="mlreef-tests-"))
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
