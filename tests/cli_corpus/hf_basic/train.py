from dataclasses import dataclass, field
from enum import Enum
from typing import List, Literal, Optional

from transformers import HfArgumentParser, TrainingArguments


class Pooling(Enum):
    MEAN = "mean"
    CLS = "cls"


@dataclass
class ModelArguments:
    model_name_or_path: str = field(metadata={"help": "Model to fine-tune"})
    cache_dir: Optional[str] = field(default=None, metadata={"help": "Where to cache"})
    freeze: bool = False
    use_fast: bool = field(default=True, metadata={"help": "Fast tokenizer"})
    pooling: Pooling = Pooling.MEAN
    precision: Literal["fp16", "bf16", "fp32"] = "fp32"


@dataclass
class DataArguments:
    input_path: str = field(metadata={"help": "Training data folder"})
    max_seq_length: int = 128
    columns: List[str] = field(default_factory=lambda: ["text", "label"])
    sample_ratio: float = field(default=1.0, metadata={"choices": [0.5, 1.0]})


@dataclass
class MyTrainingArguments(TrainingArguments):
    output_dir: str = field(default="out", metadata={"help": "Results"})
    warmup_steps: int = 100


def main():
    parser = HfArgumentParser((ModelArguments, DataArguments, MyTrainingArguments))
    parser.add_argument("--output-path", required=True, help="Results folder")
    model_args, data_args, training_args, rest = parser.parse_args_into_dataclasses(
        return_remaining_strings=True
    )


if __name__ == "__main__":
    main()
