"""Publishing workflows, one module per part of a publication's life:

- ``revisions``: reading a module's revision (its files, parameters, saved choices);
- ``starting``: start (wizard, API, push), queue, re-send lost messages, publish on push;
- ``stopping``: cancel, and reap publications whose worker died or never came;
- ``build``: run one publication (the Celery task's body), step by step;
- ``build_context``: the generated Dockerfile, tags, labels and push target of a build.

A publication is a state machine: queued -> cloning -> parsing -> building -> pushing ->
published, or failed / cancelled. Each step writes to the publication's log as it happens.

The names callers use are re-exported here, so ``from publishing import services`` keeps working.
"""

from .build import BUILD_FOLDER_PREFIX, BuildRun, UserError, run_publication, sweep_build_folders
from .build_context import DOCKERFILE, build_request
from .revisions import existing_choices, export_commit, image_repository, read_parameters
from .starting import (
    PublishError,
    PublishRequest,
    check_paths,
    publish_on_push,
    resend_queued_publications,
    start_publication,
)
from .stopping import cancel_publication, reap_stale_publications

__all__ = [
    "BUILD_FOLDER_PREFIX",
    "DOCKERFILE",
    "BuildRun",
    "PublishError",
    "PublishRequest",
    "UserError",
    "build_request",
    "cancel_publication",
    "check_paths",
    "existing_choices",
    "export_commit",
    "image_repository",
    "publish_on_push",
    "read_parameters",
    "reap_stale_publications",
    "resend_queued_publications",
    "run_publication",
    "start_publication",
    "sweep_build_folders",
]
