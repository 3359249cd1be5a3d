import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--model", default="linear")
early, _ = parser.parse_known_args()
if True:
    parser.add_argument("--degree", type=int, default=2)
args = parser.parse_args()
