import click
from click_option_group import optgroup, RequiredMutuallyExclusiveOptionGroup


@click.command()
@optgroup.group("Data", help="Where the data is")
@optgroup.option("--input-path", required=True, help="Data folder")
@optgroup.option("--output-path", required=True, help="Results folder")
@optgroup.group("Training")
@optgroup.option("--epochs", type=int, default=3, help="Passes")
@optgroup.option("--lr", type=float, default=0.001)
@optgroup.option("--amp/--no-amp", default=False)
@click.option("--seed", type=int, default=0)
def main(input_path, output_path, epochs, lr, amp, seed):
    """Option groups of click-option-group: options of the same shape."""


if __name__ == "__main__":
    main()
