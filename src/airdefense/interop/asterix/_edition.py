"""What the ASTERIX encoder and decoder share: category numbers and editions, the SAC, the
time-of-day clock, the LSBs of the items both write and read, and the layout of the SP field.

Sources: EUROCONTROL-SPEC-0149 part 4 (CAT048 edition 1.21) and part 9 (CAT062 edition 1.18),
as described in :mod:`airdefense.interop.asterix` and :mod:`airdefense.interop.asterix.encode`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ByteArray = NDArray[np.uint8]

#: Category numbers.
CAT048 = 48
CAT062 = 62
#: Editions written and read (``asterix-decoder``'s definitions of the same editions).
CAT048_EDITION = "1.21"
CAT062_EDITION = "1.18"
#: SAC of every record written: with it ``SAC * 256 + SIC`` is the run's sensor id.
DEFAULT_SAC = 0
#: Time of day of scenario time 0: 12:00:00 UTC (the CZML export's epoch 2000-01-01T12:00:00Z).
TOD_EPOCH_S = 43_200.0

NM = 1852.0
FT = 0.3048
_DAY_S = 86_400.0
_TOD_LSB = 1.0 / 128.0
_RHO_LSB_M = NM / 256.0
_THETA_LSB_DEG = 360.0 / 65_536.0
_SP_MAGIC = b"AD"
_SP_VERSION = 1
_SP_LEN = 24
