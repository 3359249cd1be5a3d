"""Run the upstream OCI conformance suite against the hub's registry and Debian's distribution.

The suite is opencontainers/distribution-spec's ``conformance/`` (not vendored here): build it
once (``go build -o conformance .`` in that folder, Go 1.24, or 1.23 with the two newer calls
shimmed) and pass the binary with ``--suite`` or ``OCI_CONFORMANCE_BIN``. This script starts the
hub (gunicorn, token authentication; bench/harness.py) on a throw-away DATA_DIR with a site
administrator owning two modules, runs the suite as that administrator against them, then does
the same against a ``docker-registry`` (distribution 2.8, deletes enabled) for the baseline, and
prints both counts and the failing checks. Two profiles run, each against its own pair of
repositories: ``stable``, the suite's defaults for spec 1.1 (every API of the spec on; the
profile in which distribution 2.8.2 fails 99 of 848 checks), and ``all``, every switch of the
suite on, optional ones included (upload cancel, digest headers, tag parameters, sparse
manifests), against the hub with ``REGISTRY_SPARSE_MANIFESTS`` on.

    python bench/conformance.py --suite /path/to/conformance [--only hub|distribution]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

import harness

WORK = harness.isolate("mlreef-bench-conformance-")
PASSWORD = "conformance-password-7"

# Every switch of the suite's configuration (README "Environment Variables"), on.
FEATURES = [
    "API_PULL",
    "API_PUSH",
    "API_BLOBS_ATOMIC",
    "API_BLOBS_DELETE",
    "API_BLOBS_DIGEST_HEADER",
    "API_BLOBS_MOUNT_ANONYMOUS",
    "API_BLOBS_UPLOAD_CANCEL",
    "API_MANIFESTS_ATOMIC",
    "API_MANIFESTS_DELETE",
    "API_MANIFESTS_DIGEST_HEADER",
    "API_MANIFESTS_TAG_PARAM",
    "API_TAGS_ATOMIC",
    "API_TAGS_DELETE",
    "API_TAGS_LIST",
    "API_REFERRER",
    "DATA_IMAGE",
    "DATA_INDEX",
    "DATA_INDEX_LIST",
    "DATA_SPARSE",
    "DATA_ARTIFACT",
    "DATA_SUBJECT",
    "DATA_SUBJECT_MISSING",
    "DATA_ARTIFACT_LIST",
    "DATA_SUBJECT_LIST",
    "DATA_DATA_FIELD",
    "DATA_NONDISTRIBUTABLE",
    "DATA_CUSTOM_FIELDS",
    "DATA_NO_LAYERS",
    "DATA_EMPTY_BLOB",
    "DATA_SHA512",
]


PROFILES = ("stable", "all")


def run_suite(
    suite: str,
    profile: str,
    registry: str,
    repos: tuple[str, str],
    auth: tuple[str, str] | None,
    out: Path,
) -> tuple[dict[str, int], list[str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OCI_")}
    if profile == "all":
        env.update({f"OCI_{name}": "true" for name in FEATURES})
    env.update(
        OCI_REGISTRY=registry,
        OCI_TLS="disabled",
        OCI_REPO1=repos[0],
        OCI_REPO2=repos[1],
        OCI_RESULTS_DIR=str(out),
        OCI_VERSION="1.1",
        OCI_LOG="error",
        OCI_CONFIGURATION=str(out / "oci-conformance.yaml"),
    )
    if auth:
        env.update(OCI_USERNAME=auth[0], OCI_PASSWORD=auth[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "oci-conformance.yaml").write_text("{}\n")  # everything comes from the environment
    result = subprocess.run([suite], env=env, capture_output=True, text=True, cwd=out)
    (out / "stdout.txt").write_text(result.stdout)
    (out / "stderr.txt").write_text(result.stderr)
    counts = {
        match.group(1).strip(" ."): int(match.group(2))
        for match in re.finditer(r"^  ([A-Za-z ]+?)\.*:\s+(\d+)$", result.stdout, re.M)
    }
    # The failing checks themselves (leaves of the result tree) with their first error line.
    lines = result.stdout.split("\nConfiguration:", 1)[0].splitlines()
    failures = []
    for index, line in enumerate(lines):
        if line.endswith(": FAIL"):
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if following.startswith("- "):
                failures.append(f"{line.strip()[:-6]}  {following}")
    return counts, failures


def report(label: str, counts: dict[str, int], failures: list[str], out: Path) -> None:
    summary = ", ".join(f"{key.lower()} {value}" for key, value in counts.items())
    print(f"{label}: {summary}   (report: {out}/report.html)", flush=True)
    for line in sorted(set(failures))[:300]:
        print(f"    {line[:240]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=os.environ.get("OCI_CONFORMANCE_BIN", ""))
    parser.add_argument("--only", choices=["hub", "distribution"])
    parser.add_argument("--results", default="", help="keep the reports in this folder")
    options = parser.parse_args()
    if not options.suite or not os.access(options.suite, os.X_OK):
        raise SystemExit("needs the built conformance binary: --suite PATH or OCI_CONFORMANCE_BIN")
    suite = os.path.abspath(options.suite)
    results = Path(options.results).resolve() if options.results else WORK / "results"
    try:
        if options.only != "distribution":
            import django

            django.setup()
            from django.core.management import call_command

            from accounts.models import User
            from modules import services

            call_command("migrate", verbosity=0)
            admin = User.objects.create_superuser("oci", "oci@example.com", PASSWORD)

            def module(slug: str, visibility: str) -> str:
                return services.create_module(
                    admin,
                    name=slug,
                    slug=slug,
                    kind="model",
                    data_types=["any"],
                    visibility=visibility,
                ).full_name

            for profile in PROFILES:
                # The hub as configured by default for the spec's profile; with its optional
                # feature (REGISTRY_SPARSE_MANIFESTS) on for the suite's every-switch profile.
                sparse = "true" if profile == "all" else "false"
                served = harness.start_hub(WORK, REGISTRY_SPARSE_MANIFESTS=sparse)
                hub = served.url.removeprefix("http://")
                try:
                    # A private and a public module, so both access paths are exercised.
                    repos = (module(f"{profile}-1", "private"), module(f"{profile}-2", "public"))
                    out = results / f"hub-{profile}"
                    auth = (admin.username, PASSWORD)
                    counts, failures = run_suite(suite, profile, hub, repos, auth, out)
                    report(f"hub, {profile}", counts, failures, out)
                finally:
                    served.stop()
        if options.only != "hub" and shutil.which("docker-registry"):
            distribution_server = harness.registry(WORK, "distribution")
            distribution = distribution_server.host
            try:
                for profile in PROFILES:
                    repos = (f"conformance/{profile}-1", f"conformance/{profile}-2")
                    out = results / f"distribution-{profile}"
                    counts, failures = run_suite(suite, profile, distribution, repos, None, out)
                    report(f"distribution, {profile}", counts, failures, out)
            finally:
                distribution_server.stop()
    finally:
        if not options.results:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
