import enum

from absl import app
from absl import flags
from absl.flags import FLAGS


class Backend(enum.Enum):
    CPU = "cpu"
    GPU = "gpu"


DATA_FLAGS = ("input_path", "output_path")
for name in DATA_FLAGS:
    flags.DEFINE_string(name, None, f"Folder {name.split('_')[0]}.")
flags.mark_flags_as_required(list(DATA_FLAGS))

_STEPS = flags.DEFINE_integer(name="steps", default="0x10", help="Steps.", lower_bound=0)
flags.DEFINE_float("momentum", "0.5", "Momentum.")
flags.DEFINE_boolean("debug", "false", "Debug mode.")
flags.DEFINE_bool("cache", None, "Cache inputs.")
flags.DEFINE_multi_float("rates", [0.1, 0.01], "Rates to try.")
flags.DEFINE_multi_enum("stage", ["fit"], ["fit", "test", "predict"], "Stages to run.")
flags.DEFINE_multi_enum_class("backends", [Backend.CPU], Backend, "Backends.")
flags.DEFINE_enum_class("backend", "gpu", Backend, "Main backend.", case_sensitive=False)
flags.DEFINE_list("columns", ["a", "b"], "Columns.")
flags.DEFINE_spaceseplist("words", None, "Words.")
flags.DEFINE_multi_string("extra", None, "Extra arguments.")


def main(argv):
    del argv


if __name__ == "__main__":
    app.run(main)
