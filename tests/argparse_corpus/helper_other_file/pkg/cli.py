import argparse

from .defaults import BATCH_SIZE


def build_parser():
    parser = argparse.ArgumentParser(description="from a package")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    return parser
