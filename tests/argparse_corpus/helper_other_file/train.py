import argparse

import common.options as options
from common import add_io_args
from pkg.cli import build_parser

if __name__ == "__main__":
    parser = build_parser()
    add_io_args(parser)
    options.add_model_args(parser)
    parser.parse_args()
