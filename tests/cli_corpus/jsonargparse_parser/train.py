from dataclasses import dataclass

from jsonargparse import ActionConfigFile, ArgumentParser


@dataclass
class Data:
    """Where the data lives.

    Args:
        path: Folder of the dataset.
        batch_size: Examples per step.
    """

    path: str = "data"
    batch_size: int = 32


@dataclass
class Optim:
    lr: float = 0.01
    momentum: float = 0.9


def main():
    parser = ArgumentParser()
    parser.add_argument("--config", action=ActionConfigFile)
    parser.add_argument("--input-path", required=True, help="Input folder")
    parser.add_argument("--output-path", required=True, help="Output folder")
    parser.add_class_arguments(Data, "data")
    parser.add_argument("--optim", type=Optim, default=Optim())
    parser.add_argument("--seed", type=int, default=0)
    parser.parse_args()


if __name__ == "__main__":
    main()
