"""EUROCONTROL ASTERIX: a run's radar plots as CAT048 and its tracks as CAT062, and a CAT048 reader.

Standards and editions (each the edition CroatiaControl's ``asterix-decoder`` 0.7 describes in
its XML category definitions, so that a decoder we did not write checks every field):

- **CAT048 edition 1.21**, EUROCONTROL-SPEC-0149 part 4, "Transmission of Monoradar Target
  Reports": one record per radar plot.
- **CAT062 edition 1.18**, EUROCONTROL-SPEC-0149 part 9, "SDPS Track Messages": one record per
  track update.

A data block is the category octet, a two-octet length (the whole block, header included) and
records; each record is an FSPEC (one bit per field reference number of the category's user
application profile, UAP, seven per octet, the eighth bit an extension flag) followed by the
items it announces, in FRN order.

The package, one job a module (every public name is importable from here):

- :mod:`~airdefense.interop.asterix.encode`: plots as CAT048 records and track updates as
  CAT062 records, packed into data blocks (:func:`encode_plots`, :func:`encode_tracks`,
  :class:`Encoded`); the items of each record are listed there.
- :mod:`~airdefense.interop.asterix.export`: a run database encoded (:func:`encode_run`),
  written as ``.ast`` files and a tracker config (:func:`write_asterix`, the export
  format ``asterix``) or handed out as UDP datagrams (:func:`asterix_datagrams`).
- :mod:`~airdefense.interop.asterix.decode`: CAT048 data blocks read back into arrays
  (:func:`decode_cat048`, :class:`Cat048Decoder`), never raising on bad input.
- :mod:`~airdefense.interop.asterix.plots`: decoded CAT048 plots as the tracker's polar
  measurements (:class:`AsterixPlotsReader`, what ``airdefense track`` reads an ``.ast`` file
  with): the accuracies assumed without the SP field, and elevations from heights
  (:func:`elevation_from_height`). It imports :mod:`airdefense.tracking`, never the reverse.
- ``_edition``: what the encoder and the decoder share (categories, LSBs, the SP layout).
"""

from __future__ import annotations

from airdefense.interop.asterix._edition import (
    CAT048,
    CAT048_EDITION,
    CAT062,
    CAT062_EDITION,
    DEFAULT_SAC,
    FT,
    NM,
    TOD_EPOCH_S,
    ByteArray,
    FloatArray,
    IntArray,
)
from airdefense.interop.asterix.decode import (
    EV_BAD_LENGTH,
    EV_GARBAGE,
    EV_MALFORMED,
    EV_OTHER_CATEGORY,
    EV_TRUNCATED,
    Cat048Decoder,
    Cat048Reports,
    DecodeSummary,
    decode_cat048,
)
from airdefense.interop.asterix.encode import (
    DATAGRAM_BYTES,
    DEFAULT_BLOCK_S,
    DEFAULT_SERVICE_ID,
    DEFAULT_SYSTEM_SIC,
    MAX_BLOCK_BYTES,
    Encoded,
    encode_plots,
    encode_tracks,
)
from airdefense.interop.asterix.export import (
    PLOTS_NAME,
    SITES_NAME,
    TRACKS_NAME,
    RunAsterix,
    asterix_datagrams,
    encode_run,
    sites_yaml,
    write_asterix,
)
from airdefense.interop.asterix.plots import (
    ASTERIX_REORDER_S,
    DEFAULT_SIGMA_AZIMUTH_RAD,
    DEFAULT_SIGMA_ELEVATION_2D_RAD,
    DEFAULT_SIGMA_HEIGHT_M,
    DEFAULT_SIGMA_RANGE_M,
    AsterixPlotsReader,
    elevation_from_height,
)

__all__ = [
    "ASTERIX_REORDER_S",
    "CAT048",
    "CAT048_EDITION",
    "CAT062",
    "CAT062_EDITION",
    "DATAGRAM_BYTES",
    "DEFAULT_BLOCK_S",
    "DEFAULT_SAC",
    "DEFAULT_SERVICE_ID",
    "DEFAULT_SIGMA_AZIMUTH_RAD",
    "DEFAULT_SIGMA_ELEVATION_2D_RAD",
    "DEFAULT_SIGMA_HEIGHT_M",
    "DEFAULT_SIGMA_RANGE_M",
    "DEFAULT_SYSTEM_SIC",
    "EV_BAD_LENGTH",
    "EV_GARBAGE",
    "EV_MALFORMED",
    "EV_OTHER_CATEGORY",
    "EV_TRUNCATED",
    "FT",
    "MAX_BLOCK_BYTES",
    "NM",
    "PLOTS_NAME",
    "SITES_NAME",
    "TOD_EPOCH_S",
    "TRACKS_NAME",
    "AsterixPlotsReader",
    "ByteArray",
    "Cat048Decoder",
    "Cat048Reports",
    "DecodeSummary",
    "Encoded",
    "FloatArray",
    "IntArray",
    "RunAsterix",
    "asterix_datagrams",
    "decode_cat048",
    "elevation_from_height",
    "encode_plots",
    "encode_run",
    "encode_tracks",
    "sites_yaml",
    "write_asterix",
]
