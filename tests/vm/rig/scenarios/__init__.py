# SPDX-License-Identifier: LGPL-2.1-or-later
"""One module per family of scenarios; importing them registers them."""
from . import basic, bench, debian, restore, trust  # noqa: F401
