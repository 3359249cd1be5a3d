import argparse

base = argparse.ArgumentParser(add_help=False)
base.add_argument("--input-path", required=True)
base.add_argument("--output-path", required=True)
base.set_defaults(seed=7)

common = argparse.ArgumentParser(add_help=False)
common.add_argument("--seed", type=int)
common.add_argument("--log-level", default="INFO")

parser = argparse.ArgumentParser(parents=[base, common])
parser.add_argument("--epochs", type=int, default=5)
parser.parse_args()
