import enum
from pathlib import Path

import click


class Command(click.Command):
    """A custom command class, as projects write them."""


class Backbone(str, enum.Enum):
    RESNET = "resnet"
    VIT = "vit"


@click.command(cls=Command, context_settings={"show_default": True})
@click.option("--input-path", "-i", type=click.Path(exists=False, path_type=Path), required=True)
@click.option("--output-path", "-o", type=click.Path(file_okay=False), required=True)
@click.option("--backbone", type=click.Choice([b.value for b in Backbone]), default=Backbone.RESNET.value)
@click.option("--batch-size", "--bs", type=int, default=32, show_default=True, help="Examples per step")
@click.option("--threshold", default=0.5, help="Decision threshold")
@click.option("--class-name", "class_names", multiple=True, help="Classes to keep")
@click.option("--verbose", "-v", is_flag=True, default=False, help="More output")
@click.option("--no-augment", "augment", is_flag=True, flag_value=False, default=True)
@click.option("--seed", envvar="SEED", type=int, default=None)
@click.argument("checkpoint", required=False)
def main(input_path, output_path, backbone, batch_size, threshold, class_names, verbose, augment, seed, checkpoint):
    pass


if __name__ == "__main__":
    main()
