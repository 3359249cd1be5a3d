from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api
from mlreef.api import ApiDocsView
from modules import api as modules_api
from modules import library
from modules import views as module_views
from modules.git_http import git_http
from pipelines import api as pipelines_api
from pipelines import pipeline_api, pipeline_views
from pipelines import views as pipelines_views
from publishing import api as publishing_api
from publishing import views as publishing_views

MODULE = "<str:namespace>/<str:slug>"

run_api_patterns = [
    path("runs/", pipelines_api.RunListView.as_view(), name="api-runs"),
    path("runs/<int:run_id>/", pipelines_api.RunDetailView.as_view(), name="api-run"),
    path("runs/<int:run_id>/log/", pipelines_api.RunLogView.as_view(), name="api-run-log"),
    path(
        "runs/<int:run_id>/metrics/",
        pipelines_api.RunMetricListView.as_view(),
        name="api-run-metrics",
    ),
    path(
        "runs/<int:run_id>/metrics/history/",
        pipelines_api.RunMetricHistoryView.as_view(),
        name="api-run-metric-history",
    ),
    path(
        "runs/<int:run_id>/artifacts/",
        pipelines_api.RunArtifactListView.as_view(),
        name="api-run-artifacts",
    ),
    path(
        "runs/<int:run_id>/artifacts/<path:path>",
        pipelines_api.RunArtifactView.as_view(),
        name="api-run-artifact",
    ),
    path("runs/<int:run_id>/cancel/", pipelines_api.RunCancelView.as_view(), name="api-run-cancel"),
    path("runs/<int:run_id>/rerun/", pipelines_api.RunAgainView.as_view(), name="api-run-again"),
]

pipeline_api_patterns = [
    path(
        f"modules/{MODULE}/pipelines/",
        pipeline_api.SavedPipelineListView.as_view(),
        name="api-saved-pipelines",
    ),
    path(
        f"modules/{MODULE}/pipelines/<slug:name>/",
        pipeline_api.SavedPipelineView.as_view(),
        name="api-saved-pipeline",
    ),
    path(
        f"modules/{MODULE}/pipelines/<slug:name>/run/",
        pipeline_api.SavedPipelineRunView.as_view(),
        name="api-saved-pipeline-run",
    ),
    path("pipeline-runs/", pipeline_api.PipelineRunListView.as_view(), name="api-pipeline-runs"),
    path(
        "pipeline-runs/<int:pipeline_run_id>/",
        pipeline_api.PipelineRunDetailView.as_view(),
        name="api-pipeline-run",
    ),
    path(
        "pipeline-runs/<int:pipeline_run_id>/steps/",
        pipeline_api.PipelineRunStepsView.as_view(),
        name="api-pipeline-run-steps",
    ),
    path(
        "pipeline-runs/<int:pipeline_run_id>/logs/",
        pipeline_api.PipelineRunLogView.as_view(),
        name="api-pipeline-run-logs",
    ),
    path(
        "pipeline-runs/<int:pipeline_run_id>/outputs/",
        pipeline_api.PipelineRunOutputsView.as_view(),
        name="api-pipeline-run-outputs",
    ),
    path(
        "pipeline-runs/<int:pipeline_run_id>/cancel/",
        pipeline_api.PipelineRunCancelView.as_view(),
        name="api-pipeline-run-cancel",
    ),
    path(
        "pipeline-runs/<int:pipeline_run_id>/finish/",
        pipeline_api.PipelineRunFinishView.as_view(),
        name="api-pipeline-run-finish",
    ),
    path(
        "visualizations/", pipeline_api.VisualizationListView.as_view(), name="api-visualizations"
    ),
]

api_patterns = (
    run_api_patterns
    + pipeline_api_patterns
    + [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
        path("users/me/", accounts_api.MeView.as_view(), name="api-me"),
        path("tokens/", accounts_api.TokenListView.as_view(), name="api-tokens"),
        path("tokens/<int:token_id>/", accounts_api.TokenDetailView.as_view(), name="api-token"),
        path("modules/", modules_api.ModuleListView.as_view(), name="api-modules"),
        path(f"modules/{MODULE}/", modules_api.ModuleDetailView.as_view(), name="api-module"),
        path(
            f"modules/{MODULE}/collaborators/",
            modules_api.CollaboratorListView.as_view(),
            name="api-collaborators",
        ),
        path(
            f"modules/{MODULE}/collaborators/<str:username>/",
            modules_api.CollaboratorDetailView.as_view(),
            name="api-collaborator",
        ),
        path(
            f"modules/{MODULE}/branches/", modules_api.BranchListView.as_view(), name="api-branches"
        ),
        path(
            f"modules/{MODULE}/commits/", modules_api.CommitListView.as_view(), name="api-commits"
        ),
        path(f"modules/{MODULE}/tree/", modules_api.TreeView.as_view(), name="api-tree"),
        path(f"modules/{MODULE}/raw/", modules_api.RawFileView.as_view(), name="api-raw"),
        path(
            "base-environments/",
            publishing_api.BaseEnvironmentListView.as_view(),
            name="api-base-environments",
        ),
        path(
            f"modules/{MODULE}/publications/",
            publishing_api.PublicationListView.as_view(),
            name="api-publications",
        ),
        path(
            f"modules/{MODULE}/publications/<int:version>/",
            publishing_api.PublicationDetailView.as_view(),
            name="api-publication",
        ),
        path(
            f"modules/{MODULE}/publications/<int:version>/log/",
            publishing_api.PublicationLogView.as_view(),
            name="api-publication-log",
        ),
        path(
            f"modules/{MODULE}/publications/<int:version>/cancel/",
            publishing_api.PublicationCancelView.as_view(),
            name="api-publication-cancel",
        ),
    ]
)

