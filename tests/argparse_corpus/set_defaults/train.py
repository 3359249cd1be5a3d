import argparse

parser = argparse.ArgumentParser(argument_default=None)
parser.set_defaults(lr=0.5, unused="x")
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--lr", type=float)
parser.add_argument("--momentum", type=float, default=0.9)
parser.add_argument("--nesterov", action="store_true")
parser.set_defaults(momentum=0.95, nesterov=True)
parser.parse_args()
