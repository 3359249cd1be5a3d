from typing import Optional

import fire


class Pipeline:
    def __init__(self, input_path: str, output_path: str, workers: int = 4, cache: Optional[str] = None, **options):
        """Set the pipeline up.

        Args:
            input_path (str): Folder with the raw data.
            output_path (str): Folder for the processed data.
            workers (int, optional): Processes to use.
                Defaults to 4.
            cache: A cache folder.

        Raises:
            ValueError: never.
        """
        self.workers = workers

    def run(self):
        """Run it."""

    def _helper(self):
        pass


if __name__ == "__main__":
    fire.Fire(Pipeline)
