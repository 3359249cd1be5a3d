"""Command-line styles besides argparse: click, typer, HfArgumentParser, absl flags, python-fire,
jsonargparse. Each is read statically into the same JSON as argparse (see README)."""
