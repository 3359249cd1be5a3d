from __future__ import annotations

import json

from django import forms

from .models import DataType, Kind, Module, Role, Visibility, slug_validator


class ModuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.CharField(
        max_length=64,
        required=False,
        validators=[slug_validator],
        help_text="Part of the URL and clone URL; derived from the name when left empty.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    kind = forms.ChoiceField(
        choices=Kind.choices,
        help_text="Model: trains or predicts. Data operation: turns data into other data. Data "
        "visualization: draws charts from data. Dataset: holds data (large files go to Git LFS); "
        "the other kinds hold code and can be published as images.",
    )
    data_types = forms.MultipleChoiceField(
        choices=DataType.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Data types",
        help_text="For a module, the data it takes as input; for a dataset, the data it holds.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        initial=Visibility.PUBLIC,
        help_text="Public: anyone can see, clone and pull it. Private: only you and the "
        "collaborators you add; its images need a registry login.",
    )


class ModuleSettingsForm(ModuleForm):
    slug = forms.CharField(max_length=64, validators=[slug_validator], label="Path (slug)")
    default_branch = forms.CharField(max_length=255)
    publish_on_push = forms.BooleanField(
        required=False,
        label="Publish on push",
        help_text="A push to the publish branch that carries mlreef.yml publishes a new version.",
    )
    publish_branch = forms.CharField(max_length=255, required=False)
    allow_force_push = forms.BooleanField(
        required=False,
        label="Allow force pushes to the default branch",
        help_text="Write collaborators may then delete or rewrite it; owners always may.",
    )

    @classmethod
    def for_module(cls, module: Module, data=None) -> ModuleSettingsForm:
        initial = {
            field: getattr(module, field)
            for field in (
                "name",
                "slug",
                "description",
                "kind",
                "data_types",
                "visibility",
                "default_branch",
                "publish_on_push",
                "publish_branch",
                "allow_force_push",
            )
        }
        form = cls(data=data, initial=initial)
        branches = module.repository.branch_names()
        if branches:
            # A menu of the branches that exist (keeping the current value if it is not one).
            names = (
                branches
                if module.default_branch in branches
                else [module.default_branch, *branches]
            )
            form.fields["default_branch"].widget = forms.Select(choices=[(b, b) for b in names])
            form.fields["publish_branch"].widget = forms.Select(
                choices=[("", "— none —"), *[(b, b) for b in names]]
            )
        return form

    GENERAL = ("name", "slug", "description", "kind", "data_types", "visibility", "default_branch")
    PUBLISHING = ("publish_on_push", "publish_branch", "allow_force_push")

    def general_fields(self):
        return [self[name] for name in self.GENERAL]

    def publishing_fields(self):
        return [self[name] for name in self.PUBLISHING]


class CollaboratorForm(forms.Form):
    username = forms.CharField(max_length=39)
    role = forms.ChoiceField(choices=Role.choices)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, (list, tuple)) else [data]
        return [cleaned for item in items if (cleaned := single(item, initial)) is not None]


class UploadForm(forms.Form):
    files = MultipleFileField(required=False)
    # A folder picked in the browser; static/js/upload.js records each file's path inside it
    # (browsers send only base names), in the order the files are sent.
    folder = MultipleFileField(required=False)
    folder_paths = forms.CharField(required=False, widget=forms.HiddenInput)
    directory = forms.CharField(required=False, help_text="Target folder; empty for the root.")
    branch = forms.CharField(max_length=255)
    message = forms.CharField(max_length=1000)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("files") and not cleaned.get("folder"):
            raise forms.ValidationError("Choose files or a folder to upload.")
        return cleaned

    def uploads(self) -> dict:
        """Repository path -> uploaded file, under the target directory."""
        data = self.cleaned_data
        directory = data["directory"].rstrip("/")
        named = [(f.name, f) for f in data["files"]]
        folder = data["folder"]
        try:
            paths = json.loads(data.get("folder_paths") or "[]")
        except ValueError:
            paths = []
        if not (isinstance(paths, list) and len(paths) == len(folder)):
            paths = [f.name for f in folder]
        named += [(str(path), f) for path, f in zip(paths, folder, strict=True)]
        return {(f"{directory}/{name}" if directory else name): f for name, f in named}


class NewFileForm(forms.Form):
    path = forms.CharField(max_length=1000)
    content = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "class": "code"}), required=False, strip=False
    )
    branch = forms.CharField(max_length=255)
    message = forms.CharField(max_length=1000)
    # Shown (as a checkbox) only once the path turns out to exist: replacing needs a yes.
    overwrite = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label="Replace the existing file"
    )

    def ask_to_overwrite(self, path: str, branch: str) -> None:
        self.fields["overwrite"].widget = forms.CheckboxInput()
        self.add_error(
            "path",
            f"'{path}' already exists on {branch}. Tick \"Replace the existing file\" below to "
            "overwrite it, or choose another name.",
        )
