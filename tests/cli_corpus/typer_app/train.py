import typer

app = typer.Typer()


@app.callback()
def common(
    input_path: str = typer.Option(..., "--input-path"),
    output_path: str = typer.Option(..., "--output-path"),
    debug: bool = typer.Option(False, "--debug/--no-debug"),
):
    """Shared options."""


@app.command()
def train(epochs: int = 3):
    """Train."""


@app.command()
def evaluate(split: str = "test"):
    """Evaluate."""


if __name__ == "__main__":
    app()
