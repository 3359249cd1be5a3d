from absl import flags

FLAGS = flags.FLAGS

flags.DEFINE_string("input_path", None, "Folder with the data.", required=True)
flags.DEFINE_string("output_path", None, "Folder for results.")
flags.DEFINE_integer("batch_size", 64, "Examples per step.", short_name="b")