urlpatterns = [
    path("", library.library, name="library"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include(api_patterns)),
    path("new/", module_views.module_create, name="module-create"),
    path("v2/", include("registry.urls")),
    path("experiments/new/", pipelines_views.run_new, name="run-new"),
    path("experiments/compare/", pipelines_views.compare, name="run-compare"),
    path("experiments/<int:run_id>/", pipelines_views.run_detail, name="run-detail"),
    path("experiments/<int:run_id>/events/", pipelines_views.run_events, name="run-events"),
    path(
        "experiments/<int:run_id>/metric-events/",
        pipelines_views.run_metric_events,
        name="run-metric-events",
    ),
    path("experiments/<int:run_id>/cancel/", pipelines_views.run_cancel, name="run-cancel"),
    path("experiments/<int:run_id>/again/", pipelines_views.run_again, name="run-again"),
    path(
        "experiments/<int:run_id>/artifacts/<path:path>",
        pipelines_views.run_artifact,
        name="run-artifact",
    ),
    path(
        "pipelines/<int:pipeline_run_id>/",
        pipeline_views.pipeline_run_detail,
        name="pipeline-run-detail",
    ),
    path(
        "pipelines/<int:pipeline_run_id>/cancel/",
        pipeline_views.pipeline_run_cancel,
        name="pipeline-run-cancel",
    ),
    path(
        "pipelines/<int:pipeline_run_id>/outputs/<int:run_id>/<path:path>",
        pipeline_views.pipeline_output,
        name="pipeline-output",
    ),
    # git clients append /info/refs etc. to the clone URL, with or without ".git".
    re_path(
        r"^(?P<namespace>[^/]+)/(?P<slug>[^/]+?)(?:\.git)?/"
        r"(?P<git_path>info/refs|git-upload-pack|git-receive-pack)$",
        git_http,
        name="git-http",
    ),
    # Git LFS finds its server at <clone URL>/info/lfs (".git" added when the remote lacks it).
    re_path(
        r"^(?P<namespace>[^/]+)/(?P<slug>[^/]+?)(?:\.git)?/info/lfs/",
        include("modules.lfs.urls"),
    ),
    path("<str:username>/", library.user_page, name="user-page"),
    path(f"{MODULE}/", module_views.module_detail, name="module-detail"),
    path(f"{MODULE}/blob/", module_views.blob, name="module-blob"),
    path(f"{MODULE}/raw/", module_views.raw, name="module-raw"),
    path(f"{MODULE}/thumbnail/", module_views.thumbnail, name="module-thumbnail"),
    path(f"{MODULE}/commits/", module_views.commits, name="module-commits"),
    path(f"{MODULE}/commit/<str:sha>/", module_views.commit_detail, name="module-commit"),
    path(f"{MODULE}/upload/", module_views.upload, name="module-upload"),
    path(f"{MODULE}/new-file/", module_views.new_file, name="module-new-file"),
    path(f"{MODULE}/settings/", module_views.module_settings, name="module-settings"),
    path(f"{MODULE}/publish/", publishing_views.publish_wizard, name="publish-wizard"),
    path(f"{MODULE}/experiments/", pipelines_views.module_runs, name="module-experiments"),
    path(f"{MODULE}/pipelines/", pipeline_views.dataset_pipelines, name="dataset-pipelines"),
    path(f"{MODULE}/pipelines/editor/", pipeline_views.pipeline_editor, name="pipeline-editor"),
    path(
        f"{MODULE}/visualizations/new/",
        pipeline_views.visualization_new,
        name="visualization-new",
    ),
    path(f"{MODULE}/publications/", publishing_views.publication_list, name="publication-list"),
    path(
        f"{MODULE}/publications/<int:version>/",
        publishing_views.publication_detail,
        name="publication-detail",
    ),
    path(
        f"{MODULE}/publications/<int:version>/log.txt",
        publishing_views.publication_log_text,
        name="publication-log-text",
    ),
    path(
        f"{MODULE}/publications/<int:version>/events/",
        publishing_views.publication_events,
        name="publication-events",
    ),
    path(
        f"{MODULE}/publications/<int:version>/cancel/",
        publishing_views.publication_cancel,
        name="publication-cancel",
    ),
]
