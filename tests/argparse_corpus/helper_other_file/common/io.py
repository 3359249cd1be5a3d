def add_io_args(parser):
    parser.add_argument("--input-path", required=True, help="Where the data is")
    parser.add_argument("--output-path", required=True, help="Where results go")
