from typing import List, Optional

from jsonargparse import CLI


class Trainer:
    """Train and evaluate a model.

    Args:
        run_name: Name of the run.
        input_path: Folder with the data.
        output_path: Folder for results.
        max_epochs: Passes over the data.
    """

    def __init__(
        self,
        run_name: str,
        input_path: str = "data",
        output_path: str = "out",
        max_epochs: int = 3,
        devices: List[str] = ["cpu"],  # noqa: B006
        precision: Optional[int] = None,
    ):
        self.max_epochs = max_epochs

    def fit(self, resume: bool = False):
        """A sub-command, not a parameter."""

    def test(self):
        """Another."""


if __name__ == "__main__":
    CLI(Trainer)
