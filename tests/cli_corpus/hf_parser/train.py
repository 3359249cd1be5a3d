from dataclasses import dataclass, field
from typing import Union

from transformers import HfArgumentParser

from arguments import DataArguments


@dataclass
class EvalArguments:
    metric: str = field(default="accuracy", metadata={"help": "Metric to report"})
    top_k: Union[int, None] = 5
    thresholds: list[float] = field(default_factory=lambda: [0.5, 0.9])


parser = HfArgumentParser([DataArguments, EvalArguments])
parser.add_argument("--output_path", type=str, default="out", help="Results folder")
parser.add_argument("--verbose", action="store_true", help="More output")
data_args, eval_args, extra = parser.parse_args_into_dataclasses(return_remaining_strings=True)
