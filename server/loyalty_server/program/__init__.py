"""The program file: currencies, tiers, earning rules and rewards, as validated data."""

from loyalty_server.program.loader import load_program_file, parse_program
from loyalty_server.program.model import Program

__all__ = ["Program", "load_program_file", "parse_program"]
