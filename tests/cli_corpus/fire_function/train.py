from typing import List, Optional

import fire


def train(
    input_path: str,
    output_path: str,
    learning_rate: float = 3e-4,
    epochs=10,
    layers: List[int] = [64, 64],  # noqa: B006 - a fire script as people write them
    name: Optional[str] = None,
    *args,
    verbose: bool = False,
    **kwargs,
):
    """Train a model.

    Args:
        input_path: Folder with the training data.
        output_path: Where checkpoints go.
        learning_rate (float): Step size
            of the optimiser.
        epochs: Passes over the data.
    """


if __name__ == "__main__":
    fire.Fire(train)
