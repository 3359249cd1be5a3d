from .io import add_io_args  # noqa: F401
