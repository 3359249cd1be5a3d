from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated


class Optimizer(str, Enum):
    adam = "adam"
    sgd = "sgd"


def main(
    input_path: Path = typer.Option(..., help="Data folder"),
    output_path: Annotated[Path, typer.Option(help="Results")] = Path("out"),
    learning_rate: float = 0.001,
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Passes")] = 10,
    optimizer: Optimizer = Optimizer.adam,
    verbose: bool = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="No writes")] = False,
    tag: Optional[List[str]] = typer.Option(None),
    seed: Optional[int] = None,
    name: str = typer.Argument("run", help="Run name"),
):
    """Train."""


if __name__ == "__main__":
    typer.run(main)
