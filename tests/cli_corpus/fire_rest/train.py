import enum
import fire


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


def evaluate(
    input_path,
    output_path="results",
    *,
    batch_size: int = 16,
    threshold: float = 0.5,
    mode: Mode = Mode.FAST,
    labels: tuple = ("cat", "dog"),
    dry_run: bool = False,
):
    """Evaluate a model.

    :param input_path: Folder with the
        evaluation data.
    :param output_path: Where the report goes.
    :param int batch_size: Examples per step.
    :param threshold: Decision threshold.
    :type threshold: float
    :returns: nothing
    """


def main():
    fire.Fire(evaluate, name="evaluate")


if __name__ == "__main__":
    main()
