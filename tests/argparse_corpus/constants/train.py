import argparse

DEFAULT_LR = 1e-3
EPOCHS = 10
MODELS = {"resnet": "ResNet", "vit": "Vision Transformer"}
SIZES = (224, 384)
NAME = "exp"
CONFIG = {"dropout": 0.25, "layers": [64, 128]}

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--lr", type=float, default=DEFAULT_LR, help=f"learning rate ({DEFAULT_LR})")
parser.add_argument("--epochs", type=int, default=EPOCHS * 2 + 1)
parser.add_argument("--model", choices=list(MODELS), default=list(MODELS)[0])
parser.add_argument("--size", type=int, choices=SIZES, default=SIZES[-1])
parser.add_argument("--level", type=int, choices=range(1, 5), default=-1 + 2)
parser.add_argument("--run-name", default=f"{NAME}-{EPOCHS:03d}")
parser.add_argument("--dropout", type=float, default=CONFIG["dropout"])
parser.add_argument("--layers", type=int, nargs="+", default=CONFIG["layers"])
parser.add_argument("--scale", type=float, default=1 / 255)
parser.add_argument("--tags", nargs="*", default=["a", *["b", "c"]])
parser.add_argument("--upper", default=NAME.upper())
parser.parse_args()
