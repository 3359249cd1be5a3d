import argparse


def add_io_args(parser):
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)


def add_train_args(parser, default_epochs=3):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=int, default=default_epochs)
    return group


def main():
    parser = argparse.ArgumentParser()
    add_io_args(parser)
    group = add_train_args(parser, default_epochs=12)
    group.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args()
    return args


if __name__ == "__main__":
    main()
