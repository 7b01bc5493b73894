"""Drop-in replacement for :class:`sklearn.neural_network.BernoulliRBM`.

:class:`BernoulliRBM` (in :mod:`~pyrbm.sklearn.estimator`) follows scikit-learn's
estimator API; its PCD-1 kernels are in :mod:`~pyrbm.sklearn._kernels`. It works without
scikit-learn installed too (``HAVE_SKLEARN`` says which).
"""

from .estimator import HAVE_SKLEARN, BernoulliRBM, NotFittedError

__all__ = ["HAVE_SKLEARN", "BernoulliRBM", "NotFittedError"]
