import enum

import click

from options import DATA_OPTIONS, add_options, optimizer_options


class Device(enum.Enum):
    CPU = "cpu"
    GPU = "gpu"


TRAIN_OPTIONS = [
    click.option("--epochs", type=click.IntRange(1, 100), default=5, help="Passes"),
    click.option("--device", type=click.Choice(Device, case_sensitive=False), default="cpu"),
]


@click.command()
@add_options(DATA_OPTIONS)
@add_options(TRAIN_OPTIONS)
@optimizer_options
@click.option("--layer", "layers", multiple=True, type=int, default=[64, 32], help="Layer sizes")
@click.option("--fp16", "precision", flag_value="fp16", help="Half precision")
@click.option("--deterministic/--random", " /-R", default=False)
def main(**kwargs):
    """Options built by helpers of the same repository."""


if __name__ == "__main__":
    main()
