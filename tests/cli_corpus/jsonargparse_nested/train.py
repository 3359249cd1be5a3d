from dataclasses import dataclass, field
from typing import List, Literal, Optional

from jsonargparse import ArgumentParser


@dataclass
class Loader:
    workers: int = 2
    pin_memory: bool = False


@dataclass
class Data:
    path: str = "data"
    loader: Loader = field(default_factory=Loader)
    columns: List[str] = field(default_factory=lambda: ["text"])


class Model:
    def __init__(self, hidden: int = 128, activation: Literal["relu", "gelu"] = "relu"):
        """A model.

        Args:
            hidden: Hidden units.
            activation: Non-linearity.
        """


def fit(input_path: str, output_path: str = "out", steps: Optional[int] = None, seeds: List[int] = [0]):  # noqa: B006
    """Fit.

    Args:
        input_path: Folder with the data.
        output_path: Folder for results.
        steps: Stop after this many steps.
    """


def main():
    parser = ArgumentParser(description="Nested options")
    parser.add_function_arguments(fit, "fit")
    parser.add_class_arguments(Model, "model")
    parser.add_argument("--data", type=Data, default=Data())
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", default="out")
    parser.add_argument("--tags", type=List[str], default=[])
    parser.add_argument("--fast", action="store_true")
    parser.parse_args()


if __name__ == "__main__":
    main()
