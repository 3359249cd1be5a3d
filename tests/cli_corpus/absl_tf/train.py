import tensorflow as tf

flags = tf.compat.v1.flags
app_flags = tf.app.flags

flags.DEFINE_string("input_path", None, "Folder with the TFRecords.")
flags.DEFINE_string("output_path", "/tmp/out", "Where checkpoints go.")
app_flags.DEFINE_integer("train_steps", 1000, "Steps to train.")
tf.flags.DEFINE_float("learning_rate", 0.01, "Step size.")
tf.flags.DEFINE_bool("use_tpu", False, "Run on a TPU.")
tf.compat.v1.app.flags.DEFINE_enum("mode", "train", ["train", "eval"], "What to run.")
flags.mark_flag_as_required("input_path")
FLAGS = flags.FLAGS


def main(_):
    print(FLAGS.train_steps)


if __name__ == "__main__":
    tf.compat.v1.app.run(main)
