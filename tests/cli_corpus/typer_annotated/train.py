import enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer


class Precision(int, enum.Enum):
    HALF = 16
    FULL = 32


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


def main(
    config: Annotated[Path, typer.Argument(help="Configuration file")],
    input_path: Annotated[Path, typer.Option(help="Data folder")],
    output_path: Annotated[Path, typer.Option("--output-path", "-o", help="Results folder")],
    layers: Annotated[List[int], typer.Option(help="Layer sizes")] = [64, 32],
    colors: Annotated[Optional[List[Color]], typer.Option("--color")] = None,
    precision: Annotated[Precision, typer.Option(help="Bits")] = Precision.FULL,
    batch_size: Annotated[int, typer.Option(min=1, max=512)] = 32,
    dropout: Annotated[float, typer.Option("--dropout", "-d")] = 0.1,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite")] = False,
    cache: Annotated[bool, typer.Option("--cache/--no-cache")] = True,
    extra: Annotated[Optional[List[str]], typer.Argument()] = None,
):
    """Everything inside Annotated[...]."""


if __name__ == "__main__":
    typer.run(main)
