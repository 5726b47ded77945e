"""Where the test fixtures live: tests/fixtures/, copied into the repository with their attribution."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FOCUS = FIXTURES / "focus"
SAMPLE_1000 = FOCUS / "focus_sample_1000.csv"
SPEC_EXAMPLES = FOCUS / "spec_examples"
