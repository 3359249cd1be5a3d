from absl import app, flags

from config import model  # noqa: F401 - defines the model and data flags
from config.data import FLAGS as DATA_FLAGS  # noqa: F401

flags.DEFINE_boolean("eval_only", False, "Only evaluate.")
flags.mark_flag_as_required("output_path")


def main(argv):
    print(flags.FLAGS.hidden)


if __name__ == "__main__":
    app.run(main)
