"""Centred PCA with a fixed sign per component, shared by the tools that
reduce features (build_word_vectors.py, build_teacher.py)."""

from __future__ import annotations

import numpy as np


def pca_projection(x: np.ndarray, dims: int) -> np.ndarray:
    """`x` centred and projected on its first `dims` principal components
    (numpy.linalg.svd), each component's largest-magnitude entry made positive."""
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    comps = vt[:dims].copy()
    for c in comps:
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1.0
    return xc @ comps.T
