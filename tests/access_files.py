"""The access file the sign-in and `--as` tests share: an admin group and a viewer scoped to one sub-account."""

from pathlib import Path

import pandas as pd


def write_scoped_access(workspace: Path, sample_frame: pd.DataFrame) -> str:
    """Write `access.yaml` (finops-admins: admin; carol@example.com: viewer of the sub-account with most rows)
    into `workspace` (created if needed); returns that sub-account's name."""
    account = str(sample_frame["SubAccountName"].value_counts().index[0])
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "access.yaml").write_text(f"""default_role: none
grants:
  - who: {{group: finops-admins}}
    role: admin
  - who: {{email: carol@example.com}}
    role: viewer
    scope: {{SubAccountName: "{account}"}}
""")
    return account
