from enum import Enum
from pathlib import Path
from typing import List

import typer

app = typer.Typer(add_completion=False)


class Model(str, Enum):
    small = "small"
    large = "large"


@app.command()
def train(
    input_path: Path = typer.Option(..., "--input-path", help="Data folder", exists=False),
    output_path: Path = typer.Option(Path("out"), help="Results folder"),
    model: Model = typer.Option(Model.small, case_sensitive=False),
    tags: List[str] = typer.Option([], "--tag", "-t", help="Tags"),
    seed: int = typer.Option(None, help="Random seed"),
    resume: bool = typer.Option(False, is_flag=True, help="Resume"),
    mixed: bool = typer.Option(True, "--mixed/--full", help="Mixed precision"),
    debug: bool = typer.Option(False, hidden=True),
    epochs: int = typer.Argument(3, help="Passes"),
):
    """The app's only command: typer runs it directly."""


if __name__ == "__main__":
    app()
