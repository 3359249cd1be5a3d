from dataclasses import dataclass, field
from typing import Literal


@dataclass
class DataArguments:
    input_path: str = field(metadata={"help": "Training data folder"})
    text_column: str = "text"
    max_length: int | None = None
    padding: Literal["longest", "max_length"] = "longest"
    shuffle: bool = field(default=True, metadata={"help": "Shuffle the examples"})
    workers: int = field(default=2, metadata={"choices": [1, 2, 4]})
