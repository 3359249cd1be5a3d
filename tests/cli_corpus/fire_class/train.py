import fire


class Trainer:
    """Fine-tune a model.

    Parameters
    ----------
    input_path : str
        Folder with the data.
    output_path : str
        Folder for results.
    batch_size : int
        Examples per step.
    """

    def __init__(self, input_path, output_path, batch_size: int = 32, seed: int = 0):
        self.input_path = input_path

    def train(self, epochs: int = 1):
        """A command, not a parameter."""


if __name__ == "__main__":
    fire.Fire(Trainer)
