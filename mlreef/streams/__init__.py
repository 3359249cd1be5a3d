"""Live streams (Server-Sent Events) served apart from the web server's threads.

Why: an SSE connection lasts minutes; on gunicorn's threads, a few dozen anonymous viewers of a
running build starve the threads that serve pages and git. So Django only authorises a stream
and answers 307 to a short-lived signed URL on the stream server (``manage.py serve_streams``,
an ASGI app under uvicorn), where thousands of idle connections cost a coroutine each, one
poll per streamed object is shared by all its viewers, and opens are capped per client address
and in total (429 beyond).

What is streamed is pluggable: a :class:`~mlreef.streams.sources.StreamSource` named in the
``STREAM_SOURCES`` setting reads numbered lines and a state for one object ("publication 12",
"run 7"). The wire format is the same for every source: ``line`` events whose id is the line
number (resume with ``Last-Event-ID``), ``status`` when the state changes, ``end`` when it is
final and every line was sent.
"""
