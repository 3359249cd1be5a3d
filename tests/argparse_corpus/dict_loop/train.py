import argparse


def str2bool(text):
    return text.lower() in ("1", "true", "yes")


PARAMS = {
    "lr": (float, 0.001),
    "epochs": (int, 10),
    "name": (str, "run"),
    "resume": (str2bool, False),
}
HELP = {"lr": "learning rate", "epochs": "passes over the data"}

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
for name, (kind, default) in PARAMS.items():
    parser.add_argument(f"--{name}", type=kind, default=default, help=HELP.get(name))
for key in sorted(HELP):
    parser.add_argument(f"--no-{key}", action="store_true")
for index, size in enumerate([32, 64]):
    parser.add_argument(f"--layer{index}", type=int, default=size)
parser.parse_args()
