"""plots._style: the image mosaic of the sample and probing figures."""

from __future__ import annotations

import numpy as np

from pyrbm.plots import _style as _plotting


def test_mosaic_places_tiles_row_major() -> None:
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = _plotting.mosaic(tiles, ncols=2)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(grid[0:2, 0:3], tiles[0])
    np.testing.assert_array_equal(grid[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(grid[6:8, 0:3], tiles[4])
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all() and np.isnan(grid[6:, 4:]).all()
