import argparse as ap
from argparse import ArgumentParser as AP
from argparse import BooleanOptionalAction as BOA

first = ap.ArgumentParser()
first.add_argument("--ignored")

parser = AP(prog="aliased")
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--amp", action=BOA)
parser.add_argument("--seed", type=int, default=42, help="random seed")
parser.parse_args()
