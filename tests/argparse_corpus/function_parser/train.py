import argparse


def build_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)
    return parser


def get_args(argv=None):
    p = build_parser()
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--depth", type=int, default=3, choices=range(1, 5))
    return p.parse_args(argv)


def main():
    args = get_args()
    return args


if __name__ == "__main__":
    main()
