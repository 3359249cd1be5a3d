import argparse


def str2bool(value):
    return str(value).lower() in ("1", "true", "yes")


conf_parser = argparse.ArgumentParser(add_help=False)
conf_parser.add_argument("-c", "--config", default=None)
known, remaining = conf_parser.parse_known_args()

parser = argparse.ArgumentParser(parents=[conf_parser])
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 0.5])
parser.add_argument("--anchors", nargs="+", type=float, default=[None])
parser.add_argument("--resume", type=str2bool, default=False)
parser.add_argument("images", nargs="+")
parser.add_argument("labels", nargs="?", default="labels.txt")
args, unknown = parser.parse_known_args(remaining)
args, unknown = parser.parse_known_args(remaining)
