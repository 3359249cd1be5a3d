import click

DATA_OPTIONS = [
    click.option("--input-path", required=True, help="Data folder"),
    click.option("--output-path", required=True, help="Results folder"),
]


def add_options(options):
    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def optimizer_options(function):
    function = click.option("--momentum", type=click.FloatRange(0, 1), default=0.9)(function)
    function = click.option("--lr", type=float, default=0.01, help="Step size")(function)
    return function
