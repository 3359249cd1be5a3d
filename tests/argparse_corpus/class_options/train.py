"""Options classes in the style of pix2pix's BaseOptions / TrainOptions."""
import argparse

DEFAULT_NAME = "experiment"


class BaseOptions:
    def __init__(self):
        self.initialized = False

    def initialize(self, parser):
        parser.add_argument("--input-path", required=True)
        parser.add_argument("--output-path", required=True)
        parser.add_argument("--name", default=DEFAULT_NAME)
        self.initialized = True
        return parser

    def gather_options(self):
        parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        parser = self.initialize(parser)
        self.parser = parser
        return self.parser.parse_args()

    def parse(self):
        opt = self.gather_options()
        opt.is_train = self.is_train
        return opt


class TrainOptions(BaseOptions):
    LR = 0.0002

    def initialize(self, parser):
        parser = BaseOptions.initialize(self, parser)
        parser.add_argument("--lr", type=float, default=self.LR)
        self.is_train = True
        return parser


class FineTuneOptions(TrainOptions):
    def initialize(self, parser):
        parser = super().initialize(parser)
        parser.add_argument("--freeze", action="store_true")
        return parser


if __name__ == "__main__":
    options = FineTuneOptions().parse()
