"""FinOps Workbench analysis package: FOCUS data core, cache, query layer and analyses.

Nothing here imports Streamlit; every function works from a notebook, a test or the command line.
"""
