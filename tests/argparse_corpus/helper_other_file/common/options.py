ARCHITECTURES = {"resnet18": 18, "resnet50": 50}


def add_model_args(parser):
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="resnet18")
