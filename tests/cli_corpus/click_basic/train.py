import enum

import click


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


def training_options(function):
    function = click.option("--epochs", default=10, show_default=True, help="Passes")(function)
    function = click.option("--lr", "--learning-rate", type=float, default=0.001)(function)
    return function


@click.command()
@click.option("--input-path", required=True, type=click.Path(exists=False), help="Data folder")
@click.option("--output_path", "-o", required=True, help="Results")
@training_options
@click.option("--shout/--no-shout", default=False, help="Loud")
@click.option("--dry-run", is_flag=True)
@click.option("-v", "--verbose", count=True)
@click.option("--tag", multiple=True)
@click.option("--mode", type=click.Choice(["a", "b"]), default="a")
@click.option("--speed", type=click.Choice(Mode), default=Mode.FAST)
@click.option("--size", nargs=2, type=int, default=(1, 2))
@click.option("--seed", type=int)
@click.option("--name", "run_name", default="run")
@click.argument("config")
@click.argument("extra", nargs=-1)
def main(input_path, output_path, epochs, lr, shout, dry_run, verbose, tag, mode, speed, size,
         seed, run_name, config, extra):
    """Train a model."""


if __name__ == "__main__":
    main()
