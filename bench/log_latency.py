"""Measure how long a publication's log line takes to reach a browser over Server-Sent Events.

Starts gunicorn and the stream server on a throw-away SQLite database, opens the
publication's event stream the way a browser's EventSource does, writes lines through the same
log writer the build uses, and prints how long each took to arrive (median, 95th percentile,
worst). Baseline in the same run: the same lines read back by polling the log API once a
second, as a page without SSE would.

    python bench/log_latency.py [--lines N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.request

import harness

WORK = harness.isolate("mlreef-latency-", data="")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--lines", type=int, default=60)
    count = options.parse_args().lines

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from modules import services as module_services
    from publishing.logs import PublicationLog
    from publishing.models import BaseEnvironment, Publication

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", "b@example.com", "bench-password-1")
    module = module_services.create_module(user, name="Latency", kind="model", data_types=["any"])
    environment = BaseEnvironment.objects.create(name="py", image="x", python_version="3.11")
    publication = Publication.objects.create(
        module=module,
        version=1,
        commit_sha="0" * 40,
        entrypoint="train.py",
        base_environment=environment,
        builder="bench",
        status="building",
    )
    hub = harness.start_hub(WORK)
    base = hub.url

    sent: dict[str, float] = {}
    sse_delays: list[float] = []
    poll_delays: list[float] = []
    done = threading.Event()

    def listen() -> None:
        url = f"{base}/bench/latency/publications/1/events/"
        with urllib.request.urlopen(url, timeout=120) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data: ") and '"text"' in line:
                    text = json.loads(line[6:])["text"]
                    if text in sent:
                        sse_delays.append(time.perf_counter() - sent[text])
                if len(sse_delays) == count or done.is_set():
                    return

    def poll() -> None:
        seen = 0
        while not done.is_set():
            url = f"{base}/api/v1/modules/bench/latency/publications/1/log/?offset={seen}"
            with urllib.request.urlopen(url, timeout=30) as response:
                for item in json.load(response):
                    seen = item["number"]
                    if item["text"] in sent:
                        poll_delays.append(time.perf_counter() - sent[item["text"]])
            time.sleep(1.0)

    listener = threading.Thread(target=listen)
    poller = threading.Thread(target=poll)
    listener.start()
    poller.start()
    time.sleep(1.0)
    log = PublicationLog(publication, check_cancel=False)
    for index in range(count):
        text = f"build output line {index}"
        sent[text] = time.perf_counter()
        log.write(text)
        time.sleep(0.1)
    listener.join(timeout=30)
    time.sleep(1.5)
    done.set()
    poller.join(timeout=10)
    hub.stop()

    def describe(delays: list[float]) -> str:
        ordered = sorted(delays)
        p95 = ordered[int(len(ordered) * 0.95) - 1] if ordered else float("nan")
        return (
            f"median {statistics.median(ordered) * 1000:6.0f} ms, p95 {p95 * 1000:6.0f} ms,"
            f" worst {ordered[-1] * 1000:6.0f} ms ({len(ordered)}/{count} lines)"
        )

    print(f"{count} log lines, one every 100 ms")
    print(f"  SSE stream          {describe(sse_delays)}")
    print(f"  polling every 1 s   {describe(poll_delays)}")
    print(
        f"  ratio (poll / SSE median) "
        f"{statistics.median(poll_delays) / statistics.median(sse_delays):.1f}x"
    )


if __name__ == "__main__":
    main()
