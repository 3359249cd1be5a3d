import enum
from dataclasses import dataclass, field
from typing import List, Optional

from transformers import HfArgumentParser


class Strategy(enum.Enum):
    NO = "no"
    STEPS = "steps"
    EPOCH = "epoch"


@dataclass
class BaseArguments:
    input_path: str = field(metadata={"help": "Training data folder"})
    output_path: str = field(default="out", metadata={"help": "Results folder"})
    seed: int = field(default=42, metadata={"help": "Random seed"})


@dataclass
class TrainArguments(BaseArguments):
    """Inherits the base fields, redefines one, adds its own."""

    seed: int = 1234
    learning_rate: float = field(default=5e-5, metadata={"help": "Initial learning rate"})
    max_steps: Optional[int] = field(default=None, metadata={"help": "Stop after this many steps"})
    layers: List[int] = field(default_factory=list, metadata={"help": "Hidden layer sizes"})
    labels: Optional[List[str]] = None
    strategy: Strategy = field(default=Strategy.STEPS, metadata={"help": "When to evaluate"})
    do_train: bool = field(default=False, metadata={"help": "Run training"})
    do_eval: bool = True
    fp16: Optional[bool] = None
    optim: str = field(default="adamw", metadata={"help": "Optimizer", "choices": ["adamw", "sgd"]})


if __name__ == "__main__":
    parser = HfArgumentParser(TrainArguments)
    (args,) = parser.parse_args_into_dataclasses()
