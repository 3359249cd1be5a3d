import argparse

MODELS = {"resnet18": 512, "resnet50": 2048, "vit": 768}
SIZES = [2**i for i in range(5, 9)]

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--batch-size", type=int, choices=[2**i for i in range(5, 9)], default=64)
parser.add_argument("--model", choices=sorted(MODELS), default=sorted(MODELS)[0])
parser.add_argument("--width", type=int, choices=SIZES, default=max(SIZES))
parser.add_argument("--features", type=int, choices={v for v in MODELS.values() if v > 600})
parser.add_argument("--lookup", default={k: v // 2 for k, v in MODELS.items()})
parser.add_argument("--pairs", default=[(a, b) for a in range(2) for b in "xy" if a or b == "x"])
parser.add_argument("--names", default=",".join(name.upper() for name in MODELS))
parser.add_argument("--ids", default=tuple(i * i for i in range(4)))
parser.parse_args()
