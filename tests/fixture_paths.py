"""Where the shared, read-only fixtures live (../shared/fixtures from the repository root)."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
FOCUS = FIXTURES / "focus"
SAMPLE_1000 = FOCUS / "focus_sample_1000.csv"
SPEC_EXAMPLES = FOCUS / "spec_examples"
