from numpy.linalg import norm  # noqa: F401
