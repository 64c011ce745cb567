"""probnn benchmark suite: speed against the matmul floor, scikit-learn and PyTorch.

Run from the repository root with ``python -m bench``. Each (peer, repeat) measurement runs in a
fresh subprocess (``bench._worker``) so that its peak memory is its own.
"""
