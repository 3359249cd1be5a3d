import enum

from absl import app, flags

import model_flags  # noqa: F401 - defines flags of its own

FLAGS = flags.FLAGS


class Split(enum.Enum):
    TRAIN = 1
    TEST = 2


flags.DEFINE_string("input_path", None, "Folder with the data.")
flags.DEFINE_string("output_path", None, "Folder for results.")
flags.DEFINE_integer("epochs", 10, "Passes over the data.", short_name="e")
flags.DEFINE_boolean("shuffle", True, "Shuffle examples.")
flags.DEFINE_enum("optimizer", "adam", ["adam", "sgd"], "Optimiser.")
flags.DEFINE_enum_class("split", Split.TRAIN, Split, "Data split.")
flags.DEFINE_list("layers", "64,32", "Layer sizes.")
flags.DEFINE_spaceseplist("tags", "a b", "Tags.")
flags.DEFINE_multi_string("gin_param", [], "Gin bindings.")
flags.DEFINE_multi_integer("seeds", 1, "Seeds.")
flags.mark_flag_as_required("input_path")
flags.mark_flags_as_required(["output_path"])


def main(argv):
    del argv


if __name__ == "__main__":
    app.run(main)
