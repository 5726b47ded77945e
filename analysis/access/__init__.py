"""Access: who may see which part of the bill and do what (`access.yaml`), and the audit of what they did."""
