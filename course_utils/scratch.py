"""Operations from scratch in NumPy, written to be read line by line (speed is not the point).

Each function mirrors a Keras layer and is checked against it in the notebooks and in
tests/test_scratch*.py. Images are NHWC float arrays unless stated otherwise.
"""

from __future__ import annotations

import numpy as np

# <scratch convolution: 01/02>


# <scratch padding and pooling: 03/04>


# <scratch dropout and batch norm: 05>
