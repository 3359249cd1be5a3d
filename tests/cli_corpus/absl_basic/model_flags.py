from absl import flags

flags.DEFINE_integer("hidden", 128, "Hidden units.", lower_bound=1)
flags.DEFINE_float("dropout", 0.1, "Dropout rate.")
