import argparse

parser = argparse.ArgumentParser()
for flag in ("--input-path", "--output-path"):
    parser.add_argument(flag, required=True)
for name, default in [("alpha", 0.1), ("beta", 0.2)]:
    parser.add_argument(f"--{name}", type=float, default=default, help=f"{name} weight")
parser.parse_args()
