from absl import flags

from . import data  # noqa: F401 - the data flags are defined first

flags.DEFINE_integer("hidden", 256, "Hidden units.")
flags.DEFINE_enum("activation", "relu", ["relu", "gelu"], "Activation.")
