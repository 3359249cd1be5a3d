import click


@click.group(invoke_without_command=True)
@click.option("--input-path", required=True, type=click.Path(), help="Data folder")
@click.option("--output-path", required=True, type=click.Path(), help="Results folder")
@click.option("--cache/--no-cache", default=True, help="Reuse earlier results")
@click.option("-q", "--quiet", count=True, help="Less output")
@click.option("--log-level", type=click.Choice(["debug", "info"], case_sensitive=False), default="info")
@click.option("--secret", hidden=True, default="x")
@click.pass_context
def cli(ctx, input_path, output_path, cache, quiet, log_level, secret):
    """A tool with sub-commands: only the group's options are parameters."""
    ctx.obj = {"input": input_path}


@cli.command()
@click.option("--epochs", default=1)
def train(epochs):
    """A sub-command."""


@cli.command("evaluate")
@click.argument("split")
def evaluate_command(split):
    """Another."""


if __name__ == "__main__":
    cli()
