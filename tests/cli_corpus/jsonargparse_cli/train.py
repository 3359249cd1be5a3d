from typing import List, Literal, Optional

from jsonargparse import CLI


def train(
    run_name: str,
    input_path: str = "data",
    output_path: str = "out",
    epochs: int = 10,
    learning_rate: float = 0.001,
    layers: List[int] = [64, 32],  # noqa: B006
    optimizer: Literal["adam", "sgd"] = "adam",
    resume: Optional[str] = None,
    shuffle: bool = True,
):
    """Train a model.

    Args:
        run_name: Name of the run.
        input_path: Training data folder.
        output_path: Results folder.
        epochs: Passes over the data.
        learning_rate: Step size.
    """


if __name__ == "__main__":
    CLI(train)
