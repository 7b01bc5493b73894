"""The figures of the paper's claims (matplotlib, no pyplot state).

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure`; they live in
:mod:`~pyrbm.plots.figures`, their shared checks and styling in ``_style``.
"""

from .figures import (
    plot_js_vs_inverse_hidden,
    plot_kurtosis,
    plot_langevin_variance,
    plot_log_likelihood,
    plot_log_z_comparison,
    plot_mode_trajectory,
    plot_mp_histogram,
    plot_probing,
    plot_saddle_energies,
    plot_samples,
    plot_singular_value_trajectories,
    plot_trained_spectra,
)

__all__ = [
    "plot_js_vs_inverse_hidden",
    "plot_kurtosis",
    "plot_langevin_variance",
    "plot_log_likelihood",
    "plot_log_z_comparison",
    "plot_mode_trajectory",
    "plot_mp_histogram",
    "plot_probing",
    "plot_saddle_energies",
    "plot_samples",
    "plot_singular_value_trajectories",
    "plot_trained_spectra",
]
