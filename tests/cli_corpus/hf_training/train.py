from dataclasses import dataclass, field
from typing import Optional

import transformers
from transformers import Seq2SeqTrainingArguments


@dataclass
class ModelArguments:
    model_name_or_path: str = field(default="t5-small", metadata={"help": "Checkpoint to start from"})
    output_path: str = field(default="out", metadata={"help": "Results folder"})
    dropout: Optional[float] = field(default=None, metadata={"help": "Dropout override"})


@dataclass
class MyArguments(Seq2SeqTrainingArguments):
    """Library fields are not listed; these redeclared ones are."""

    output_dir: str = field(default="outputs", metadata={"help": "Where checkpoints go"})
    num_train_epochs: float = field(default=1.0, metadata={"help": "Passes over the data"})
    input_path: str = field(default="data", metadata={"help": "Training data folder", "aliases": ["-i"]})
    cache: dict = field(default_factory=dict, init=False)


def main():
    parser = transformers.HfArgumentParser((ModelArguments, MyArguments))
    model_args, my_args = parser.parse_args_into_dataclasses()


if __name__ == "__main__":
    main()
