"""Starting points offered by "New file": an argparse entry point per module kind."""

from __future__ import annotations

from dataclasses import dataclass

_HEADER = '''"""{title}

Run as: python {path} --input-path DATA_DIR --output-path OUT_DIR [options]
The hub reads the argparse block below (without running it) to learn this module's parameters.
"""

import argparse
import json
from pathlib import Path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="{title}")
    parser.add_argument("--input-path", required=True, help="Folder with the input data")
    parser.add_argument("--output-path", required=True, help="Folder for the results")
'''

_MODEL = (
    _HEADER
    + """    parser.add_argument("--epochs", type=int, default=10, help="Training epochs")
    parser.add_argument("--learning-rate", type=float, default=0.001, help="Optimizer step size")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output_path)
    output.mkdir(parents=True, exist_ok=True)
    history = []
    for epoch in range(args.epochs):
        history.append({{"epoch": epoch + 1, "loss": 1.0 / (epoch + 1)}})
    # experiment.json is what the hub reads to show a model run's metrics.
    experiment = {{"metrics": {{"loss": history[-1]["loss"] if history else None}},
                  "history": history,
                  "parameters": vars(args)}}
    (output / "experiment.json").write_text(json.dumps(experiment, indent=2))


if __name__ == "__main__":
    main()
"""
)

_DATA_OPERATION = (
    _HEADER
    + """    parser.add_argument("--suffix", default="-processed", help="Appended to each file name")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output_path)
    output.mkdir(parents=True, exist_ok=True)
    for source in sorted(Path(args.input_path).rglob("*")):
        if source.is_file():
            target = output / f"{{source.stem}}{{args.suffix}}{{source.suffix}}"
            target.write_bytes(source.read_bytes())


if __name__ == "__main__":
    main()
"""
)

_DATA_VISUALIZATION = (
    _HEADER
    + """    parser.add_argument("--title", default="Overview", help="Title of the report")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output_path)
    output.mkdir(parents=True, exist_ok=True)
    files = [p for p in Path(args.input_path).rglob("*") if p.is_file()]
    rows = "".join(f"<tr><td>{{p.name}}</td><td>{{p.stat().st_size}}</td></tr>" for p in files)
    html = f"<h1>{{args.title}}</h1><table><tr><th>File</th><th>Bytes</th></tr>{{rows}}</table>"
    (output / "index.html").write_text(html)
    (output / "summary.json").write_text(json.dumps({{"files": len(files)}}))


if __name__ == "__main__":
    main()
"""
)

_REQUIREMENTS = """# One requirement per line, pinned for reproducible images, e.g.:
# numpy==2.1.3
"""


@dataclass(frozen=True)
class FileTemplate:
    key: str
    label: str
    path: str
    body: str

    def render(self) -> str:
        title = self.label.replace(" entry point", "")
        return self.body.format(title=title, path=self.path)


TEMPLATES = {
    t.key: t
    for t in (
        FileTemplate("model", "Model training entry point", "train.py", _MODEL),
        FileTemplate("data-operation", "Data operation entry point", "main.py", _DATA_OPERATION),
        FileTemplate(
            "data-visualization", "Data visualization entry point", "main.py", _DATA_VISUALIZATION
        ),
        FileTemplate("requirements", "requirements.txt", "requirements.txt", _REQUIREMENTS),
    )
}
